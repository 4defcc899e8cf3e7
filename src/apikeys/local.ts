import type { KeyObject } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Rejection } from '../auth/rejections.js';
import { type AuthContext, type AuthUser, ROLES, type Role } from '../auth/types.js';
import { apiKeyDigest, apiKeyPrefix, digestMatches } from './format.js';
import { API_KEY_REJECT } from './rejections.js';
import { type ApiKeyDatabase, type ApiKeyRow, epochMs } from './store.js';
import { type ApiKeyAuthenticator, type ApiKeyOutcome, apiKeyUser } from './types.js';

/** `last_used_at` is written at most once a minute per key. */
const LAST_USED_INTERVAL_MS = 60_000;
/** Pending `last_used_at` writes are flushed this long after the first one (and at close). */
const FLUSH_DELAY_MS = 5_000;
/** An unknown prefix is remembered at most this long (bounded by the cache TTL too). */
const NEGATIVE_TTL_MS = 5_000;
const ROLE_SET: ReadonlySet<string> = new Set(ROLES);

export interface LocalApiKeysOptions {
  readonly db: Kysely<unknown>;
  readonly table: string;
  readonly pepper: KeyObject;
  readonly cacheTtlMs: number;
  readonly cacheSize: number;
  readonly now: () => number;
  readonly ctx: AuthContext;
}

/** What the table said about a prefix, until `until`. `row` null: no such prefix. */
interface RowEntry {
  readonly row: ApiKeyRow | null;
  readonly until: number;
  user?: AuthUser;
}

/** A key that matched: the user, trusted until `until` (cache TTL, never past the key's expiry). */
interface KnownKey {
  readonly user: AuthUser;
  readonly id: string;
  readonly until: number;
  /** When this entry last recorded a use: a cached request within the interval skips `#touch` entirely. */
  touchedAt: number;
}

function setBounded<K, V>(map: Map<K, V>, key: K, value: V, size: number): void {
  if (size <= 0) return;
  if (map.size >= size && !map.has(key)) {
    const oldest = map.keys().next();
    if (oldest.done !== true) map.delete(oldest.value);
  }
  map.set(key, value);
}

/**
 * Checks keys against `{TABLES_PREFIX}_api_keys`. A key seen within the cache TTL is answered from a Map keyed
 * by the exact key string: no digest, no query (only a key that already matched its stored digest, compared
 * in constant time, enters that Map), and its use is recorded at most once a minute without a second lookup.
 * Otherwise the row is looked up by its public prefix (one query shared by concurrent requests, the answer
 * cached per prefix, unknown prefixes too) and the HMAC of the key compared in constant time. Revocation and
 * expiry therefore take effect within the TTL.
 */
export class LocalApiKeys implements ApiKeyAuthenticator {
  readonly mode = 'local' as const;
  readonly #o: LocalApiKeysOptions;
  readonly #db: Kysely<ApiKeyDatabase>;
  readonly #known = new Map<string, KnownKey>();
  readonly #rows = new Map<string, RowEntry>();
  readonly #inflight = new Map<string, Promise<RowEntry | undefined>>();
  readonly #lastUse = new Map<string, number>();
  readonly #pending = new Map<string, number>();
  #timer: NodeJS.Timeout | undefined;
  #flushing: Promise<void> = Promise.resolve();
  #closed = false;

  constructor(options: LocalApiKeysOptions) {
    this.#o = options;
    this.#db = options.db as unknown as Kysely<ApiKeyDatabase>;
  }

  authenticate(key: string): ApiKeyOutcome {
    const now = this.#o.now();
    const known = this.#known.get(key);
    if (known !== undefined) {
      if (now < known.until) {
        if (now - known.touchedAt >= LAST_USED_INTERVAL_MS) {
          known.touchedAt = now;
          this.#touch(known.id, now);
        }
        return known.user;
      }
      this.#known.delete(key);
    }
    const prefix = apiKeyPrefix(key);
    if (prefix === undefined) return API_KEY_REJECT.invalid;
    const entry = this.#rows.get(prefix);
    if (entry !== undefined && now < entry.until) return this.#decide(key, entry, now);
    return this.#lookup(prefix).then((fresh) =>
      fresh === undefined ? API_KEY_REJECT.unavailable : this.#decide(key, fresh, this.#o.now()),
    );
  }

  #decide(key: string, entry: RowEntry, now: number): AuthUser | Rejection {
    const row = entry.row;
    if (row === null || !digestMatches(apiKeyDigest(this.#o.pepper, key), row.secret_hash)) {
      return API_KEY_REJECT.invalid;
    }
    const expiresAt = epochMs(row.expires_at);
    // Any revocation time counts, even one ahead of this host's clock: revoking is never scheduled.
    if (row.revoked_at !== null || (expiresAt !== null && expiresAt <= now)) {
      return API_KEY_REJECT.invalid;
    }
    if (!ROLE_SET.has(row.role)) return API_KEY_REJECT.invalid;
    entry.user ??= apiKeyUser({
      id: row.id,
      role: row.role as Role,
      scopes: row.scopes === '' ? [] : row.scopes.split(' '),
      name: row.name,
    });
    const until = expiresAt === null ? entry.until : Math.min(entry.until, expiresAt);
    setBounded(this.#known, key, { user: entry.user, id: row.id, until, touchedAt: now }, this.#o.cacheSize);
    this.#touch(row.id, now);
    return entry.user;
  }

  /** One query per prefix at a time; `undefined` when the database could not answer. */
  #lookup(prefix: string): Promise<RowEntry | undefined> {
    let pending = this.#inflight.get(prefix);
    if (pending === undefined) {
      pending = this.#query(prefix).finally(() => this.#inflight.delete(prefix));
      this.#inflight.set(prefix, pending);
    }
    return pending;
  }

  async #query(prefix: string): Promise<RowEntry | undefined> {
    let row: ApiKeyRow | undefined;
    try {
      row = await this.#db
        .selectFrom(this.#o.table)
        .selectAll()
        .where('prefix', '=', prefix)
        .executeTakeFirst();
    } catch (error) {
      this.#o.ctx.logger.error(
        { event: 'api_key_lookup_failed', err: error, key_prefix: prefix },
        'API key lookup failed; refusing with 503',
      );
      return undefined;
    }
    const ttl = this.#o.cacheTtlMs;
    const now = this.#o.now();
    const entry: RowEntry = { row: row ?? null, until: now + (row ? ttl : Math.min(ttl, NEGATIVE_TTL_MS)) };
    if (ttl > 0) setBounded(this.#rows, prefix, entry, this.#o.cacheSize);
    return entry;
  }

  /** Warns (never throws) when the keys table cannot be read, typically because it was never migrated. */
  async start(): Promise<void> {
    try {
      await this.#db.selectFrom(this.#o.table).select('id').limit(1).execute();
    } catch (error) {
      this.#o.ctx.logger.warn(
        {
          event: 'api_keys_table_unreadable',
          table: this.#o.table,
          code: (error as { code?: unknown }).code,
        },
        `API_KEYS=local but ${this.#o.table} cannot be read: create it with "express-m8 migrate up"; every API key is answered 503 until then`,
      );
    }
  }

  /** Records a use; the write happens in a batch, at most once per key per minute. */
  #touch(id: string, now: number): void {
    const last = this.#lastUse.get(id);
    if (last !== undefined && now - last < LAST_USED_INTERVAL_MS) return;
    if (this.#closed) return;
    setBounded(this.#lastUse, id, now, this.#o.cacheSize);
    this.#pending.set(id, now);
    if (this.#timer === undefined) {
      this.#timer = setTimeout(() => {
        this.#timer = undefined;
        void this.flush();
      }, FLUSH_DELAY_MS);
      this.#timer.unref();
    }
  }

  /** Writes the pending `last_used_at` times now. Never rejects. */
  flush(): Promise<void> {
    const batch = [...this.#pending];
    this.#pending.clear();
    if (batch.length === 0) return this.#flushing;
    this.#flushing = this.#flushing.then(async () => {
      for (const [id, at] of batch) {
        try {
          await this.#db.updateTable(this.#o.table).set({ last_used_at: at }).where('id', '=', id).execute();
        } catch (error) {
          this.#o.ctx.logger.warn(
            { event: 'api_key_last_used_failed', err: error, key_id: id },
            'could not record the last use of an API key',
          );
        }
      }
    });
    return this.#flushing;
  }

  async close(): Promise<void> {
    this.#closed = true;
    if (this.#timer !== undefined) clearTimeout(this.#timer);
    this.#timer = undefined;
    await this.flush();
  }
}
