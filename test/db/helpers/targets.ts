import type { Settings } from '../../../src/settings/types.js';
import { type TestSettingsOverrides, testSettings } from '../../../src/testing/index.js';

/** One database the shared suite runs against. */
export interface DbTargetCase {
  readonly name: string;
  readonly kind: Settings['SELECTED_DB'];
  /** `undefined` for the embedded database. */
  readonly server:
    | { readonly host: string; readonly port: number; readonly database: string; readonly user: string }
    | undefined;
  /** SQL returning the server-side id of the connection it runs on, as column `id`. */
  readonly backendIdSql: string;
  /** SQL that kills the server connection `id` (run from another engine). */
  readonly killSql: (id: number) => string;
  /** A query that runs for about `seconds`. */
  readonly sleepSql: (seconds: number) => string;
}

export const TARGETS: readonly DbTargetCase[] = [
  {
    name: 'embedded PGlite',
    kind: 'Pglite',
    server: undefined,
    backendIdSql: 'select pg_backend_pid() as id',
    killSql: (id) => `select pg_terminate_backend(${id})`,
    sleepSql: (s) => `select pg_sleep(${s})`,
  },
  {
    name: 'PostgreSQL server',
    kind: 'Postgres',
    server: { host: '127.0.0.1', port: 5432, database: 'test', user: 'postgres' },
    backendIdSql: 'select pg_backend_pid() as id',
    killSql: (id) => `select pg_terminate_backend(${id})`,
    sleepSql: (s) => `select pg_sleep(${s})`,
  },
  {
    name: 'MariaDB server',
    kind: 'Mysql',
    server: { host: '127.0.0.1', port: 3306, database: 'test', user: 'root' },
    backendIdSql: 'select connection_id() as id',
    killSql: (id) => `kill ${id}`,
    sleepSql: (s) => `select sleep(${s})`,
  },
];

const SCHEME = { Postgres: 'postgres', Mysql: 'mysql', Pglite: 'pglite' } as const;

/** `scheme://user[:password]@host:port/db` for a server target; the port can point at a proxy. */
export function urlFor(
  target: DbTargetCase,
  parts: { user?: string; password?: string; port?: number; database?: string } = {},
): string {
  const server = target.server;
  if (!server) throw new Error(`${target.name} has no server URL`);
  const user = encodeURIComponent(parts.user ?? server.user);
  const password = parts.password === undefined ? '' : `:${encodeURIComponent(parts.password)}`;
  return `${SCHEME[target.kind]}://${user}${password}@${server.host}:${parts.port ?? server.port}/${parts.database ?? server.database}`;
}

/** Settings for the target through the same validation `loadSettings` applies. */
export function settingsFor(target: DbTargetCase, overrides: TestSettingsOverrides = {}): Settings {
  const base: TestSettingsOverrides =
    target.server === undefined
      ? { SELECTED_DB: target.kind }
      : { SELECTED_DB: target.kind, DATABASE_URL: urlFor(target) };
  return testSettings({ ...base, ...overrides });
}

/**
 * Whether the target's server answers a TCP connection. In CI an unreachable server must fail the suite;
 * locally the suite is skipped with the reason printed in its title.
 */
export async function probe(target: DbTargetCase): Promise<string | undefined> {
  const server = target.server;
  if (!server) return undefined;
  const net = await import('node:net');
  return new Promise((resolve) => {
    const socket = net.connect(server.port, server.host);
    socket.setTimeout(2000);
    socket.once('connect', () => {
      socket.destroy();
      resolve(undefined);
    });
    socket.once('timeout', () => {
      socket.destroy();
      resolve(`no answer from ${server.host}:${server.port} within 2 s`);
    });
    socket.once('error', (error) => resolve(`${server.host}:${server.port}: ${error.message}`));
  });
}

/** A log sink with the DbLogger shape, keeping every line for assertions. */
export function logSink(): {
  lines: Array<Record<string, unknown>>;
  logger: {
    warn(obj: object, msg: string): void;
    error(obj: object, msg: string): void;
    info(obj: object, msg: string): void;
    debug(obj: object, msg: string): void;
  };
} {
  const lines: Array<Record<string, unknown>> = [];
  const at =
    (level: string) =>
    (obj: object, msg: string): void => {
      lines.push({ level, ...obj, msg });
    };
  return {
    lines,
    logger: { warn: at('warn'), error: at('error'), info: at('info'), debug: at('debug') },
  };
}

/** A unique, lower-case identifier for tables created by one test run. */
export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${Date.now().toString(36)}_${Math.random().toString(36).slice(2, 8)}`;
}
