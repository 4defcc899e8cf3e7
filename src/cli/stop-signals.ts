import { constants } from 'node:os';
import type { SignalSource } from './exec.js';

/** The signals a supervisor sends to stop a container; prestart stops waiting on any of them. */
const STOP_SIGNALS = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** A signal received while prestart waits for the database. */
export interface StopSignal {
  readonly signal: NodeJS.Signals;
  /** What a shell reports for it: 128 + the signal number (143 for SIGTERM, 130 for SIGINT). */
  readonly exitCode: number;
}

/** Handlers for the stop signals, installed for the whole wait loop. */
export interface StopSignals {
  /** Resolves with the first stop signal received; never resolves otherwise. */
  readonly stopped: Promise<StopSignal>;
  /** The signal received so far, if any. */
  readonly received: () => StopSignal | undefined;
  /** Removes the handlers (before the command runs, so forwarding takes over). */
  readonly remove: () => void;
}

/**
 * Installs SIGTERM, SIGINT and SIGHUP handlers. Without them a Node process running as PID 1 (a Docker
 * ENTRYPOINT, a Kubernetes init container) ignores these signals, so `docker stop` would wait for SIGKILL.
 */
export function listenForStop(signals: SignalSource = process): StopSignals {
  let received: StopSignal | undefined;
  let resolveStopped: (stop: StopSignal) => void = () => {};
  const stopped = new Promise<StopSignal>((resolve) => {
    resolveStopped = resolve;
  });
  const handlers = STOP_SIGNALS.map((signal) => {
    const handler = (): void => {
      if (received !== undefined) return;
      received = { signal, exitCode: 128 + (constants.signals[signal] ?? 0) };
      resolveStopped(received);
    };
    signals.on(signal, handler);
    return [signal, handler] as const;
  });
  return {
    stopped,
    received: () => received,
    remove: () => {
      for (const [signal, handler] of handlers) signals.off(signal, handler);
    },
  };
}
