// Python's Process._bootstrap, in a Process child: rebuild the Process object the parent started
// (a registered subclass without running its constructor, its fields copied from the parent),
// call its run(), print an uncaught error and exit 1 on failure.

import type { ParentChannel } from '../backends/backend.js';
import { InvalidStateError } from '../base/errors.js';
import { Process, processInChild } from '../process/process.js';
import { PRIVATE_FIELDS_IN_CHILD } from '../process/subclass.js';
import { decodeValue } from '../tasks/codec.js';
import { importTaskModule, resolveTask } from '../tasks/resolve-task.js';
import { type AnyClass, type RegisteredName, registeredClass } from '../tasks/task-ref.js';
import type { ProcessInit } from '../process/process-init.js';
import { currentDestination } from '../tasks/destination.js';
import { setReportChannel } from '../process/parent-report.js';

export async function runProcess(channel: ParentChannel, init: ProcessInit): Promise<void> {
  channel.onClose(() => process.exit(1)); // the parent died: do not outlive it
  setReportChannel((message) => channel.send(message));
  try {
    const instance = await rebuildProcess(init);
    if (init.subclass === null) await instance.run();
    else await explainingPrivateMembers(() => instance.run());
  } catch (error) {
    process.stderr.write(`Process ${init.identity.name}:\n${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 1;
  } finally {
    // Like a Python child, end once run() returned and nothing else keeps this one busy.
    channel.close();
  }
}

async function rebuildProcess(init: ProcessInit): Promise<Process> {
  const Class = init.subclass === null ? Process : await findSubclass(init.subclass);
  const target = init.target === null ? undefined : await resolveTask(init.target);
  const args = decodeValue(init.args.value, init.args.hasHandles);
  const fields = init.fields === null ? {} : decodeValue(init.fields.value, init.fields.hasHandles);
  if (!Array.isArray(args) || typeof fields !== 'object' || fields === null) {
    throw new InvalidStateError(`Process ${init.identity.name}: the parent's start record is corrupted (its arguments are not an array, or its fields not an object).`);
  }
  const { name, daemon, authkey, identity } = init.identity;
  const context = currentDestination() === 'thread' ? 'thread' : 'process';
  const instance = processInChild(Class, { context, target, args, name, daemon, authkey, identity });
  for (const [field, value] of Object.entries(fields)) {
    // Own data properties, as they were in the parent: no setter of the class runs.
    Object.defineProperty(instance, field, { value, writable: true, enumerable: true, configurable: true });
  }
  return instance;
}

/** The registered class the parent named, once its module ran here (its register() call with it). */
async function findSubclass(record: RegisteredName): Promise<AnyClass> {
  if (typeof record.module !== 'string' || typeof record.name !== 'string') {
    throw new InvalidStateError('The parent\'s start record is corrupted (its Process subclass is not a module and a name).');
  }
  await importTaskModule(record.module);
  const Class = registeredClass(record.module, record.name);
  if (Class === undefined) {
    throw new TypeError(
      `The Process subclass "${record.name}" was not registered by ${record.module} in the child: ` +
        `its register(import.meta.url, { ${record.name} }) call must run at the module's top level, where every import runs it.`,
    );
  }
  if (!Object.prototype.isPrototypeOf.call(Process.prototype, Class.prototype)) {
    throw new TypeError(
      `"${record.name}" of ${record.module} does not extend the Process (or Thread) of the multiproc this child runs; only such a class can be rebuilt here.`,
    );
  }
  return Class;
}

/** A subclass's run() touching a private member met an object made without its constructor: say why. */
async function explainingPrivateMembers(run: () => unknown): Promise<void> {
  try {
    await run();
  } catch (error) {
    if (error instanceof TypeError && /private member|must be an instance of class/.test(error.message)) {
      const original = error.message;
      error.message += `. ${PRIVATE_FIELDS_IN_CHILD}`;
      if (typeof error.stack === 'string') error.stack = error.stack.replace(original, error.message);
    }
    throw error;
  }
}
