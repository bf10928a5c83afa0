// A Process child's way to tell its parent something over the tree's own control channel (the
// one the child was started with), not over a socket someone else could reach first: a manager
// reports where it listens this way. The parent receives it through Process.onReport().

/** The wire form of a report on the control channel. */
export interface ReportMessage {
  readonly type: 'report';
  readonly value: unknown;
}

let send: ((message: ReportMessage) => void) | null = null;

/** Set by the child's bootstrap once its channel to the parent is open. */
export function setReportChannel(sender: (message: ReportMessage) => void): void {
  send = sender;
}

/** Sends plain data to this child's parent Process (see Process.onReport). */
export function reportToParent(value: unknown): void {
  if (!send) throw new Error('reportToParent: this is not a Process child (no channel to a parent).');
  send({ type: 'report', value });
}

export function isReportMessage(message: unknown): message is ReportMessage {
  return message !== null && typeof message === 'object' && (message as { type?: unknown }).type === 'report';
}
