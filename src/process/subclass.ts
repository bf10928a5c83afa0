// A Process subclass whose run() runs in the child (Python's `class Worker(Process): def run(self)`).
// Python pickles the object: its class by module and name, its __dict__ by value. Here the parent
// sends the class's registered name and the instance's own enumerable fields (through the codec,
// so a Queue or Lock field stays a handle); the child imports the module, rebuilds the object
// without running its constructor (process.ts: processInChild) and calls run() (child/run-process.ts).

import { invalidValue } from '../base/validate.js';
import { type AnyClass, type RegisteredName, registrationOfClass } from '../tasks/task-ref.js';

/** A subclass to rebuild in the child: where the class is, and the instance's own enumerable fields. */
export interface SubclassToSend {
  readonly record: RegisteredName;
  /** A null-prototype object of the fields, so the codec names a bad one `Worker.field`. */
  readonly fields: Record<string, unknown>;
}

const HOW_IT_RUNS =
  'The child imports that module, makes the object without running its constructor, copies its own enumerable fields ' +
  '(through the same rules as arguments; private #fields cannot be copied) and calls run().';

/**
 * The class a child must rebuild for `instance`, or null when the base class will do (it does not
 * override run() and is not registered: run() then calls the target). Throws a TypeError when
 * the class overrides run() but was not registered, since the child could not find it.
 */
export function subclassToSend(where: string, instance: object, baseRun: unknown): SubclassToSend | null {
  const prototype = Object.getPrototypeOf(instance) as { constructor: AnyClass; run?: unknown };
  const Class = prototype.constructor;
  const registration = registrationOfClass(Class);
  if (registration === undefined) {
    if (prototype.run === baseRun) return null;
    const name = Class.name || 'this class';
    throw invalidValue(
      `${where}: "${name}"`,
      'a class registered in its module, since it overrides run() and the child finds it by its module and name',
      Class,
      `Add register(import.meta.url, { ${Class.name || 'Worker'} }) to the module that defines it. ${HOW_IT_RUNS}`,
    );
  }
  const fields: Record<string, unknown> = Object.create(null);
  for (const field of Object.keys(instance)) fields[field] = (instance as Record<string, unknown>)[field];
  return { record: { module: registration.module, name: registration.name }, fields };
}

/** The explanation added to an error about a private member met in run() in a child. */
export const PRIVATE_FIELDS_IN_CHILD =
  'In a child, a Process subclass is rebuilt without running its constructor: only its own enumerable fields are copied ' +
  'from the parent, so its private #fields and #methods do not exist there. Keep what run() needs in ordinary fields (this.queue).';
