import { createSecretKey } from 'node:crypto';
import type http from 'node:http';
import type { IncomingMessage } from 'node:http';
import type { Kysely } from 'kysely';
import type { Rejection } from '../auth/rejections.js';
import type { ApiKeyDbEngine, AuthContext } from '../auth/types.js';
import { SettingsError } from '../errors.js';
import type { Settings } from '../settings/types.js';
import { apiKeyIntrospectionUrl, IntrospectApiKeys } from './introspect.js';
import { LocalApiKeys } from './local.js';
import { API_KEY_REJECT } from './rejections.js';
import { apiKeyTables } from './store.js';
import type { ApiKeyAuthenticator } from './types.js';

/**
 * True when `API_KEYS` is `local` or `introspect`: every auth guard then also accepts `X-API-Key` (the
 * OpenAPI document adds the `apiKeyAuth` scheme).
 * @example
 * if (apiKeysEnabled(settings)) doc.components.securitySchemes.apiKeyAuth = { type: 'apiKey', in: 'header', name: 'X-API-Key' };
 */
export function apiKeysEnabled(settings: Pick<Settings, 'API_KEYS'>): boolean {
  return settings.API_KEYS === 'local' || settings.API_KEYS === 'introspect';
}

/** What {@link createApiKeyAuthenticator} needs besides the settings. */
export interface ApiKeyAuthenticatorDeps {
  readonly db: ApiKeyDbEngine | undefined;
  readonly now: () => number;
  readonly ctx: AuthContext;
  readonly agentFor: (url: URL) => http.Agent;
  readonly connectTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly cacheSize: number;
}

/**
 * The key checker `API_KEYS` asks for, or `undefined` when it is `off`.
 * @throws SettingsError when `API_KEYS=local` and no database engine was given.
 */
export function createApiKeyAuthenticator(
  settings: Settings,
  deps: ApiKeyAuthenticatorDeps,
): ApiKeyAuthenticator | undefined {
  if (settings.API_KEYS === 'local') {
    if (deps.db === undefined) {
      throw new SettingsError([
        {
          variable: 'API_KEYS',
          message:
            'is "local" but buildAuthDeps got no database: pass buildAuthDeps(settings, { db: engine }) with the createDbEngine engine the keys table lives in',
        },
      ]);
    }
    return new LocalApiKeys({
      db: deps.db.db as unknown as Kysely<unknown>,
      table: apiKeyTables(settings.TABLES_PREFIX).keys,
      pepper: createSecretKey(Buffer.from(settings.API_KEY_PEPPER!, 'utf8')),
      cacheTtlMs: settings.API_KEY_CACHE_TTL_SECONDS * 1000,
      cacheSize: deps.cacheSize,
      now: deps.now,
      ctx: deps.ctx,
    });
  }
  if (settings.API_KEYS === 'introspect') {
    const url = apiKeyIntrospectionUrl(settings.INTROSPECTION_URL!);
    return new IntrospectApiKeys({
      url,
      secret: settings.PRIVATE_API_SECRET!,
      clientId: settings.INTERNAL_CLIENT_ID!,
      agent: deps.agentFor(url),
      connectTimeoutMs: deps.connectTimeoutMs,
      totalTimeoutMs: deps.totalTimeoutMs,
      maxConcurrent: settings.INTROSPECTION_MAX_SOCKETS,
      now: deps.now,
      ctx: deps.ctx,
    });
  }
  return undefined;
}

/**
 * The `X-API-Key` of a request, or a 400: with an `Authorization` header too (which credential counts would
 * be a guess), or sent twice (Node joins repeated unknown headers with `, `; a key never contains a comma).
 */
export function readApiKey(req: IncomingMessage, value: string | string[]): string | Rejection {
  if (req.headers.authorization !== undefined) return API_KEY_REJECT.both;
  if (typeof value !== 'string' || value.includes(',')) {
    const raw = req.rawHeaders;
    let seen = 0;
    for (let i = 0; i < raw.length; i += 2) {
      if (raw[i]!.length === 9 && raw[i]!.toLowerCase() === 'x-api-key' && ++seen > 1) {
        return API_KEY_REJECT.duplicate;
      }
    }
    if (typeof value !== 'string') return API_KEY_REJECT.duplicate;
  }
  return value;
}
