// Every module that registers a codec handle type, imported by the child bootstrap so a child
// can decode any handle its parent sends (the root index imports them all as well).
import '../shared/shared-memory.js';
import '../sync/lock.js';
import '../sync/semaphore.js';
import '../sync/event.js';
import '../sync/rlock.js';
import '../sync/condition.js';
import '../sync/barrier.js';
import '../shared/value.js';
import '../shared/shared-array.js';
import '../shared/shareable-list.js';
import '../connection/pipe.js';
import '../queue/queue.js';
import '../managers/proxy-record.js';
import '../ipc/pipe-end.js';
import '../ipc/posix-message-queue.js';
import '../ipc/posix-semaphore.js';
