// Python's os.pipe() with a child: the child writes into the pipe, the parent reads to the end.
//   r, w = os.pipe(); subprocess.Popen([...], pass_fds=[w]); os.close(w); os.read(r, ...)
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { pipe } from 'multiproc/ipc';

const [readable, writable] = pipe();

// Any program can be the child: here a plain node one, writing to the descriptor 3 it inherits.
const program = "const { writeSync } = require('node:fs'); for (const word of ['one', 'two', 'three']) writeSync(3, word + '\\n');";
const child = spawn(process.execPath, ['-e', program], { stdio: ['ignore', 'inherit', 'inherit', writable] });
const exited = once(child, 'exit'); // listened to from the start: it may come before the stream ends
writable.destroy(); // the child has its own copy; the stream ends when it closes it (at exit)

let text = '';
for await (const chunk of readable) text += chunk;
console.log(text.trim().split('\n')); // [ 'one', 'two', 'three' ]
const [code] = await exited;
console.log(`child exited with code ${code}`);
