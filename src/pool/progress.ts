// The `progress` option of every Pool task method: a function called as results arrive, or
// (`true`) a one-line bar on stderr when it is a terminal — items, percentage, rate and ETA.

/** `true`: a progress bar on stderr (when a terminal); a function: called with (done, total). */
export type ProgressOption = boolean | ((done: number, total?: number) => void);

/** What a job calls as its items complete; made by {@link createProgress}. */
export interface ProgressReporter {
  /** `done` items have completed so far (a running total, not an increment). */
  update(done: number): void;
  /** The job is over (success, failure or abort): the bar draws its final state once and ends its line. */
  finish(): void;
}

const REDRAW_INTERVAL_MS = 100;

/** A reporter for the option, or undefined when there is nothing to report (no cost on the hot path). */
export function createProgress(
  option: ProgressOption | undefined,
  total: number | undefined,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressReporter | undefined {
  if (option === undefined || option === false) return undefined;
  if (typeof option === 'function') return { update: (done) => option(done, total), finish: () => {} };
  if (!stream.isTTY) return { update: () => {}, finish: () => {} };
  return new ProgressBar(stream, total);
}

/** 999, 1.2k, 3.4M. */
export function humanCount(value: number): string {
  // Thresholds sit just below each unit so rounding never prints "1000" or "1000.0k".
  if (value < 999.5) return String(Math.round(value));
  if (value < 999_950) return `${(value / 1e3).toFixed(1)}k`;
  if (value < 999_950_000) return `${(value / 1e6).toFixed(1)}M`;
  return `${(value / 1e9).toFixed(1)}G`;
}

/** 3s, 1m05s, 1h02m. */
export function humanDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--';
  const whole = Math.round(seconds);
  if (whole < 60) return `${whole}s`;
  if (whole < 3600) return `${Math.floor(whole / 60)}m${String(whole % 60).padStart(2, '0')}s`;
  return `${Math.floor(whole / 3600)}h${String(Math.floor((whole % 3600) / 60)).padStart(2, '0')}m`;
}

class ProgressBar implements ProgressReporter {
  readonly #stream: NodeJS.WriteStream;
  readonly #total: number | undefined;
  readonly #startedAt = performance.now();
  #lastDrawAt = Number.NEGATIVE_INFINITY;
  #done = 0;
  #isFinished = false;

  constructor(stream: NodeJS.WriteStream, total: number | undefined) {
    this.#stream = stream;
    this.#total = total;
  }

  update(done: number): void {
    if (this.#isFinished) return;
    this.#done = done;
    const now = performance.now();
    if (now - this.#lastDrawAt < REDRAW_INTERVAL_MS) return; // at most ~10 redraws a second
    this.#lastDrawAt = now;
    this.#draw(now);
  }

  finish(): void {
    // A job may finish through more than one path (result, then abort): end the line once.
    if (this.#isFinished) return;
    this.#isFinished = true;
    this.#draw(performance.now()); // the throttle may have skipped the last update
    this.#stream.write('\n');
  }

  #draw(now: number): void {
    this.#stream.write(`\r\x1b[2K${this.render(now)}`);
  }

  /** The line for the current state, fitted to the terminal's width. */
  render(now: number): string {
    const width = this.#stream.columns || 80;
    const seconds = Math.max((now - this.#startedAt) / 1000, 1e-9);
    const rate = this.#done / seconds;
    const rateText = `${humanCount(rate)} items/s`;
    if (this.#total === undefined) return `${this.#done.toLocaleString('en-US')} items  ${rateText}`.slice(0, width - 1);
    const total = this.#total;
    const fraction = total === 0 ? 1 : Math.min(1, this.#done / total);
    const eta = rate > 0 ? humanDuration(Math.max(0, total - this.#done) / rate) : '--';
    const tail = `  ${this.#done}/${total}  ${Math.floor(fraction * 100)}%  ${rateText}  ETA ${eta}`;
    const barWidth = Math.max(0, Math.min(30, width - 1 - tail.length - 2));
    const filled = Math.round(fraction * barWidth);
    const bar = barWidth > 0 ? `[${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}]` : '';
    return `${bar}${tail}`.slice(0, width - 1);
  }
}
