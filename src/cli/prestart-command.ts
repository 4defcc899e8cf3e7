import { sql } from 'kysely';
import {
  createDbEngine,
  type DbEngine,
  PERMANENT_DB_ERROR_CODES,
  resolveDbTarget,
  scrubDbText,
} from '../db/index.js';
import type { ErrorCode } from '../errors.js';
import { isDatabaseConfigured } from '../settings/load.js';
import { numberOption, parseCommandArgs } from './args.js';
import { runCommand, type SignalSource } from './exec.js';
import { type CliIo, codeOf, loadCliSettings, messageOf, UsageError } from './io.js';
import { listenForStop, type StopSignal } from './stop-signals.js';

/** The `express-m8 prestart --help` text. */
export const PRESTART_USAGE = `Usage: express-m8 prestart [--max-tries 300] [--interval 5] [--timeout 5] [-- command [args...]]
       express-m8-prestart [options] [-- command [args...]]

Waits until the configured database (SELECTED_DB, DATABASE_URL / DB_*) answers SELECT 1, printing one
progress line per try on stderr, then runs the command after "--" if one is given. With no database
configured (SELECTED_DB, DATABASE_URL, DB_HOST and PGLITE_DATA_DIR all unset) there is nothing to wait for:
it says so and goes on at once.

Options:
  --max-tries N     tries before giving up (default 300)
  --interval S      seconds between tries, fractions allowed (default 5)
  --timeout S       longest wait for one connection, seconds (default 5)
  -h, --help        show this help

Exit codes:
  0   the database answered, or none is configured (or, with a command: the command's exit code; 128+N if signal N ended it)
  1   the tries ran out
  2   a permanent error: invalid settings, bad credentials, unknown database, missing driver; or bad usage
  128+N  signal N (SIGTERM 143, SIGINT 130, SIGHUP 129) arrived while waiting: stops at once
`;

const PERMANENT: ReadonlySet<string> = PERMANENT_DB_ERROR_CODES as ReadonlySet<ErrorCode>;

/** Outcome of one `SELECT 1`. */
type Attempt =
  | { readonly ok: true; readonly ms: number }
  | { readonly ok: false; readonly permanent: boolean; readonly reason: string; readonly message: string };

async function attempt(engine: DbEngine<unknown>, secrets: readonly string[]): Promise<Attempt> {
  const started = performance.now();
  try {
    await sql`select 1`.execute(engine.db);
    return { ok: true, ms: Math.round(performance.now() - started) };
  } catch (error) {
    const code = codeOf(error);
    const cause = error instanceof Error ? codeOf(error.cause) : undefined;
    const permanent = code !== undefined && PERMANENT.has(code);
    // The driver's code says more ("ECONNREFUSED", "57P03") than our wrapper's ERR_DB_CONNECTION.
    const transient = cause ?? code ?? (error instanceof Error ? error.name : 'error');
    return {
      ok: false,
      permanent,
      reason: permanent && cause !== undefined ? `${code}, ${cause}` : transient,
      message: scrubDbText(messageOf(error), secrets),
    };
  }
}

/** Waits `ms`, or less when a stop signal arrives first (the timer is cleared so it holds nothing open). */
function sleepUnlessStopped(ms: number, stopped: Promise<StopSignal>): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    void stopped.then(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/**
 * `express-m8 prestart`: retries `SELECT 1` until the database answers (exit 0, or the command's code), the
 * tries run out (1), a permanent error occurs (2), or SIGTERM/SIGINT/SIGHUP arrives while waiting (128 + N,
 * at once). Never prints the password: the target is shown redacted.
 */
export async function prestartCommand(
  argv: readonly string[],
  io: CliIo,
  signals: SignalSource = process,
): Promise<number> {
  const dash = argv.indexOf('--');
  const own = dash < 0 ? argv : argv.slice(0, dash);
  const command = dash < 0 ? [] : argv.slice(dash + 1);
  const args = parseCommandArgs(
    own,
    { 'max-tries': { type: 'string' }, interval: { type: 'string' }, timeout: { type: 'string' } },
    false,
  );
  if (args.values.help === true) {
    io.stdout(PRESTART_USAGE);
    return 0;
  }
  if (dash >= 0 && command.length === 0) throw new UsageError('"--" must be followed by a command');
  const maxTries = numberOption(args, 'max-tries', 300, { min: 1, integer: true });
  const intervalSeconds = numberOption(args, 'interval', 5, { min: 0, integer: false });
  const timeoutSeconds = numberOption(args, 'timeout', 5, { min: 0.001, integer: false });

  const settings = loadCliSettings(io, 'prestart');
  if (!isDatabaseConfigured(settings)) {
    // Booting a throw-away in-memory Pglite here would prove nothing about the app's database.
    io.stderr(
      '[prestart] no database configured; nothing to wait for ' +
        '(SELECTED_DB, DATABASE_URL, DB_HOST and PGLITE_DATA_DIR are all unset)\n',
    );
    return command.length > 0 ? runCommand(command, io, signals) : 0;
  }
  let engine: DbEngine<unknown>;
  let secrets: readonly string[];
  try {
    secrets = resolveDbTarget(settings).secrets;
    engine = createDbEngine<unknown>(settings, { acquireTimeoutMs: Math.ceil(timeoutSeconds * 1000) });
  } catch (error) {
    const code = codeOf(error);
    io.stderr(`[prestart] cannot use the database${code ? ` (${code})` : ''}: ${messageOf(error)}\n`);
    return 2;
  }

  // Installed for the whole wait loop: as PID 1 (Docker ENTRYPOINT, init container) Node would otherwise
  // ignore SIGTERM and SIGINT until the command runs.
  const stop = listenForStop(signals);
  let outcome: WaitOutcome = 'gave-up';
  let stopped: StopSignal | undefined;
  try {
    io.stderr(`[prestart] waiting for ${engine.target} (SELECTED_DB=${engine.kind})\n`);
    outcome = await waitForDatabase(engine, secrets, io, stop, maxTries, intervalSeconds);
  } finally {
    stopped = stop.received();
    // A try may still be connecting: after a signal the pool closes in the background (the executable exits
    // anyway) so the signal is answered at once.
    if (stopped === undefined) await engine.dispose();
    else void engine.dispose().catch(() => {});
    // Removed before the command is spawned: from then on runCommand forwards the signals.
    stop.remove();
  }
  if (stopped !== undefined) {
    io.stderr(
      `[prestart] received ${stopped.signal} while waiting for the database — stopped, exiting ${stopped.exitCode}\n`,
    );
    return stopped.exitCode;
  }
  if (outcome === 'permanent') return 2;
  if (outcome !== 'ready') return 1;
  return command.length > 0 ? runCommand(command, io, signals) : 0;
}

type WaitOutcome = 'ready' | 'gave-up' | 'permanent' | 'stopped';

/** The tries of `prestart`, one log line each, until the database answers, a permanent error, the last try or a stop signal. */
async function waitForDatabase(
  engine: DbEngine<unknown>,
  secrets: readonly string[],
  io: CliIo,
  stop: ReturnType<typeof listenForStop>,
  maxTries: number,
  intervalSeconds: number,
): Promise<WaitOutcome> {
  for (let n = 1; n <= maxTries; n++) {
    const result = await Promise.race([attempt(engine, secrets), stop.stopped]);
    if ('signal' in result) return 'stopped';
    const prefix = `[prestart] try ${n}/${maxTries}:`;
    if (result.ok) {
      io.stderr(`${prefix} database ready (${result.ms} ms)\n`);
      return 'ready';
    }
    if (result.permanent) {
      io.stderr(`${prefix} permanent error (${result.reason}) — not retrying: ${result.message}\n`);
      return 'permanent';
    }
    if (n === maxTries) {
      io.stderr(`${prefix} database not ready (${result.reason}) — giving up: ${result.message}\n`);
      return 'gave-up';
    }
    io.stderr(`${prefix} database not ready (${result.reason}) — retrying in ${intervalSeconds}s\n`);
    await sleepUnlessStopped(intervalSeconds * 1000, stop.stopped);
    if (stop.received() !== undefined) return 'stopped';
  }
  return 'gave-up';
}
