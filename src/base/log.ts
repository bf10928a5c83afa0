// multiproc's own diagnostics, as Python's multiprocessing.util logger (get_logger,
// log_to_stderr): one logger per process or thread, silent unless asked. Its level travels to
// children and threads in the environment (MULTIPROC_LOG), as Python's spawn passes the level
// in its preparation data, so turning it on in the parent also shows what the children report.
// The calls that report (worker started/exited, tasks lost, segments cleaned, peers refused)
// are one line each where those things happen.

import { writeSync } from 'node:fs';
import { threadId } from 'node:worker_threads';
import { invalidType, invalidValue } from './validate.js';

/** How much multiproc reports, from the most to nothing: `'silent'` (the default) reports nothing. */
export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';

/** The level of one line (every level but `'silent'`). */
export type LogRecordLevel = Exclude<LogLevel, 'silent'>;

/** One line of multiproc's diagnostics, as a handler receives it. */
export interface LogRecord {
  readonly level: LogRecordLevel;
  readonly message: string;
  /** The process that reported it. */
  readonly pid: number;
  /** The worker thread that reported it (0: the process's main thread). */
  readonly threadId: number;
  /** When, in milliseconds since the epoch (Date.now()). */
  readonly timeMs: number;
}

/** Where records go; the default writes `formatLogRecord(record)` to stderr. */
export type LogHandler = (record: LogRecord) => void;

/** multiproc's logger (Python's `multiprocessing.get_logger()`). */
export interface Logger {
  /**
   * The least severe level reported; setting it also sets it for the children and threads
   * started afterwards (through the MULTIPROC_LOG environment variable).
   * @default 'silent' (or MULTIPROC_LOG's value)
   */
  level: LogLevel;
  /**
   * Receives every record at or above `level`, in the process or thread that made it (children
   * write theirs to stderr: a function cannot cross). Setting it does not change the level.
   * @default writes `formatLogRecord(record)` to stderr
   */
  handler: LogHandler;
  /** True when a record of this level would be reported. */
  isEnabledFor(level: LogRecordLevel): boolean;
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** The environment variable that sets the level without code, and carries it to children. */
export const LOG_LEVEL_VARIABLE = 'MULTIPROC_LOG';

const SEVERITY: Readonly<Record<LogLevel, number>> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const LEVELS = Object.keys(SEVERITY) as LogLevel[];

function isLogLevel(value: unknown): value is LogLevel {
  return typeof value === 'string' && Object.hasOwn(SEVERITY, value);
}

function checkLevel(where: string, level: unknown): LogLevel {
  if (isLogLevel(level)) return level;
  throw invalidValue(where, `one of ${LEVELS.map((name) => `'${name}'`).join(', ')}`, level);
}

/** The line the default handler writes: `[multiproc/INFO pid 1234] worker 1236 exited ...`. */
export function formatLogRecord(record: LogRecord): string {
  const thread = record.threadId === 0 ? '' : ` thread ${record.threadId}`;
  return `[multiproc/${record.level.toUpperCase()} pid ${record.pid}${thread}] ${record.message}`;
}

/** One synchronous write per line: lines of several processes and threads do not interleave. */
function writeLine(line: string): void {
  try {
    writeSync(2, `${line}\n`);
  } catch {
    // stderr closed or full: diagnostics must never break the program
  }
}

function writeToStderr(record: LogRecord): void {
  writeLine(formatLogRecord(record));
}

/** The level this process starts with: MULTIPROC_LOG's, silent when unset or empty. */
function levelFromEnvironment(): LogLevel {
  const value = process.env[LOG_LEVEL_VARIABLE]?.trim().toLowerCase();
  if (value === undefined || value === '') return 'silent';
  if (isLogLevel(value)) return value;
  // Warned once, where it was set: the variable is dropped, so children do not warn again.
  delete process.env[LOG_LEVEL_VARIABLE];
  writeLine(`[multiproc/WARN pid ${process.pid}] ${LOG_LEVEL_VARIABLE}=${JSON.stringify(value)} is not a level (${LEVELS.join(', ')}); logging stays silent.`);
  return 'silent';
}

class MultiprocLogger implements Logger {
  #level: LogLevel = levelFromEnvironment();
  #handler: LogHandler = writeToStderr;

  get level(): LogLevel {
    return this.#level;
  }

  set level(level: LogLevel) {
    this.#level = checkLevel('getLogger().level', level);
    process.env[LOG_LEVEL_VARIABLE] = this.#level;
  }

  get handler(): LogHandler {
    return this.#handler;
  }

  set handler(handler: LogHandler) {
    if (typeof handler !== 'function') throw invalidType('getLogger().handler', 'a function (record) => void', handler);
    this.#handler = handler;
  }

  /** Back to the level this process or thread inherited (a child adopting its parent's environment). */
  adoptEnvironment(): void {
    this.#level = levelFromEnvironment();
  }

  isEnabledFor(level: LogRecordLevel): boolean {
    return SEVERITY[level] >= SEVERITY[this.#level];
  }

  debug(message: string): void {
    this.#emit('debug', message);
  }

  info(message: string): void {
    this.#emit('info', message);
  }

  warn(message: string): void {
    this.#emit('warn', message);
  }

  error(message: string): void {
    this.#emit('error', message);
  }

  #emit(level: LogRecordLevel, message: string): void {
    if (!this.isEnabledFor(level)) return;
    try {
      this.#handler({ level, message: String(message), pid: process.pid, threadId, timeMs: Date.now() });
    } catch (error) {
      // A handler's failure must not break the pool or listener that was reporting (Python's handleError).
      writeLine(`[multiproc/ERROR pid ${process.pid}] the log handler threw: ${(error as Error)?.stack ?? String(error)}`);
    }
  }
}

const logger = new MultiprocLogger();

/**
 * multiproc's logger (Python's `multiprocessing.get_logger()`): worker starts and exits, tasks
 * lost, segments cleaned, peers refused. Silent until its level is set (or MULTIPROC_LOG is).
 *
 * @example
 * const logger = getLogger();
 * logger.level = 'info';
 * logger.handler = (record) => myLog.write(record.level, record.message);
 */
export function getLogger(): Logger {
  return logger;
}

/**
 * Reports multiproc's diagnostics at `level` and above on stderr, in this process and in the
 * children and threads it starts afterwards (Python's `log_to_stderr()`). Lines look like
 * `[multiproc/INFO pid 1234] worker 1236 exited with code -9; 3 tasks lost`. Returns the logger.
 *
 * @param level - @default 'info'
 * @example
 * logToStderr('debug'); // every worker start and exit
 */
export function logToStderr(level: LogLevel = 'info'): Logger {
  logger.level = checkLevel('logToStderr: "level"', level);
  logger.handler = writeToStderr;
  return logger;
}

/** A child (or a warm spare) takes on the level its parent's environment names. @internal */
export function adoptLogLevel(): void {
  logger.adoptEnvironment();
}
