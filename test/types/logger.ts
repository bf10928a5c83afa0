// Compile-only checks of the logger's public types (run by `tsc --noEmit`; never executed).
import { formatLogRecord, getContext, getLogger, type Logger, type LogLevel, type LogRecord, logToStderr } from 'multiproc';

export function checks(): void {
  const logger: Logger = getLogger();
  const level: LogLevel = logger.level;
  logger.level = level === 'silent' ? 'info' : 'silent';
  logger.handler = (record: LogRecord) => {
    const line: string = formatLogRecord(record);
    const severity: 'debug' | 'info' | 'warn' | 'error' = record.level;
    void [line, severity, record.pid, record.threadId, record.timeMs];
  };
  const returned: Logger = logToStderr();
  logToStderr('debug');
  getContext('thread').logToStderr('warn');
  // @ts-expect-error not a level
  logToStderr('verbose');
  // @ts-expect-error 'silent' is a logger level, never a record's
  const never: LogRecord['level'] = 'silent';
  // @ts-expect-error a handler takes a record
  logger.handler = (record: string) => record;
  void [returned, never];
}
