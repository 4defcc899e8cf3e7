import { Writable } from 'node:stream';
import { type Level, type Logger, pino } from 'pino';

/** Everything written to a log stream, kept in memory for assertions. */
export interface LogSink {
  /** The stream to hand to pino (or to anything else that logs lines). */
  readonly stream: Writable;
  /** A pino logger writing into `stream`. */
  readonly logger: Logger;
  /** Everything written so far, as written. */
  text(): string;
  /** Every non-empty line written so far, parsed as JSON (throws on a line that is not JSON). */
  lines(): Record<string, unknown>[];
}

/**
 * An in-memory log destination: the one fixture the tests use to read what was logged. `level` is the level of
 * `logger` (default `trace`: everything).
 */
export function createLogSink(options: { level?: Level } = {}): LogSink {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      chunks.push(String(chunk));
      callback();
    },
  });
  const text = (): string => chunks.join('');
  return {
    stream,
    logger: pino({ level: options.level ?? 'trace' }, stream),
    text,
    lines: () =>
      text()
        .split('\n')
        .filter((line) => line.trim() !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>),
  };
}
