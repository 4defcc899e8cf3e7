import { createRequire } from 'node:module';
import { hostname } from 'node:os';
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Settings } from '../settings/index.js';
import { REDACTED, redactPaths } from './redact.js';

/** Options of {@link createLogger}. */
export interface CreateLoggerOptions {
  /** Where JSON lines go; default a synchronous `pino.destination(1)` (stdout). */
  readonly destination?: DestinationStream | NodeJS.WritableStream;
  /** A ready pino logger to use as is (`CreateAppOptions.logger`); everything else is then ignored. */
  readonly logger?: Logger;
  /** The `service` field of every line; default PROJECT_NAME. */
  readonly serviceName?: string;
  /** Whether stdout is a terminal; default `process.stdout.isTTY`. Pretty printing needs it and `local`. */
  readonly isTTY?: boolean;
  /** The module giving pretty output; default `pino-pretty` (an optional peer; JSON when it is missing). */
  readonly prettyModule?: string;
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
 * `secret`, `ACCESS_SECRET_KEY` at the top level and under `body`, `user`, `config`, … — see `SECRET_PARENTS`) as `[REDACTED]`. Pretty output only when
 * `ENVIRONMENT=local` and stdout is a TTY and `pino-pretty` is installed. Writes synchronously by default:
 * an async destination under saturation grows memory without bound (PERF-NOTES).
 * @example
 * const logger = createLogger(settings, { serviceName: 'orders' });
 * logger.info({ port: 8000 }, 'listening');
 */
export function createLogger(
  settings: Pick<Settings, 'LOG_LEVEL' | 'ENVIRONMENT' | 'PROJECT_NAME'>,
  options: CreateLoggerOptions = {},
): Logger {
  if (options.logger !== undefined) return options.logger;
  const pinoOptions = {
    level: settings.LOG_LEVEL,
    base: {
      pid: process.pid,
      hostname: hostname(),
      service: options.serviceName ?? settings.PROJECT_NAME,
      env: settings.ENVIRONMENT,
    },
    redact: { paths: redactPaths(), censor: REDACTED },
  };
  const wantsPretty = settings.ENVIRONMENT === 'local' && (options.isTTY ?? process.stdout.isTTY === true);
  if (wantsPretty) {
    const pretty = loadPretty(options.prettyModule ?? 'pino-pretty');
    if (pretty !== undefined) {
      return pino(pinoOptions, pretty({ sync: true, destination: options.destination ?? 1 }));
    }
  }
  const destination = options.destination ?? pino.destination({ dest: 1, sync: true });
  const logger = pino(pinoOptions, destination);
  if (wantsPretty) logger.debug('pino-pretty is not installed: logging JSON (npm install -D pino-pretty)');
  return logger;
}
