// A FIFO (named pipe) between two programs, as with os.mkfifo and open(): this program makes the
// FIFO and reads it; a second program (this file run again with "writer") opens it by path.
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { mkfifo, openFifo } from 'multiproc/ipc';

if (process.argv[2] === 'writer') {
  const writer = await openFifo(process.argv[3]!, 'w'); // waits until a reader has it open
  for (let job = 1; job <= 3; job++) writer.write(`job ${job}\n`);
  writer.end();
} else {
  const directory = mkdtempSync(join(tmpdir(), 'fifo-example-'));
  const path = join(directory, 'jobs');
  await mkfifo(path); // owner-only (0o600) unless { mode } says otherwise
  const writer = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), 'writer', path], { stdio: 'inherit' });
  const exited = once(writer, 'exit'); // listened to from the start: it may come before the stream ends
  const reader = await openFifo(path, 'r', { timeout: 30_000 });
  let text = '';
  for await (const chunk of reader) text += chunk; // ends when the writer closes its end
  process.stdout.write(text);
  rmSync(directory, { recursive: true }); // a FIFO stays until its file is removed
  const [code] = await exited;
  console.log(`writer exited with code ${code}`);
}
