/**
 * The server's log: one plain line per event on stdout (errors on stderr), prefixed with an
 * ISO timestamp and the level. `NSERVE_LOG_LEVEL` picks the level (default `info`); `debug`
 * adds one access-log line per request, in TorchServe's ACCESS_LOG layout.
 */
export type LogLevel = 'error' | 'warn' | 'info' | 'debug';

export interface Logger {
  error(message: string): void;
  warn(message: string): void;
  info(message: string): void;
  debug(message: string): void;
  /** Whether `level` lines are written: callers skip building per-request strings otherwise. */
  enabled(level: LogLevel): boolean;
}

const RANK: Record<LogLevel, number> = { error: 0, warn: 1, info: 2, debug: 3 };

export function parseLogLevel(value: string | undefined): LogLevel {
  const v = (value ?? '').trim().toLowerCase();
  return v in RANK ? (v as LogLevel) : 'info';
}

export interface ConsoleLoggerOptions {
  level: LogLevel;
  out?: (line: string) => void;
  err?: (line: string) => void;
  now?: () => Date;
}

export function createConsoleLogger(options: ConsoleLoggerOptions): Logger {
  const out = options.out ?? ((line) => process.stdout.write(`${line}\n`));
  const err = options.err ?? ((line) => process.stderr.write(`${line}\n`));
  const now = options.now ?? (() => new Date());
  const max = RANK[options.level];
  const at = (level: LogLevel, sink: (line: string) => void) => (message: string) => {
    if (RANK[level] <= max) sink(`${now().toISOString()} [${level.toUpperCase().padEnd(5)}] ${message}`);
  };
  return { error: at('error', err), warn: at('warn', out), info: at('info', out), debug: at('debug', out), enabled: (level) => RANK[level] <= max };
}
