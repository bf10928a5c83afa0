// Python: mm = mmap.mmap(f.fileno(), 64) in two processes: what one writes, the other reads, with
// no copy. Each child maps the file by its path, as any other program (or Python) could.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isMain, Process, register } from 'multiproc';
import { MappedFile } from 'multiproc/ipc';

export async function visit(path: string, name: string): Promise<void> {
  await using file = await MappedFile.open(path); // the whole file, shared
  const visits = new Int32Array(file.buf.buffer, 0, 1); // Atomics work across processes here
  const turn = Atomics.add(visits, 0, 1);
  file.buf.write(`${name} was here`, 4 + turn * 20);
}

register(import.meta.url, { visit });

if (isMain(import.meta.url)) {
  const dir = mkdtempSync(join(tmpdir(), 'mapped-file-'));
  const path = join(dir, 'shared.bin');
  try {
    await using file = await MappedFile.open(path, { size: 64 }); // created owner-only, 64 zero bytes
    for (const name of ['alice', 'bob']) {
      const child = new Process({ target: visit, args: [path, name] });
      child.start();
      await child.join();
    }
    const visits = Atomics.load(new Int32Array(file.buf.buffer, 0, 1), 0);
    console.log(`${visits} visits`); // 2 visits
    const text = (from: Buffer, at: number) => from.toString('utf8', at, from.indexOf(0, at));
    for (let turn = 0; turn < visits; turn++) console.log(text(file.buf, 4 + turn * 20)); // alice was here, bob was here
    await file.flush(); // on disk now, not only in the page cache
    console.log('on disk:', text(readFileSync(path), 24)); // on disk: bob was here
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
