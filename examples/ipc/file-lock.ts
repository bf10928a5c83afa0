// Python: with open('counter.lock', 'a') as f: fcntl.flock(f, fcntl.LOCK_EX); then read, add one,
// write back. Three processes do it 100 times each; the lock makes every read-modify-write whole.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMain, Pool, register } from 'multiproc';
import { FileLock } from 'multiproc/ipc';

export async function addOne(lock: FileLock, counterPath: string, times: number): Promise<void> {
  for (let turn = 0; turn < times; turn++) {
    await using _held = await lock.hold(); // flock(LOCK_EX) until the end of this block
    const value = Number(readFileSync(counterPath, 'utf8'));
    writeFileSync(counterPath, String(value + 1));
  }
}

register(import.meta.url, { addOne });

if (isMain(import.meta.url)) {
  const dir = mkdtempSync(join(tmpdir(), 'file-lock-'));
  const counterPath = join(dir, 'counter.txt');
  writeFileSync(counterPath, '0');
  const lock = new FileLock(join(dir, 'counter.lock')); // travels to the workers as its path
  try {
    await using pool = new Pool(3);
    await pool.starmap(addOne, [[lock, counterPath, 100], [lock, counterPath, 100], [lock, counterPath, 100]]);
    console.log(`counter = ${readFileSync(counterPath, 'utf8')}`); // counter = 300
    console.log('held now?', lock.tryLock({ shared: true }) ? 'no: a shared lock was free' : 'yes');
    lock.unlock();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
