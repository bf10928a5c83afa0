// The first message a Process sends its child: who the child is and what to run. Process
// (process.ts) writes it and the child's bootstrap reads it, so it lives here, below both
// (pool/messages.ts is the same for pool workers).

import type { InheritedIdentity } from '../base/identity.js';
import type { Encoded } from '../tasks/codec.js';
import type { RegisteredName, TaskDescriptor } from '../tasks/task-ref.js';

/** First message to a Process child. */
export interface ProcessInit {
  readonly role: 'process';
  readonly identity: InheritedIdentity;
  /** What the base run() calls; null when the Process has no target. */
  readonly target: TaskDescriptor | null;
  readonly args: Encoded;
  /** The registered Process subclass to rebuild; null for a plain Process. */
  readonly subclass: RegisteredName | null;
  /** The subclass instance's own enumerable fields (an object); null for a plain Process. */
  readonly fields: Encoded | null;
}
