// The raw Node peers' child for W4 to W6, started by child_process.fork (serialization
// 'advanced': messages go through process.send) or as a worker thread (parentPort.postMessage,
// copied by structured clone, nothing transferred). Its first message says what to do:
//   { op: 'produce', warmUp, count, bytes }: sends warmUp messages, waits for 'go', sends count
//     more; a message is the index (bytes 0) or one Buffer of `bytes` bytes, sent again and again;
//   { op: 'echo' }: sends back every message it receives.
// Then { op: 'exit' } ends it: it lets go of its channel and exits on its own.
import { parentPort } from 'node:worker_threads';

const port = parentPort ?? process;
const send = parentPort ? (message) => parentPort.postMessage(message) : (message) => process.send(message);

const isExit = (message) => message !== null && typeof message === 'object' && message.op === 'exit';

function exit() {
  if (parentPort) parentPort.close();
  else process.disconnect();
}

let handle = (command) => {
  if (command.op === 'produce') {
    const message = command.bytes ? Buffer.alloc(command.bytes, 7) : null;
    for (let index = 0; index < command.warmUp; index++) send(message ?? index);
    handle = (go) => {
      if (isExit(go)) return exit();
      for (let index = 0; index < command.count; index++) send(message ?? index);
      handle = (last) => isExit(last) && exit();
    };
  } else if (command.op === 'echo') {
    handle = (message) => (isExit(message) ? exit() : send(message));
  } else exit();
};

port.on('message', (message) => handle(message));
