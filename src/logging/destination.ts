import { fstatSync } from 'node:fs';
import pino, { type DestinationStream } from 'pino';

/** The longest the log buffer is written out for once the process is exiting; what is left is dropped. */
export const EXIT_LOG_FLUSH_MS = 2_000;

type SonicBoom = ReturnType<typeof pino.destination>;
type DestinationOptions = Exclude<Parameters<typeof pino.destination>[0], string | number | undefined>;

// Weak: the set must not keep the destinations of discarded loggers (tests make many apps) alive.
const live = new Set<WeakRef<SonicBoom>>();
/** When the exit flush must stop (epoch ms); infinite until the process starts exiting. */
let flushDeadline = Number.POSITIVE_INFINITY;

function ignore(): void {}

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

/**
 * The asynchronous, batched stdout destination of `createLogger`, made so that a slow or stuck reader of
 * stdout can never keep the process from exiting:
 *
 * - A pipe or socket inherited as stdout is usually in blocking mode. Then every write blocks a libuv pool
 *   thread until the reader catches up, and `process.exit()` waits for that thread: a reader at 20 KiB/s kept
 *   a process alive for minutes after SIGTERM. Opening `process.stdout` puts fd 1 in non-blocking mode
 *   (libuv does so for pipes), so a full pipe answers EAGAIN and sonic-boom retries later instead.
 * - pino writes what is buffered synchronously when the process exits, retrying EAGAIN without end, and no
 *   signal is handled meanwhile. That flush is bounded to {@link EXIT_LOG_FLUSH_MS} in total, shared with
 *   {@link flushLogsBeforeExit}; what cannot be written by then is dropped.
 */
export function createStdoutDestination(
  options: Omit<DestinationOptions, 'dest' | 'fd' | 'retryEAGAIN'>,
): DestinationStream {
  if (stdoutIsPipeOrSocket()) void process.stdout.fd;
  const destination = pino.destination({
    ...options,
    dest: 1,
    // Until the exit flush has run out of time, a full pipe is retried (lines beyond `maxLength` are dropped).
    retryEAGAIN: () => Date.now() < flushDeadline,
  });
  // A write given up at exit is reported as an error; losing log lines must not crash the process.
  destination.on('error', ignore);
  const flushSync = destination.flushSync.bind(destination);
  destination.flushSync = () => {
    startExitFlush(EXIT_LOG_FLUSH_MS);
    if (Date.now() >= flushDeadline) return;
    try {
      flushSync();
    } catch {
      // EAGAIN past the deadline, or a closed stdout: the rest is dropped.
    }
  };
  const ref = new WeakRef(destination);
  live.add(ref);
  destination.once('close', () => live.delete(ref));
  return destination;
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
  const destinations: SonicBoom[] = [];
  for (const ref of live) {
    const destination = ref.deref();
    if (destination === undefined) live.delete(ref);
    else if ((destination as SonicBoom & { destroyed?: boolean }).destroyed !== true)
      destinations.push(destination);
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
