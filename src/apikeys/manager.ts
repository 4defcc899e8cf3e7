import { createSecretKey, randomUUID } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ROLES, type Role } from '../auth/types.js';
import type { DbEngine } from '../db/index.js';
import { SettingsError } from '../errors.js';
import type { Settings } from '../settings/types.js';
import { apiKeyDigest, apiKeyPrefix, generateApiKey } from './format.js';
import { type ApiKeyDatabase, type ApiKeyRow, apiKeyTables, epochMs, migrateLibrary } from './store.js';

/** Roles a local key may carry: `superadmin` is refused (a leaked key must never be a superuser). */
export const API_KEY_ROLES = ROLES.filter((r) => r !== 'superadmin') as readonly Exclude<
  Role,
  'superadmin'
>[];
/** RFC 6749 §3.3 scope-token: visible ASCII except space, `"` and `\`. */
const SCOPE = /^[\x21\x23-\x5b\x5d-\x7e]{1,200}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_SCOPES_TEXT = 2000;

/** What a stored key looks like from outside: never its secret or digest. */
export interface ApiKeyInfo {
  readonly id: string;
  /** The public lookup prefix (the 8 characters after `m8_`). */
  readonly prefix: string;
  readonly name: string;
  readonly role: Role;
  readonly scopes: readonly string[];
  readonly createdAt: Date;
  readonly expiresAt: Date | null;
  readonly revokedAt: Date | null;
  readonly lastUsedAt: Date | null;
}

/** A key just created: its info plus the key itself, shown once and stored nowhere. */
export interface CreatedApiKey extends ApiKeyInfo {
  readonly key: string;
}

/** Options of {@link ApiKeyManager.create}. */
export interface CreateApiKeyOptions {
  /** A label for people (1–200 characters). */
  readonly name: string;
  /** Default `user`; `superadmin` is refused. */
  readonly role?: Exclude<Role, 'superadmin'>;
  readonly scopes?: readonly string[];
  /** `null` or absent: never expires. */
  readonly expiresAt?: Date | null;
}

/** Administration of the local API keys (`API_KEYS=local`) of one database. */
export interface ApiKeyManager {
  /** Creates `{TABLES_PREFIX}_api_keys` if needed (the library's migration); resolves with what it applied. */
  migrate(): Promise<readonly string[]>;
  /** Makes a key; the returned `key` is the only copy. @throws TypeError on a bad name, role or scope. */
  create(options: CreateApiKeyOptions): Promise<CreatedApiKey>;
  /** Every key, newest first. */
  list(): Promise<readonly ApiKeyInfo[]>;
  /** Revokes by id or prefix (or a whole key); `undefined` when no key matches. Revoking twice keeps the first time. */
  revoke(idOrPrefix: string): Promise<ApiKeyInfo | undefined>;
}

function infoOf(row: ApiKeyRow): ApiKeyInfo {
  const at = (v: ApiKeyRow['expires_at']): Date | null => {
    const ms = epochMs(v);
    return ms === null ? null : new Date(ms);
  };
  return Object.freeze({
    id: row.id,
    prefix: row.prefix,
    name: row.name,
    role: row.role as Role,
    scopes: Object.freeze(row.scopes === '' ? [] : row.scopes.split(' ')),
    createdAt: new Date(Number(row.created_at)),
    expiresAt: at(row.expires_at),
    revokedAt: at(row.revoked_at),
    lastUsedAt: at(row.last_used_at),
  });
}

function checkCreate(options: CreateApiKeyOptions): { role: Role; scopes: string } {
  const name = options.name;
  if (typeof name !== 'string' || name.trim() === '' || name.length > 200 || /\p{Cc}/u.test(name)) {
    throw new TypeError('name must be 1–200 characters without control characters');
  }
  const role = options.role ?? 'user';
  if (!(API_KEY_ROLES as readonly string[]).includes(role)) {
    throw new TypeError(`role must be one of ${API_KEY_ROLES.join(', ')} (got ${JSON.stringify(role)})`);
  }
  const scopes = [...new Set(options.scopes ?? [])];
  const bad = scopes.find((s) => !SCOPE.test(s));
  if (bad !== undefined) {
    throw new TypeError(
      `scope ${JSON.stringify(bad)} is not a scope token (visible ASCII, no space, " or \\)`,
    );
  }
  const text = scopes.join(' ');
  if (text.length > MAX_SCOPES_TEXT)
    throw new TypeError(`scopes must total at most ${MAX_SCOPES_TEXT} characters`);
  const expiresAt = options.expiresAt;
  if (expiresAt !== undefined && expiresAt !== null && Number.isNaN(expiresAt.getTime())) {
    throw new TypeError('expiresAt must be a valid Date');
  }
  return { role, scopes: text };
}

/**
 * Administers local API keys in the database of `engine`: the same calls `express-m8 api-key` makes.
 * @example
 * const keys = createApiKeyManager(engine, settings);
 * await keys.migrate();
 * const { key } = await keys.create({ name: 'billing-job', role: 'writer', scopes: ['items:write'] });
 * @throws SettingsError `ERR_SETTINGS_INVALID` when `API_KEY_PEPPER` is not set.
 */
export function createApiKeyManager<DB>(engine: DbEngine<DB>, settings: Settings): ApiKeyManager {
  if (settings.API_KEY_PEPPER === undefined) {
    throw new SettingsError([
      { variable: 'API_KEY_PEPPER', message: 'is required to create or check API keys; it is not set' },
    ]);
  }
  const pepper = createSecretKey(Buffer.from(settings.API_KEY_PEPPER, 'utf8'));
  const table = apiKeyTables(settings.TABLES_PREFIX).keys;
  const db = engine.db as unknown as Kysely<ApiKeyDatabase>;
  const find = (idOrPrefix: string) => {
    const prefix = apiKeyPrefix(idOrPrefix) ?? idOrPrefix;
    const column = UUID.test(idOrPrefix) ? 'id' : 'prefix';
    return db
      .selectFrom(table)
      .selectAll()
      .where(column, '=', column === 'id' ? idOrPrefix.toLowerCase() : prefix)
      .executeTakeFirst();
  };
  return Object.freeze({
    async migrate() {
      const results = await migrateLibrary(engine.db as unknown as Kysely<unknown>, settings.TABLES_PREFIX);
      return results.map((r) => r.migrationName);
    },
    async create(options: CreateApiKeyOptions): Promise<CreatedApiKey> {
      const { role, scopes } = checkCreate(options);
      const { key, prefix } = generateApiKey();
      const row: ApiKeyRow = {
        id: randomUUID(),
        prefix,
        secret_hash: apiKeyDigest(pepper, key).toString('hex'),
        name: options.name,
        role,
        scopes,
        created_at: Date.now(),
        expires_at: options.expiresAt ? options.expiresAt.getTime() : null,
        revoked_at: null,
        last_used_at: null,
      };
      await db.insertInto(table).values(row).execute();
      return Object.freeze({ ...infoOf(row), key });
    },
    async list() {
      const rows = await db.selectFrom(table).selectAll().orderBy('created_at', 'desc').execute();
      return rows.map(infoOf);
    },
    async revoke(idOrPrefix: string) {
      const row = await find(idOrPrefix);
      if (row === undefined) return undefined;
      if (row.revoked_at === null) {
        const now = Date.now();
        await db
          .updateTable(table)
          .set({ revoked_at: now })
          .where('id', '=', row.id)
          .where('revoked_at', 'is', null)
          .execute();
      }
      const after = await find(row.id);
      return after === undefined ? undefined : infoOf(after);
    },
  });
}
