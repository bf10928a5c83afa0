// Compile-only: the published declarations, as a program that depends on multiproc sees them.
// test/types/tsconfig.json checks this folder against dist/ with skipLibCheck off, so a
// declaration that refers to a stripped @internal member or type fails here.
import type { Connection, Event, Lock, Process, SharedArray, Value } from 'multiproc';
import * as multiproc from 'multiproc';
import * as futures from 'multiproc/futures';

export function internalMembersAreNotPublished(process: Process, connection: Connection, lock: Lock, value: Value<'i'>): void {
  // @ts-expect-error: Process.exited is internal
  void process.exited;
  // @ts-expect-error: Process.onReport is internal
  process.onReport(() => {});
  // @ts-expect-error: a lock's shared words are internal
  void lock.sharedBlock;
  // @ts-expect-error: a value's shared words are internal
  void value.sharedBlock;
  void connection.closed;
}

export function entryPointsLoad(event: Event, array: SharedArray<'d'>): void {
  void multiproc.cpuCount();
  void futures.ProcessPoolExecutor;
  void event.isSet();
  void array.length;
}
