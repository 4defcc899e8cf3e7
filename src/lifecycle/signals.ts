import type { LifecycleLogger } from './types.js';

/** The signals `serve()` handles. */
const SHUTDOWN_SIGNALS = ['SIGTERM', 'SIGINT'] as const;
type ShutdownSignal = (typeof SHUTDOWN_SIGNALS)[number];

/**
 * Where signals come from (structural: `process` fits; tests pass an `EventEmitter`).
 *
 * @example
 * const signals: SignalSource = new EventEmitter(); signals.emit('SIGTERM');
 */
export interface SignalSource {
  on(event: ShutdownSignal, listener: () => void): unknown;
  off(event: ShutdownSignal, listener: () => void): unknown;
}

/** Ends the process with a code (`process.exit` by default). */
export type ExitFunction = (code: number) => void;

/** What happens to buffered log lines around the exit (`serve()` passes the stdout destination's). */
export interface ExitLogFlush {
  /** Writes out buffered log lines, bounded in time; awaited before the exit of a graceful shutdown. */
  flush(): Promise<void>;
  /** Drops buffered log lines so that exiting does not wait for them. */
  abandon(): void;
}

const NO_LOG_FLUSH: ExitLogFlush = { flush: () => Promise.resolve(), abandon: () => {} };

/**
 * Installs SIGTERM/SIGINT handlers: the first signal runs `stop()`, flushes the logs (bounded) then exits 0
 * (1 when stop rejects: timeout or teardown failure); any further signal exits 1 at once, buffered log lines
 * dropped. Returns the function that removes them.
 */
export function installSignalHandlers(
  source: SignalSource,
  stop: () => Promise<void>,
  exit: ExitFunction,
  logger: LifecycleLogger,
  logs: ExitLogFlush = NO_LOG_FLUSH,
): () => void {
  let received: ShutdownSignal | undefined;

  function onSignal(signal: ShutdownSignal): void {
    if (received) {
      logger.warn({ signal, first: received }, `second signal ${signal}: exiting now with code 1`);
      // A stuck stdout must not delay this exit: it is the operator's way out.
      logs.abandon();
      exit(1);
      return;
    }
    received = signal;
    logger.info({ signal }, `${signal} received: shutting down`);
    // The flush is asynchronous so that a second signal is still handled while stdout is slow.
    const exitAfterFlush = (code: number): void => {
      logs.flush().then(
        () => exit(code),
        () => exit(code),
      );
    };
    stop().then(
      () => {
        logger.info({ signal, exitCode: 0 }, 'graceful shutdown complete; exiting');
        exitAfterFlush(0);
      },
      (err: unknown) => {
        logger.error({ err, signal, exitCode: 1 }, 'graceful shutdown failed; exiting');
        exitAfterFlush(1);
      },
    );
  }

  const listeners = SHUTDOWN_SIGNALS.map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, listener] of listeners) source.on(signal, listener);
  return () => {
    for (const [signal, listener] of listeners) source.off(signal, listener);
  };
}
