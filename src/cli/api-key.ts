import {
  API_KEY_ROLES,
  type ApiKeyInfo,
  type ApiKeyManager,
  apiKeyTables,
  createApiKeyManager,
} from '../apikeys/index.js';
import { createDbEngine, type DbEngine, resolveDbTarget, scrubDbText } from '../db/index.js';
import { parseCommandArgs, stringOption } from './args.js';
import { CliExit, type CliIo, codeOf, loadCliSettings, messageOf, UsageError } from './io.js';

/** The `express-m8 api-key --help` text. */
export const API_KEY_USAGE = `Usage: express-m8 api-key create --name N [--role user] [--scopes a,b] [--expires-in 90d]
       express-m8 api-key list [--json]
       express-m8 api-key revoke <id|prefix>

Manages the local API keys (API_KEYS=local) in <TABLES_PREFIX>_api_keys of the configured database
(create the table first with "express-m8 migrate up"). The table stores an HMAC-SHA256 of each key under
API_KEY_PEPPER, never the key: "create" prints the key once, on stdout; nothing can show it again.

  create    make a key; --role user|reader|writer|admin (default user), --scopes a comma list,
            --expires-in N followed by s, m, h, d or w (default: never expires)
  list      every key, newest first: id, prefix, name, role, scopes, status and times (never a secret)
  revoke    refuse a key from now on (services notice within API_KEY_CACHE_TTL_SECONDS)

Options:
  --json        list: print a JSON array
  -h, --help    show this help

Exit codes: 0 done; 1 the database failed, or revoke found no such key; 2 bad usage or invalid settings.
`;

const UNITS: Readonly<Record<string, number>> = { s: 1e3, m: 60e3, h: 3600e3, d: 86_400e3, w: 604_800e3 };

/** `90d` → milliseconds; a UsageError for anything else. */
function parseDuration(text: string): number {
  const match = /^(\d{1,6})([smhdw])$/.exec(text.trim());
  const ms = match ? Number(match[1]) * UNITS[match[2]!]! : 0;
  if (ms <= 0) {
    throw new UsageError(
      `--expires-in must be a positive number followed by s, m, h, d or w, such as 90d (got ${JSON.stringify(text)})`,
    );
  }
  return ms;
}

function iso(date: Date | null): string {
  return date === null ? '-' : date.toISOString();
}

function status(info: ApiKeyInfo, now: number): string {
  if (info.revokedAt !== null) return 'revoked';
  if (info.expiresAt !== null && info.expiresAt.getTime() <= now) return 'expired';
  return 'active';
}

function row(info: ApiKeyInfo, now: number): string {
  return [
    info.id,
    `m8_${info.prefix}`,
    status(info, now).padEnd(7),
    info.role.padEnd(6),
    `name=${JSON.stringify(info.name)}`,
    `scopes=${info.scopes.join(',') || '-'}`,
    `created=${iso(info.createdAt)}`,
    `expires=${iso(info.expiresAt)}`,
    `revoked=${iso(info.revokedAt)}`,
    `last_used=${iso(info.lastUsedAt)}`,
  ].join('  ');
}

/** What one action will do once the database is open; its arguments are checked before anything connects. */
type Plan = (manager: ApiKeyManager) => Promise<number>;

function planCreate(argv: readonly string[], io: CliIo): Plan {
  const args = parseCommandArgs(
    argv,
    {
      name: { type: 'string' },
      role: { type: 'string' },
      scopes: { type: 'string' },
      'expires-in': { type: 'string' },
    },
    false,
  );
  const name = stringOption(args, 'name');
  if (name === undefined) throw new UsageError('create needs --name');
  const role = stringOption(args, 'role') ?? 'user';
  if (!(API_KEY_ROLES as readonly string[]).includes(role)) {
    throw new UsageError(`--role must be one of ${API_KEY_ROLES.join(', ')} (got ${JSON.stringify(role)})`);
  }
  const scopes = (stringOption(args, 'scopes') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const expiresIn = stringOption(args, 'expires-in');
  const lifetime = expiresIn === undefined ? undefined : parseDuration(expiresIn);
  return async (manager) => {
    const expiresAt = lifetime === undefined ? null : new Date(Date.now() + lifetime);
    let created: Awaited<ReturnType<ApiKeyManager['create']>>;
    try {
      created = await manager.create({
        name,
        role: role as (typeof API_KEY_ROLES)[number],
        scopes,
        expiresAt,
      });
    } catch (error) {
      if (error instanceof TypeError) throw new UsageError(error.message);
      throw error;
    }
    io.stdout(`${created.key}\n`);
    io.stderr(
      `created API key ${created.id} (m8_${created.prefix}, role ${created.role}, expires ${iso(created.expiresAt)}); ` +
        'the key above is shown only now: store it in a secret manager\n',
    );
    return 0;
  };
}

function planList(argv: readonly string[], io: CliIo): Plan {
  const args = parseCommandArgs(argv, { json: { type: 'boolean' } }, false);
  return async (manager) => {
    const keys = await manager.list();
    if (args.values.json === true) io.stdout(`${JSON.stringify(keys, null, 2)}\n`);
    else {
      const now = Date.now();
      for (const info of keys) io.stdout(`${row(info, now)}\n`);
      io.stderr(`${keys.length} API key${keys.length === 1 ? '' : 's'}\n`);
    }
    return 0;
  };
}

function planRevoke(argv: readonly string[], io: CliIo): Plan {
  const args = parseCommandArgs(argv, {}, true);
  const [target, ...extra] = args.positionals;
  if (target === undefined) throw new UsageError('revoke needs the key id or prefix');
  if (extra.length > 0) throw new UsageError(`unexpected argument ${JSON.stringify(extra[0])}`);
  return async (manager) => {
    const info = await manager.revoke(
      target.startsWith('m8_') && target.length === 11 ? target.slice(3) : target,
    );
    if (info === undefined) {
      io.stderr(`express-m8 api-key revoke: no API key has the id or prefix ${JSON.stringify(target)}\n`);
      return 1;
    }
    io.stdout(`${row(info, Date.now())}\n`);
    return 0;
  };
}

/** `express-m8 api-key create|list|revoke`. */
export async function apiKeyCommand(argv: readonly string[], io: CliIo): Promise<number> {
  const [action, ...rest] = argv;
  if (action === undefined || action === '--help' || action === '-h') {
    if (action === undefined) throw new UsageError('missing the action: create, list or revoke');
    io.stdout(API_KEY_USAGE);
    return 0;
  }
  if (action !== 'create' && action !== 'list' && action !== 'revoke') {
    throw new UsageError(`unknown action ${JSON.stringify(action)}: expected create, list or revoke`);
  }
  if (rest.includes('--help') || rest.includes('-h')) {
    io.stdout(API_KEY_USAGE);
    return 0;
  }
  const plan = { create: planCreate, list: planList, revoke: planRevoke }[action](rest, io);
  const settings = loadCliSettings(io, 'api-key');
  if (settings.API_KEYS !== 'local') {
    io.stderr(`warning: API_KEYS is ${settings.API_KEYS}, not local: services will not accept these keys\n`);
  }
  let engine: DbEngine<unknown>;
  let manager: ApiKeyManager;
  let secrets: readonly string[];
  try {
    secrets = resolveDbTarget(settings).secrets;
    engine = createDbEngine<unknown>(settings);
    manager = createApiKeyManager(engine, settings);
  } catch (error) {
    io.stderr(`express-m8 api-key: ${messageOf(error)}\n`);
    throw new CliExit(2);
  }
  try {
    return await plan(manager);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    const code = codeOf(error);
    const table = apiKeyTables(settings.TABLES_PREFIX).keys;
    io.stderr(
      `express-m8 api-key ${action}: failed: ${scrubDbText(messageOf(error), secrets)}${code ? ` (${code})` : ''}\n` +
        `  (is ${table} there? create it with "express-m8 migrate up" and API_KEYS=local)\n`,
    );
    return 1;
  } finally {
    await engine.dispose();
  }
}
