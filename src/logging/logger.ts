import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import pino, { type DestinationStream, type Logger } from 'pino';
import { scrubError } from '../redaction/index.js';
import type { Settings } from '../settings/index.js';
import { createStdoutDestination } from './destination.js';
import { REDACTED, redactPaths } from './redact.js';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /**
   * Where JSON lines go; default stdout through an asynchronous destination whose buffer is bounded by
   * {@link MAX_BUFFERED_LOG_BYTES}.
   */
  readonly destination?: DestinationStream | NodeJS.WritableStream;
  /**
   * A ready pino logger (`CreateAppOptions.logger`); everything else is then ignored. The library logs through
   * a child of it (no extra bindings; same level, destination and serializers) whose `err` serializer scrubs.
   */
  readonly logger?: Logger;
  /** The `service` field of every line; default PROJECT_NAME. */
  readonly serviceName?: string;
  /** Whether stdout is a terminal; default `process.stdout.isTTY`. Pretty printing needs it and `local`. */
  readonly isTTY?: boolean;
  /** The module giving pretty output; default `pino-pretty` (an optional peer; JSON when it is missing). */
  readonly prettyModule?: string;
}

/** The most log output held in memory while stdout is slow; beyond it, lines are dropped. */
const MAX_BUFFERED_LOG_BYTES = 16 * 1024 * 1024;
/** Log lines are written in batches of at least this many bytes (one syscall per batch)... */
const LOG_BATCH_BYTES = 16 * 1024;
/** ...or at least this often, whichever comes first. */
const LOG_FLUSH_INTERVAL_MS = 250;
/** The most written in one syscall. */
const LOG_MAX_WRITE_BYTES = 64 * 1024;

/**
 * The consumer's logger, as a child whose `err` serializer scrubs every property of the errors the library
 * logs (500s, startup and teardown failures): the consumer's own logger would write an HTTP client error's
 * `config.headers.Authorization` as is. A custom `err` serializer of theirs still runs first. A child follows
 * its parent's level changes, and has the same bindings and destination.
 */
function withErrorScrubbing(logger: Logger): Logger {
  if (typeof logger.child !== 'function') return logger;
  const serializers = (logger as unknown as Record<symbol, unknown>)[pino.symbols.serializersSym] as
    | Record<string, unknown>
    | undefined;
  const own = serializers?.err;
  if (own === scrubError) return logger;
  const err =
    typeof own === 'function' && own !== pino.stdSerializers.err
      ? (value: unknown): unknown => {
          try {
            return scrubError((own as (e: unknown) => unknown)(value));
          } catch {
            return scrubError(value);
          }
        }
      : scrubError;
  return logger.child({}, { serializers: { err } });
}

type PrettyFactory = (options: Record<string, unknown>) => DestinationStream;

function loadPretty(id: string): PrettyFactory | undefined {
  try {
    const loaded = createRequire(import.meta.url)(id) as PrettyFactory | { default?: PrettyFactory };
    if (typeof loaded === 'function') return loaded;
    return typeof loaded.default === 'function' ? loaded.default : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The pino logger of the app: level LOG_LEVEL, JSON lines, secrets redacted (`authorization`, `cookie`,
 * `set-cookie`, `x-internal-token`, `x-api-key` headers and secret-named fields such as `password`, `token`,
 * `secret`, `ACCESS_SECRET_KEY` at the top level and under `body`, `user`, `config`, … — see `SECRET_PARENTS`) as `[REDACTED]`. Every
 * property of an error logged under `err` is scrubbed (`scrubError`: secret-named keys, URL userinfo, secret
 * pairs, bearer tokens, JWTs), bounded in depth and size. Pretty output only when
 * `ENVIRONMENT=local` and stdout is a TTY and `pino-pretty` is installed. Writes asynchronously in batches (16 KiB or
 * 250 ms, whichever first) through a bounded buffer (16 MiB): lines are batched and dropped, never queued without bound, when stdout
 * cannot keep up; the buffer is flushed for at most 2 s when the process exits (see `createStdoutDestination`).
 * @example
 * const logger = createLogger(settings, { serviceName: 'orders' });
 * logger.info({ port: 8000 }, 'listening');
 */
export function createLogger(
  settings: Pick<Settings, 'LOG_LEVEL' | 'ENVIRONMENT' | 'PROJECT_NAME'>,
  options: CreateLoggerOptions = {},
): Logger {
  if (options.logger !== undefined) return withErrorScrubbing(options.logger);
  const pinoOptions = {
    level: settings.LOG_LEVEL,
    base: {
      pid: process.pid,
      hostname: hostname(),
      service: options.serviceName ?? settings.PROJECT_NAME,
      env: settings.ENVIRONMENT,
    },
    redact: { paths: redactPaths(), censor: REDACTED },
    // Every property of a logged error is scrubbed, not only its message: an HTTP client error carries the
    // request's `config.headers.Authorization`, a driver error the DSN in `input`, causes carry their own.
    serializers: { err: scrubError },
  };
  const wantsPretty = settings.ENVIRONMENT === 'local' && (options.isTTY ?? process.stdout.isTTY === true);
  if (wantsPretty) {
    const pretty = loadPretty(options.prettyModule ?? 'pino-pretty');
    if (pretty !== undefined) {
      return pino(pinoOptions, pretty({ sync: true, destination: options.destination ?? 1 }));
    }
  }
  // Asynchronous, batched and bounded: lines gather into 16 KiB batches (or 250 ms) so many lines share one
  // syscall and the event loop never waits on stdout; past MAX_BUFFERED_LOG_BYTES lines
  // are dropped rather than growing memory without bound (docs/architecture.md, "Speed": an unbounded async destination grew
  // RSS from 19 to 67 MB in 10 s). What is buffered at exit is written for at most 2 s.
  const destination =
    options.destination ??
    createStdoutDestination({
      // Lines are written in batches of at least 16 KiB (about 40 request lines), and at least every
      // 250 ms, so a quiet service still shows its logs at once.
      minLength: LOG_BATCH_BYTES,
      maxWrite: LOG_MAX_WRITE_BYTES,
      periodicFlush: LOG_FLUSH_INTERVAL_MS,
      maxLength: MAX_BUFFERED_LOG_BYTES,
    });
  const logger = pino(pinoOptions, destination);
  if (wantsPretty) logger.debug('pino-pretty is not installed: logging JSON (npm install -D pino-pretty)');
  return logger;
}
