// Signals between two processes. The child tells its parent it is ready with SIGUSR1, as Python
// programs do with os.kill(os.getppid(), signal.SIGUSR1); the parent waits for it and learns who
// sent it (Python's signal.sigwaitinfo), then asks the child to stop with SIGTERM.
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { sendSignal, waitSignal } from 'multiproc/ipc';

if (process.argv[2] === 'child') {
  // Waiting catches SIGTERM from now on: it no longer ends this process before it cleans up.
  const stop = waitSignal('SIGTERM');
  // ... open files, bind ports ... then:
  sendSignal(process.ppid, 'SIGUSR1');
  const { pid } = await stop;
  console.log(`child: SIGTERM from ${pid === process.ppid ? 'my parent' : pid}, cleaning up`);
} else {
  // Wait before the child starts, so that its signal cannot come before anyone waits for it.
  const ready = waitSignal('SIGUSR1', { timeout: 30_000 });
  const script = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, [...process.execArgv, script, 'child'], { stdio: 'inherit' });
  const { signal, pid } = await ready;
  console.log(`parent: ${signal} from ${pid === child.pid ? 'the child' : pid}, so it is ready`);
  sendSignal(child.pid as number, 'SIGTERM');
  child.on('exit', (code) => console.log(`parent: the child exited with code ${code}`));
}
