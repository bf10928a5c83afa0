// The manager's own Lock, RLock and Condition, driven directly with the Callers its server makes
// per client link: the orders of events that a test through processes cannot force (a waiter
// whose client leaves, a client that holds and waits at once, notify's exact count).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Caller } from '../../src/managers/caller.ts';
import { ManagedCondition } from '../../src/managers/managed-condition.ts';
import { ManagedLock, ManagedRLock } from '../../src/managers/managed-locks.ts';

test('a waiter whose client leaves stops waiting, and the lock skips it for the next waiter', async () => {
  const lock = new ManagedRLock();
  const [owner, leaving, next] = [new Caller(), new Caller(), new Caller()];
  assert.equal(await lock.acquire(owner), true);
  const leavingWait = lock.acquire(leaving);
  const nextWait = lock.acquire(next, { timeout: 120_000 });
  leaving.leave();
  assert.equal(await leavingWait, false);
  lock.release(owner);
  assert.equal(await nextWait, true);
  assert.equal(lock.holder, next);
});

test('a client that leaves while it holds a Lock and waits for it again frees it for the others, not for itself', async () => {
  const lock = new ManagedLock();
  const [leaving, other] = [new Caller(), new Caller()];
  assert.equal(await lock.acquire(leaving), true);
  const again = lock.acquire(leaving); // a second async flow of the same client: a Lock has no owner, it waits
  const otherWait = lock.acquire(other, { timeout: 120_000 });
  leaving.leave();
  assert.equal(await again, false);
  assert.equal(await otherWait, true);
  assert.equal(lock.holder, other);
  assert.equal(await lock.acquire(leaving, { block: false }), false, 'a client gone takes nothing');
});

test("an RLock's levels are its owner's: release by another client is refused and changes nothing", async () => {
  const lock = new ManagedRLock();
  const [owner, other] = [new Caller(), new Caller()];
  assert.equal(await lock.acquire(owner), true);
  assert.equal(await lock.acquire(owner, { block: false }), true);
  assert.throws(() => lock.release(other), { name: 'InvalidStateError', message: /cannot release un-acquired lock/ });
  lock.release(owner);
  assert.equal(await lock.acquire(other, { block: false }), false, 'one level left');
  lock.release(owner);
  assert.equal(await lock.acquire(other, { block: false }), true);
});

test('notify(n) wakes exactly n waiters in the order they came, and each takes the lock back in turn', async () => {
  const condition = new ManagedCondition();
  const clients = [new Caller(), new Caller(), new Caller()];
  const order: number[] = [];
  const waits = clients.map(async (client, index) => {
    await condition.acquire(client);
    const isNotified = await condition.wait(client);
    order.push(index);
    condition.release(client);
    return isNotified;
  });
  const notifier = new Caller();
  // Each waiter gives the lock up once it waits: the notifier gets it after all three do.
  assert.equal(await condition.acquire(notifier), true);
  condition.notify(notifier, 2);
  condition.release(notifier);
  await Promise.all(waits.slice(0, 2));
  assert.deepEqual(order, [0, 1]);
  await condition.acquire(notifier);
  condition.notifyAll(notifier);
  condition.release(notifier);
  assert.deepEqual(await Promise.all(waits), [true, true, true]);
  assert.deepEqual(order, [0, 1, 2]);
});

test("a waiter on a Condition whose client leaves does not take the lock back; the RLock's levels come back to one that stays", async () => {
  const lock = new ManagedRLock();
  const condition = new ManagedCondition(lock);
  const [leaving, staying] = [new Caller(), new Caller()];
  await condition.acquire(leaving);
  const leavingWait = condition.wait(leaving);
  await condition.acquire(staying);
  await condition.acquire(staying);
  const stayingWait = condition.wait(staying, 120_000);
  leaving.leave();
  assert.equal(await leavingWait, false);
  assert.equal(lock.holder, null);
  const notifier = new Caller();
  await condition.acquire(notifier);
  condition.notify(notifier);
  condition.release(notifier);
  assert.equal(await stayingWait, true);
  assert.equal(lock.holder, staying);
  condition.release(staying);
  condition.release(staying);
  assert.equal(lock.holder, null, 'both levels were restored, and released');
});
