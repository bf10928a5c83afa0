// The first message a Process sends its child: who the child is and what to run. Process
// (process.ts) writes it and the child's bootstrap reads it, so it lives here, below both
// (pool/messages.ts is the same for pool workers).

import type { InheritedIdentity } from '../base/identity.js';
import type { Encoded } from '../tasks/codec.js';
import type { TaskDescriptor } from '../tasks/task-ref.js';

/** First message to a Process child. */
export interface ProcessInit {
  readonly role: 'process';
  readonly identity: InheritedIdentity;
  readonly target: TaskDescriptor;
  readonly args: Encoded;
}
