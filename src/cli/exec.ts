import { spawn } from 'node:child_process';
import { constants } from 'node:os';
import type { CliIo } from './io.js';

/** The signals a supervisor sends that the command must receive too. */
const FORWARDED = ['SIGTERM', 'SIGINT', 'SIGHUP'] as const;

/** Where forwarded signals come from; the process by default, an emitter in tests. */
export interface SignalSource {
  on(signal: NodeJS.Signals, listener: () => void): unknown;
  off(signal: NodeJS.Signals, listener: () => void): unknown;
}

/**
 * Runs `command` with the CLI's stdio and environment, forwards SIGTERM, SIGINT and SIGHUP to it, and resolves
 * with its exit code (128 + the signal number when a signal ended it, 127 when it cannot be found, 126 when it
 * cannot be run) — what a shell reports, so `prestart -- node server.js` behaves as an entrypoint.
 *
 * On POSIX the command runs in its own process group: a Ctrl-C in a terminal reaches the CLI only, which
 * forwards it once (otherwise the command would get SIGINT twice and treat the second as "force exit").
 */
export function runCommand(
  command: readonly string[],
  io: CliIo,
  signals: SignalSource = process,
): Promise<number> {
  const [file, ...args] = command;
  if (file === undefined) return Promise.resolve(2);
  return new Promise<number>((resolve) => {
    const child = spawn(file, args, {
      stdio: 'inherit',
      env: io.env === undefined ? process.env : { ...io.env },
      detached: process.platform !== 'win32',
    });
    const forwarders = FORWARDED.map((signal) => {
      const forward = (): void => {
        if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      };
      signals.on(signal, forward);
      return [signal, forward] as const;
    });
    let settled = false;
    const finish = (code: number): void => {
      if (settled) return;
      settled = true;
      for (const [signal, forward] of forwarders) signals.off(signal, forward);
      resolve(code);
    };
    child.once('error', (error: NodeJS.ErrnoException) => {
      const missing = error.code === 'ENOENT';
      io.stderr(
        `[prestart] cannot run ${JSON.stringify(file)}: ${missing ? 'command not found' : error.message}\n`,
      );
      finish(missing ? 127 : 126);
    });
    child.once('exit', (code, signal) => {
      if (code !== null) finish(code);
      else finish(128 + (signal === null ? 0 : (constants.signals[signal] ?? 0)));
    });
  });
}
