import { createServer, type Server } from 'node:http';
import { type AddressInfo, isIPv6 } from 'node:net';
import { Server as TlsServer } from 'node:tls';
import { LifecycleError, SettingsError } from '../errors.js';
import { createAppServerWith } from '../http/server.js';
import { abandonLogFlush, flushLogsBeforeExit } from '../logging/destination.js';
import { getLifecycle } from './binding.js';
import { hardenServer } from './harden.js';
import { type ExitFunction, installSignalHandlers, type SignalSource } from './signals.js';
import type { LifecycleLogger, M8App } from './types.js';

/** Port used when neither `options.port` nor `PORT` is given. */
const DEFAULT_PORT = 8000;
/** Host used when `options.host` is not given: every IPv4 interface, as containers need. */
const DEFAULT_HOST = '0.0.0.0';
/**
 * Longer than the 60 s idle timeout of common load balancers (AWS ALB, GCP, nginx): the balancer, not us,
 * closes idle keep-alive connections, so it never sends a request on a socket we are closing.
 */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/**
 * Where `serve()` listens.
 *
 * @example
 * await serve(app, { port: 8080, host: '127.0.0.1' });
 */
export interface ServeOptions {
  /** Default: `PORT` from the environment, else 8000. `0` picks a free port. */
  port?: number;
  /** Default `0.0.0.0`. */
  host?: string;
  /**
   * Opt-in: serve through `createAppServer`, whose requests are born with the app's Express prototypes
   * (~2.3–2.5× fewer instructions for bare Express on Node 20 and 22). Ignored, with one warning, on V8 ≥ 13
   * (Node 24+), where it is slower, and when its start-up self-test fails. Default `false`: a stock
   * `http.createServer(app)`. Not allowed together with `server`. See docs/lifecycle.md for what it changes.
   */
  appServerClasses?: boolean;
  /**
   * A server you built (`http.createServer()`, `https.createServer({ key, cert })`, `createAppServer(app)`), not
   * yet listening. The app becomes its `request` listener unless it already has one; `serve()` sets the same
   * timeouts as on its own server, listens, and drains it on shutdown.
   */
  server?: Server;
}

/** What tests inject into {@link serveWith}; `serve()` uses the real ones. Internal: not exported by the package. */
export interface ServeInternals {
  /** Signal source (default `process`). */
  signals?: SignalSource;
  /** Process exit (default `process.exit`). */
  exit?: ExitFunction;
  /** Environment read for `PORT` (default `process.env`). */
  env?: Readonly<Record<string, string | undefined>>;
  /** The V8 major `appServerClasses` decides on (default: the running one). */
  v8Major?: number;
}

/**
 * A listening app.
 *
 * @example
 * const running = await serve(app, { port: 0 });
 * await fetch(`${running.url}/api/ping`);
 * await running.close();
 */
export interface RunningServer {
  /** `http://host:port`; an unspecified host (`0.0.0.0`, `::`) is shown as loopback so the URL is usable. */
  readonly url: string;
  readonly server: Server;
  /** Stops the app gracefully (same path as SIGTERM, without exiting) and removes the signal handlers. */
  close(): Promise<void>;
}

function resolvePort(port: number | undefined, env: Readonly<Record<string, string | undefined>>): number {
  if (port !== undefined) return port;
  const raw = env['PORT'];
  if (raw === undefined || raw.trim() === '') return DEFAULT_PORT;
  const value = Number(raw.trim());
  if (!/^\d+$/.test(raw.trim()) || value > 65_535) {
    throw new SettingsError([
      { variable: 'PORT', message: `must be an integer from 0 to 65535 (got "${raw}")` },
    ]);
  }
  return value;
}

function formatUrl(address: AddressInfo, scheme: 'http' | 'https'): string {
  const host =
    address.address === '0.0.0.0' ? '127.0.0.1' : address.address === '::' ? '::1' : address.address;
  return `${scheme}://${isIPv6(host) ? `[${host}]` : host}:${address.port}`;
}

/**
 * The server to listen on: the caller's (the app as its request listener when it has none), else a stock
 * `http.createServer(app)`, or the app server classes when opted in.
 */
function serverFor(
  app: M8App,
  options: ServeOptions,
  v8Major: number | undefined,
  logger: LifecycleLogger,
): Server {
  const { server } = options;
  if (server === undefined) {
    return options.appServerClasses === true
      ? createAppServerWith(app, { logger }, { v8Major })
      : createServer(app);
  }
  if (server.listenerCount('request') === 0) server.on('request', app);
  return server;
}

/** Why a caller-built server cannot be served, checked before the app starts. */
function unusableServer(options: ServeOptions): string | undefined {
  const { server } = options;
  if (server === undefined) return undefined;
  if (options.appServerClasses === true) {
    return 'serve() cannot give a server you built the app server classes (a server instantiates the classes it was created with): build it with createAppServer(app) and pass only { server }';
  }
  if (server.listening)
    return 'serve() needs a server that is not listening yet: it listens itself and must see every connection to drain them on shutdown';
  return undefined;
}

function listen(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error): void => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
}

/**
 * Starts the app (a no-op when already started), listens, and installs SIGTERM/SIGINT handlers for graceful
 * shutdown (docs/lifecycle.md): the first signal stops the app and exits 0 (1 on timeout or teardown failure), a second
 * signal exits 1 at once. Logs one `listening` line with the URL.
 *
 * @example
 * const running = await serve(createApp(loadSettings(), router), { port: 8080 });
 * @throws {LifecycleError} `ERR_LIFECYCLE_STARTUP` when `start()` fails, the app was not made by `createApp`, or
 * `options.server` is already listening or comes with `appServerClasses`.
 * @throws {SettingsError} `ERR_SETTINGS_INVALID` when `PORT` is not a port number.
 * Listen errors (`EADDRINUSE`, …) are rethrown after the app is stopped.
 */
export function serve(app: M8App, options: ServeOptions = {}): Promise<RunningServer> {
  return serveWith(app, options, {});
}

/**
 * `serve()` with the process seams swapped: signal source, exit, environment and V8 major. Internal: tests
 * import it from `src/lifecycle/`; the package exports only `serve()`.
 * @example
 * const running = await serveWith(app, { port: 0 }, { signals: new EventEmitter(), exit: (code) => codes.push(code) });
 */
export async function serveWith(
  app: M8App,
  options: ServeOptions,
  internals: ServeInternals,
): Promise<RunningServer> {
  const lifecycle = getLifecycle(app);
  if (!lifecycle) {
    throw new LifecycleError(
      'ERR_LIFECYCLE_STARTUP',
      'serve() needs an app made by createApp (this object has no express-m8 lifecycle)',
    );
  }
  const unusable = unusableServer(options);
  if (unusable !== undefined) throw new LifecycleError('ERR_LIFECYCLE_STARTUP', unusable);
  const port = resolvePort(options.port, internals.env ?? process.env);
  const host = options.host ?? DEFAULT_HOST;
  const { logger } = lifecycle;
  await app.start();

  const server = serverFor(app, options, internals.v8Major, logger);
  server.keepAliveTimeout = KEEP_ALIVE_TIMEOUT_MS;
  hardenServer(server, {
    requestTimeoutSeconds: lifecycle.settings.REQUEST_TIMEOUT_SECONDS,
    securityHeaders: lifecycle.settings.SECURITY_HEADERS_ENABLED,
  });
  const detach = lifecycle.attachServer(server);
  try {
    await listen(server, port, host);
  } catch (error) {
    detach();
    logger.error({ err: error, port, host }, 'listen failed; stopping the app');
    await app.stop().catch((err: unknown) => logger.error({ err }, 'stop after failed listen also failed'));
    throw error;
  }

  const url = formatUrl(server.address() as AddressInfo, server instanceof TlsServer ? 'https' : 'http');
  const removeSignalHandlers = installSignalHandlers(
    internals.signals ?? process,
    () => app.stop(),
    internals.exit ?? ((code) => process.exit(code)),
    logger,
    { flush: () => flushLogsBeforeExit(), abandon: abandonLogFlush },
  );
  logger.info({ url, port: (server.address() as AddressInfo).port, host }, `listening on ${url}`);

  let closing: Promise<void> | undefined;
  return {
    url,
    server,
    close() {
      closing ??= app.stop().finally(removeSignalHandlers);
      return closing;
    },
  };
}
