// The spares' policy (SpareKeeper): how many warm children are booted ahead for the next
// Process starts. Its children here are plain records made by the keeper's boot function, so
// the counts can be read exactly; the backends' real children are covered by the Process tests.

import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SpareKeeper } from '../../src/backends/spares.ts';

interface Booted {
  isReady: boolean;
  isDisposed: boolean;
}

function keeper(isReadyAtBoot: boolean): { spares: SpareKeeper<Booted>; booted: Booted[] } {
  const booted: Booted[] = [];
  const spares = new SpareKeeper<Booted>(() => {
    const child: Booted = { isReady: isReadyAtBoot, isDisposed: false };
    booted.push(child);
    return {
      handle: child,
      isAlive: () => !child.isDisposed,
      isReady: () => child.isReady,
      dispose: () => {
        child.isDisposed = true;
      },
    };
  });
  return { spares, booted };
}

/** Ends every waiting spare now, as the test harnesses do (idle-children.ts). */
function expireIdleSpares(): void {
  const hooks = (globalThis as { [key: symbol]: Set<() => void> | undefined })[Symbol.for('multiproc.expireIdleChildren')];
  for (const expire of hooks ?? []) expire();
}

/** The keeper counts the starts of one macrotask, then boots its spares. */
const afterBurst = () => new Promise<void>((resolve) => setImmediate(resolve));

test('after the first start, one spare is booted for the next', async (t) => {
  t.after(expireIdleSpares);
  const { spares, booted } = keeper(true);
  assert.equal(spares.take(), undefined);
  await afterBurst();
  assert.equal(booted.length, 1);
});

test('a start that adopts a ready spare has it replaced by one new spare', async (t) => {
  t.after(expireIdleSpares);
  const { spares, booted } = keeper(true);
  spares.take();
  await afterBurst();
  assert.equal(spares.take(), booted[0]);
  await afterBurst();
  assert.equal(booted.length, 2);
  assert.equal(spares.take(), booted[1]);
});

test('starts that find their spare still booting keep one more spare in flight each time', async (t) => {
  t.after(expireIdleSpares);
  const { spares, booted } = keeper(false);
  spares.take();
  await afterBurst();
  assert.equal(booted.length, 1);
  assert.equal(spares.take(), booted[0]); // adopted while booting: the next burst wants two
  await afterBurst();
  assert.equal(booted.length, 3);
  assert.equal(spares.take(), booted[1]); // still booting: three wanted, one waits already
  await afterBurst();
  assert.equal(booted.length, 5);
});

test('a burst of starts is followed by as many spares', async (t) => {
  t.after(expireIdleSpares);
  const { spares, booted } = keeper(false);
  spares.take();
  spares.take();
  spares.take();
  await afterBurst();
  assert.equal(booted.length, 3);
  spares.take(); // a burst of one that adopted an unready spare wants two: two wait already
  await afterBurst();
  assert.equal(booted.length, 3);
});

test('once the spares expire unused, the next start boots one spare again', async (t) => {
  t.after(expireIdleSpares);
  const { spares, booted } = keeper(false);
  spares.take();
  await afterBurst();
  spares.take();
  await afterBurst();
  assert.equal(booted.length, 3);
  expireIdleSpares();
  assert.ok(booted.every((child, index) => index === 0 || child.isDisposed));
  spares.take();
  await afterBurst();
  assert.equal(booted.length, 4);
});
