// sendSignal and waitSignal between unrelated processes (a plain node child, a Python child),
// with the sender's pid, timeouts, aborts, the event loop serving timers meanwhile, Node's own
// listeners kept, the previous disposition restored, and the checks of every argument.
import assert from 'node:assert/strict';
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Worker } from 'node:worker_threads';
import { TimeoutError } from 'multiproc';
import { sendSignal, waitSignal } from 'multiproc/ipc';
import { loadNative } from '../../src/native/loader.ts';

const noAddon = loadNative() ? false : 'the native addon is unavailable';
const hasPython = spawnSync('python3', ['-c', 'pass']).status === 0;
const noPython = noAddon || (hasPython ? false : 'python3 is not installed');
const root = fileURLToPath(new URL('../../', import.meta.url));

/** Whether this process catches `signo` now (/proc/self/status SigCgt). */
function isCaught(signo: number): boolean {
  const mask = /SigCgt:\s*([0-9a-f]+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? '0';
  return ((BigInt(`0x${mask}`) >> BigInt(signo - 1)) & 1n) === 1n;
}

/** Lets the loop turn once: a signal is released after the turn in which its last wait ended. */
const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

interface Child {
  readonly process: ChildProcess;
  nextLine(): Promise<string>;
  exit(): Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

/** Starts a child whose stdout is read line by line; it is killed after the test if still running. */
function start(t: { after(fn: () => void): void }, command: string, args: string[]): Child {
  const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  const exited = once(child, 'exit');
  let stderr = '';
  child.stderr?.on('data', (chunk) => {
    stderr += chunk;
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  t.after(() => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  });
  return {
    process: child,
    nextLine: async () => {
      const { value, done } = await lines.next();
      if (done) throw new Error(`the child ended before printing a line; its stderr: ${stderr}`);
      return value as string;
    },
    exit: async () => {
      const [code, signal] = await exited;
      return { code, signal };
    },
  };
}

const startNode = (t: { after(fn: () => void): void }, program: string, flags: string[] = []) =>
  start(t, process.execPath, [...flags, '--input-type=module', '-e', program]);
const startPython = (t: { after(fn: () => void): void }, program: string) => start(t, 'python3', ['-c', program]);

test('a plain node child signals us, and waitSignal resolves with the name and the sender pid', { skip: noAddon, timeout: 30_000 }, async (t) => {
  const delivered = waitSignal('SIGUSR1');
  const child = startNode(t, `import { sendSignal } from 'multiproc/ipc'; sendSignal(process.ppid, 'SIGUSR1');`);
  const info = await delivered;
  assert.deepEqual(info, { signal: 'SIGUSR1', number: 10, pid: child.process.pid, uid: process.getuid?.() });
  assert.equal((await child.exit()).code, 0);
});

test('a Python child signals us with os.kill, and the wait names it as the sender', { skip: noPython, timeout: 30_000 }, async (t) => {
  const delivered = waitSignal('SIGUSR2');
  const child = startPython(t, 'import os, signal\nos.kill(os.getppid(), signal.SIGUSR2)');
  const info = await delivered;
  assert.equal(info.signal, 'SIGUSR2');
  assert.equal(info.pid, child.process.pid);
  assert.equal((await child.exit()).code, 0);
});

test('sendSignal reaches a Python child waiting in signal.sigwaitinfo, which sees our pid', { skip: noPython, timeout: 30_000 }, async (t) => {
  const child = startPython(
    t,
    [
      'import signal, sys',
      'signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2})',
      'print("ready", flush=True)',
      'info = signal.sigwaitinfo({signal.SIGUSR2})',
      'print(info.si_signo, info.si_pid, flush=True)',
    ].join('\n'),
  );
  assert.equal(await child.nextLine(), 'ready');
  sendSignal(child.process.pid as number, 'SIGUSR2');
  assert.equal(await child.nextLine(), `12 ${process.pid}`);
  assert.equal((await child.exit()).code, 0);
});

test('a node child waiting for a signal stays alive until it comes, and sees who sent it', { skip: noAddon, timeout: 30_000 }, async (t) => {
  const child = startNode(
    t,
    `import { waitSignal } from 'multiproc/ipc';
     const delivered = waitSignal('SIGRTMIN+1');
     console.log('waiting');
     const { signal, pid } = await delivered;
     console.log(signal, pid);`,
  );
  assert.equal(await child.nextLine(), 'waiting');
  sendSignal(child.process.pid as number, 'SIGRTMIN+1');
  assert.equal(await child.nextLine(), `SIGRTMIN+1 ${process.pid}`);
  assert.equal((await child.exit()).code, 0);
});

test('a timer fires while a wait is pending, and its callback sends the signal that ends it', { skip: noAddon, timeout: 30_000 }, async () => {
  const delivered = waitSignal('SIGUSR2');
  setTimeout(() => sendSignal(process.pid, 'SIGUSR2'), 1);
  assert.equal((await delivered).pid, process.pid);
});

test('a wait that times out rejects with TimeoutError and puts back the previous disposition', { skip: noAddon, timeout: 30_000 }, async () => {
  await nextTurn(); // the signal's release by an earlier test's last wait
  assert.equal(isCaught(12), false);
  const waiting = waitSignal('SIGUSR2', { timeout: 20 });
  assert.equal(isCaught(12), true);
  await assert.rejects(waiting, (error: Error) => {
    assert.ok(error instanceof TimeoutError);
    assert.equal(error.message, 'waitSignal(SIGUSR2): not delivered within 20 ms.');
    return true;
  });
  await nextTurn();
  assert.equal(isCaught(12), false);
});

test('an aborted wait rejects with the reason and puts back the previous disposition', { skip: noAddon, timeout: 30_000 }, async () => {
  const controller = new AbortController();
  const waiting = waitSignal('SIGUSR2', { signal: controller.signal });
  setTimeout(() => controller.abort(new Error('no longer needed')), 1);
  await assert.rejects(waiting, { message: 'no longer needed' });
  await nextTurn();
  assert.equal(isCaught(12), false);
  await assert.rejects(waitSignal('SIGUSR2', { signal: AbortSignal.abort() }), { name: 'AbortError' });
  await nextTurn();
  assert.equal(isCaught(12), false);
});

test('a wait aborted after its signal was caught, but before the loop read it, resolves with it: nothing caught is lost', { skip: noAddon, timeout: 30_000 }, async () => {
  const controller = new AbortController();
  const waiting = waitSignal('SIGUSR2', { signal: controller.signal });
  // A signal a process sends itself is handled before kill(2) returns: it is in the self-pipe now.
  sendSignal(process.pid, 'SIGUSR2');
  controller.abort();
  assert.equal((await waiting).signal, 'SIGUSR2');
});

test('each delivery ends one wait, the one that waited longest', { skip: noAddon, timeout: 30_000 }, async () => {
  const order: string[] = [];
  const first = waitSignal('SIGUSR2').then(() => order.push('first'));
  const second = waitSignal('SIGUSR2').then(() => order.push('second'));
  sendSignal(process.pid, 'SIGUSR2');
  await first;
  assert.deepEqual(order, ['first']);
  sendSignal(process.pid, 'SIGUSR2');
  await second;
  assert.deepEqual(order, ['first', 'second']);
});

test('process.on listeners run while a wait is pending and after it, also when added or removed meanwhile', { skip: noAddon, timeout: 30_000 }, async (t) => {
  let heard = 0;
  let onHeard = () => {};
  const listener = () => {
    heard += 1;
    onHeard();
  };
  const nextHeard = () => new Promise<void>((resolve) => {
    onHeard = resolve;
  });
  t.after(() => process.removeListener('SIGUSR2', listener));
  // Node's signal listeners do not hold the event loop open; the test must, while it awaits one.
  const hold = setInterval(() => {}, 60_000);
  t.after(() => clearInterval(hold));
  await nextTurn(); // the signal's release by an earlier test's last wait

  // A listener that was there first is chained.
  process.on('SIGUSR2', listener);
  let heardOne = nextHeard();
  let delivered = waitSignal('SIGUSR2');
  sendSignal(process.pid, 'SIGUSR2');
  await Promise.all([delivered, heardOne]);
  await nextTurn();

  // The listener alone, after the wait ended.
  heardOne = nextHeard();
  sendSignal(process.pid, 'SIGUSR2');
  await heardOne;

  // Removed while a wait is pending (libuv resets the signal to SIG_DFL): the wait still catches it.
  delivered = waitSignal('SIGUSR2');
  process.removeListener('SIGUSR2', listener);
  sendSignal(process.pid, 'SIGUSR2');
  await delivered;
  assert.equal(heard, 2);

  // Added while a wait is pending (libuv installs its handler over ours): both hear it.
  delivered = waitSignal('SIGUSR2');
  process.on('SIGUSR2', listener);
  heardOne = nextHeard();
  sendSignal(process.pid, 'SIGUSR2');
  await Promise.all([delivered, heardOne]);
  assert.equal(heard, 3);
  await nextTurn();
  assert.equal(isCaught(12), true, "libuv's handler is back for the listener");
  process.removeListener('SIGUSR2', listener);
  assert.equal(isCaught(12), false);
});

test('a node child waiting for SIGTERM and SIGINT is not ended by them, and Node\'s exit on them comes back after', { skip: noAddon, timeout: 30_000 }, async (t) => {
  const child = startNode(
    t,
    `import { waitSignal } from 'multiproc/ipc';
     const term = waitSignal('SIGTERM');
     const interrupt = waitSignal('SIGINT');
     console.log('waiting');
     console.log((await term).signal, (await interrupt).signal);
     await new Promise((resolve) => setImmediate(resolve));
     console.log('released');
     setInterval(() => {}, 1000); // only a signal ends this program`,
  );
  assert.equal(await child.nextLine(), 'waiting');
  sendSignal(child.process.pid as number, 'SIGTERM');
  sendSignal(child.process.pid as number, 'SIGINT');
  assert.equal(await child.nextLine(), 'SIGTERM SIGINT');
  assert.equal(await child.nextLine(), 'released');
  sendSignal(child.process.pid as number, 'SIGTERM');
  assert.deepEqual(await child.exit(), { code: null, signal: 'SIGTERM' });
});

test("after the last wait, SIGUSR2's default action ends a child again", { skip: noAddon, timeout: 30_000 }, async (t) => {
  const child = startNode(
    t,
    `import { sendSignal, waitSignal } from 'multiproc/ipc';
     const delivered = waitSignal('SIGUSR2');
     sendSignal(process.pid, 'SIGUSR2');
     await delivered;
     await waitSignal('SIGUSR2', { timeout: 1 }).catch((error) => console.log(error.name));
     await new Promise((resolve) => setImmediate(resolve));
     process.kill(process.pid, 'SIGUSR2');
     setInterval(() => {}, 1000); // only the signal ends this program`,
  );
  assert.equal(await child.nextLine(), 'TimeoutError');
  assert.deepEqual(await child.exit(), { code: null, signal: 'SIGUSR2' });
});

test("SIGUSR1 does not start Node's debugger while awaited, and does again after", { skip: noAddon, timeout: 30_000 }, async (t) => {
  const child = startNode(
    t,
    `import inspector from 'node:inspector';
     import { sendSignal, waitSignal } from 'multiproc/ipc';
     const delivered = waitSignal('SIGUSR1');
     sendSignal(process.pid, 'SIGUSR1');
     console.log((await delivered).signal);
     await new Promise((resolve) => setImmediate(resolve));
     console.log(inspector.url() === undefined ? 'no debugger' : 'debugger');
     process.kill(process.pid, 'SIGUSR1');
     const started = setInterval(() => {
       if (inspector.url() === undefined) return;
       clearInterval(started);
       console.log('debugger');
       inspector.close();
     }, 5);`,
    ['--inspect-port=0'],
  );
  assert.equal(await child.nextLine(), 'SIGUSR1');
  assert.equal(await child.nextLine(), 'no debugger');
  assert.equal(await child.nextLine(), 'debugger');
  assert.equal((await child.exit()).code, 0);
});

test('waitSignal refuses SIGKILL, SIGSTOP, the fault signals, SIGCHLD and the addon’s own signal', { skip: noAddon }, async () => {
  for (const signal of ['SIGKILL', 'SIGSTOP', 'SIGSEGV', 'SIGBUS', 'SIGFPE', 'SIGILL', 'SIGCHLD', 'SIGRTMAX-2', 9] as const) {
    await assert.rejects(waitSignal(signal), (error: NodeJS.ErrnoException) => {
      assert.equal(error.code, 'ERR_INVALID_ARG_VALUE', String(signal));
      assert.match(error.message, /is refused: /);
      return true;
    });
  }
  await assert.rejects(waitSignal(0), { code: 'ERR_OUT_OF_RANGE' });
});

test('sendSignal and waitSignal check their arguments', { skip: noAddon }, async () => {
  const cases: [unknown, unknown, string][] = [
    [0, 'SIGUSR1', 'ERR_OUT_OF_RANGE'],
    [-1, 'SIGUSR1', 'ERR_OUT_OF_RANGE'],
    [1.5, 'SIGUSR1', 'ERR_OUT_OF_RANGE'],
    [2 ** 31, 'SIGUSR1', 'ERR_OUT_OF_RANGE'],
    ['1', 'SIGUSR1', 'ERR_INVALID_ARG_TYPE'],
    [process.pid, 'USR1', 'ERR_INVALID_ARG_VALUE'],
    [process.pid, 'sigusr1', 'ERR_INVALID_ARG_VALUE'],
    [process.pid, 'SIGRTMIN-1', 'ERR_INVALID_ARG_VALUE'],
    [process.pid, 'SIGRTMIN+99', 'ERR_INVALID_ARG_VALUE'],
    [process.pid, 33, 'ERR_INVALID_ARG_VALUE'],
    [process.pid, 65, 'ERR_OUT_OF_RANGE'],
    [process.pid, -1, 'ERR_OUT_OF_RANGE'],
    [process.pid, null, 'ERR_INVALID_ARG_TYPE'],
  ];
  for (const [pid, signal, code] of cases) {
    assert.throws(() => sendSignal(pid as number, signal as 'SIGUSR1'), { code }, `${pid} ${signal}`);
  }
  assert.throws(() => sendSignal(process.pid, 'USR1' as 'SIGUSR1'), /Did you mean "SIGUSR1"\?/);
  sendSignal(process.pid, 0); // the existence check
  await assert.rejects(waitSignal('SIGUSR2', { timeout: -1 }), { code: 'ERR_OUT_OF_RANGE' });
  await assert.rejects(waitSignal('SIGUSR2', { timeout: '1' as unknown as number }), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(waitSignal('SIGUSR2', { signal: {} as AbortSignal }), { code: 'ERR_INVALID_ARG_TYPE' });
  await assert.rejects(waitSignal('SIGUSR2', 5 as unknown as object), { code: 'ERR_INVALID_ARG_TYPE' });
  assert.equal(isCaught(12), false);
});

test('sendSignal to a process that is gone names the call, the pid and the errno', { skip: noAddon, timeout: 30_000 }, async (t) => {
  const child = startNode(t, '');
  await child.exit();
  assert.throws(() => sendSignal(child.process.pid as number, 'SIGUSR1'), {
    code: 'ESRCH',
    syscall: 'kill',
    message: `kill(${child.process.pid}, SIGUSR1) failed: ESRCH (no such process)`,
  });
});

test('waitSignal in a worker thread rejects with InvalidStateError', { skip: noAddon, timeout: 30_000 }, async (t) => {
  const worker = new Worker(
    `import('multiproc/ipc').then(({ waitSignal }) => waitSignal('SIGUSR2')).then(
       () => require('node:worker_threads').parentPort.postMessage('resolved'),
       (error) => require('node:worker_threads').parentPort.postMessage(error.name + ': ' + error.message));`,
    { eval: true },
  );
  t.after(() => worker.terminate());
  const [message] = await once(worker, 'message');
  assert.match(message, /^InvalidStateError: waitSignal: signals are delivered to the process, and only its main thread/);
});
