import { fstatSync } from 'node:fs';
import { LineDestination, type LineDestinationOptions } from './line-destination.js';

/** The longest the log buffer is written out for once the process is exiting; what is left is dropped. */
const EXIT_LOG_FLUSH_MS = 2_000;

/** Options of {@link createLogDestination}: everything but the retry policy, which is the exit budget's. */
export type LogDestinationOptions = Omit<LineDestinationOptions, 'retryEAGAIN'>;

// Weak: the set must not keep the destinations of discarded loggers (tests make many apps) alive.
const live = new Set<WeakRef<LineDestination>>();
/** When the exit flush must stop (epoch ms); infinite until the process starts exiting. */
let flushDeadline = Number.POSITIVE_INFINITY;
let exitHookInstalled = false;

function stdoutIsPipeOrSocket(): boolean {
  try {
    const stat = fstatSync(1);
    return stat.isFIFO() || stat.isSocket();
  } catch {
    return false;
  }
}

function startExitFlush(budgetMs: number): void {
  if (flushDeadline === Number.POSITIVE_INFINITY) flushDeadline = Date.now() + budgetMs;
}

/** Until the exit flush has run out of time, a full pipe is retried. */
function withinExitBudget(): boolean {
  return Date.now() < flushDeadline;
}

/** At exit, what every live destination still holds is written synchronously, within the shared budget. */
function flushAllAtExit(): void {
  startExitFlush(EXIT_LOG_FLUSH_MS);
  for (const ref of live) {
    const destination = ref.deref();
    if (destination === undefined || Date.now() >= flushDeadline) continue;
    try {
      destination.flushSync();
    } catch {
      // EAGAIN past the deadline, or a closed stdout: the rest is dropped.
    }
  }
}

function ignore(): void {}

/**
 * The asynchronous, batched and bounded destination `createLogger` writes through, for a file descriptor or
 * a file path: lines gather until `minLength` characters (or `periodicFlush` ms) and go out in one write of
 * at most `maxWrite`; past `maxLength` held, lines are dropped rather than growing memory. What is pending
 * when the process exits is written synchronously for at most {@link EXIT_LOG_FLUSH_MS}. A failed write
 * drops its lines and never crashes the process. For a logger of your own (`CreateAppOptions.logger`).
 * @example
 * const logger = pino({ level: 'info' }, createLogDestination({
 *   dest: '/var/log/app.log', minLength: 16_384, maxWrite: 65_536, periodicFlush: 250, maxLength: 16_777_216,
 * }));
 */
export function createLogDestination(options: LogDestinationOptions): LineDestination {
  const destination = new LineDestination({ ...options, retryEAGAIN: withinExitBudget });
  destination.on('error', ignore);
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', flushAllAtExit);
  }
  const ref = new WeakRef(destination);
  live.add(ref);
  destination.once('close', () => live.delete(ref));
  return destination;
}

/**
 * The stdout destination of `createLogger` ({@link createLogDestination} on fd 1), made so that a slow or
 * stuck reader of stdout can never keep the process from exiting:
 *
 * - A pipe or socket inherited as stdout is usually in blocking mode. Then every write blocks a libuv pool
 *   thread until the reader catches up, and `process.exit()` waits for that thread: a reader at 20 KiB/s kept
 *   a process alive for minutes after SIGTERM. Opening `process.stdout` puts fd 1 in non-blocking mode
 *   (libuv does so for pipes), so a full pipe answers EAGAIN and the write is retried later instead.
 * - What is buffered is written synchronously when the process exits, retrying EAGAIN; that flush is bounded
 *   to {@link EXIT_LOG_FLUSH_MS} in total, shared with {@link flushLogsBeforeExit}; what cannot be written by
 *   then is dropped.
 */
export function createStdoutDestination(options: Omit<LogDestinationOptions, 'dest'>): LineDestination {
  if (stdoutIsPipeOrSocket()) void process.stdout.fd;
  return createLogDestination({ ...options, dest: 1 });
}

/**
 * Writes out what the stdout destinations still hold, for at most `budgetMs` (default 2 s, shared with the
 * synchronous flush at exit), without blocking the event loop: a second signal is still handled meanwhile.
 * @example
 * await flushLogsBeforeExit(); process.exit(0);
 */
export function flushLogsBeforeExit(budgetMs: number = EXIT_LOG_FLUSH_MS): Promise<void> {
  startExitFlush(budgetMs);
  const remaining = flushDeadline - Date.now();
  const destinations: LineDestination[] = [];
  for (const ref of live) {
    const destination = ref.deref();
    if (destination === undefined) live.delete(ref);
    else if (!destination.destroyed) destinations.push(destination);
  }
  if (remaining <= 0 || destinations.length === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, remaining);
    let pending = destinations.length;
    const done = (): void => {
      pending -= 1;
      if (pending === 0) {
        clearTimeout(timer);
        resolve();
      }
    };
    for (const destination of destinations) {
      try {
        destination.flush(done);
      } catch {
        done();
      }
    }
  });
}

/** Gives up on buffered log lines: the flush at exit writes nothing more (a second signal exits at once). */
export function abandonLogFlush(): void {
  flushDeadline = Number.NEGATIVE_INFINITY;
}
