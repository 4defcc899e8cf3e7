import type { IncomingMessage } from 'node:http';
import type { IssuerCallOptions } from '../auth/events/index.js';
import { type HttpOutcome, httpCall } from '../auth/http-client.js';
import { issuerPrivateUrl } from '../auth/issuer-url.js';
import type { Rejection } from '../auth/rejections.js';
import { type AuthContext, type AuthUser, ROLES, type Role } from '../auth/types.js';
import { traceHeaders } from '../tracing/index.js';
import { MAX_API_KEY_LENGTH } from './format.js';
import { API_KEY_REJECT, MAX_RETRY_AFTER_SECONDS, rateLimitedRejection } from './rejections.js';
import { Semaphore } from './semaphore.js';
import { type ApiKeyAuthenticator, apiKeyUser } from './types.js';

/** An introspection reply is a few hundred bytes; anything over 8 KiB is not one (503). */
const MAX_INTROSPECTION_BYTES = 8 * 1024;
/** How long a check may wait for a free issuer slot before it is answered 503. */
const QUEUE_WAIT_MS = 1000;
const RANK: Readonly<Record<Role, number>> = { user: 0, reader: 1, writer: 2, admin: 3, superadmin: 4 };
const CONNECT_ERRORS: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
/** Visible ASCII only: a key is an opaque token to us, but never whitespace, controls or non-ASCII. */
const OPAQUE_KEY = /^[\x21-\x7e]+$/;

/** `url` is `{base}/private/v1/api-keys/introspect`. */
export interface IntrospectApiKeysOptions extends IssuerCallOptions {
  /** Issuer calls in flight at once (`INTROSPECTION_MAX_SOCKETS`). */
  readonly maxConcurrent: number;
  readonly ctx: AuthContext;
}

/**
 * The issuer's API-key introspection URL: `api-keys/introspect` on its private API (see `issuerPrivateUrl`).
 * @example apiKeyIntrospectionUrl('https://auth.example.com/user/private/v1/jti-status')
 * // https://auth.example.com/user/private/v1/api-keys/introspect
 */
export function apiKeyIntrospectionUrl(introspectionUrl: string): URL {
  return issuerPrivateUrl(introspectionUrl, 'api-keys/introspect');
}

/** The issuer's `Retry-After` as whole seconds, 1 … 3600 (default 1 when absent or unreadable). */
function retryAfterSeconds(value: string | string[] | undefined, now: number): number {
  const text = Array.isArray(value) ? value[0] : value;
  let seconds = Number.NaN;
  if (text !== undefined && /^\s*\d+\s*$/.test(text)) seconds = Number(text);
  else if (text !== undefined) seconds = Math.ceil((Date.parse(text) - now) / 1000);
  if (!Number.isFinite(seconds)) return 1;
  return Math.min(MAX_RETRY_AFTER_SECONDS, Math.max(1, Math.floor(seconds)));
}

/**
 * Checks keys with fa-auth-m8 4.x on every request (answers are never cached; identical concurrent checks
 * share one call). The role is capped at `writer`, or `reader` for a `read_only` key.
 */
export class IntrospectApiKeys implements ApiKeyAuthenticator {
  readonly mode = 'introspect' as const;
  readonly #o: IntrospectApiKeysOptions;
  readonly #headers: Record<string, string>;
  readonly #slots: Semaphore;
  readonly #inflight = new Map<string, Promise<AuthUser | Rejection>>();

  constructor(options: IntrospectApiKeysOptions) {
    this.#o = options;
    this.#slots = new Semaphore(options.maxConcurrent, options.maxConcurrent * 8, QUEUE_WAIT_MS);
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-internal-token': options.secret,
      'x-internal-client': options.clientId,
      'user-agent': 'express-m8',
    };
  }

  authenticate(key: string, req: IncomingMessage): Promise<AuthUser | Rejection> | Rejection {
    if (key.length === 0 || key.length > MAX_API_KEY_LENGTH || !OPAQUE_KEY.test(key)) {
      return API_KEY_REJECT.invalid;
    }
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#check(key, req).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    return pending;
  }

  async #check(key: string, req: IncomingMessage): Promise<AuthUser | Rejection> {
    if (!(await this.#slots.acquire())) {
      this.#log('busy', req);
      return API_KEY_REJECT.unavailable;
    }
    try {
      const started = this.#o.now();
      let outcome = await this.#call(key, req, this.#o.totalTimeoutMs);
      const left = this.#o.totalTimeoutMs - (this.#o.now() - started);
      // One retry, only when no connection was made (nothing reached the issuer), within the same budget.
      if (outcome.kind === 'transport_error' && isConnectError(outcome.cause) && left > 0) {
        outcome = await this.#call(key, req, left);
      }
      const result = this.#interpret(outcome);
      if (typeof result === 'string') {
        this.#log(result, req);
        return result === 'inactive' ? API_KEY_REJECT.invalid : API_KEY_REJECT.unavailable;
      }
      return result;
    } finally {
      this.#slots.release();
    }
  }

  #call(key: string, req: IncomingMessage, totalTimeoutMs: number): Promise<HttpOutcome> {
    const body = Buffer.from(JSON.stringify({ api_key: key, schema_version: '1' }), 'utf8');
    return httpCall({
      url: this.#o.url,
      method: 'POST',
      headers: { ...this.#headers, ...traceHeaders(req), 'content-length': String(body.length) },
      body,
      agent: this.#o.agent,
      connectTimeoutMs: this.#o.connectTimeoutMs,
      totalTimeoutMs,
      maxBytes: MAX_INTROSPECTION_BYTES,
    });
  }

  /** A user, a 429 refusal, or why the key is refused (`inactive`) or cannot be confirmed. */
  #interpret(outcome: HttpOutcome): AuthUser | Rejection | string {
    if (outcome.kind !== 'response') return outcome.kind;
    if (outcome.status === 429) {
      return rateLimitedRejection(retryAfterSeconds(outcome.headers?.['retry-after'], this.#o.now()));
    }
    if (outcome.status !== 200) return `status ${outcome.status}`;
    let reply: unknown;
    try {
      reply = JSON.parse(outcome.body.toString('utf8'));
    } catch {
      return 'malformed';
    }
    return readReply(reply, this.#o.clientId, this.#o.now());
  }

  #log(cause: string, req: IncomingMessage): void {
    if (cause === 'inactive') return;
    this.#o.ctx.logger.error(
      { event: 'api_key_introspection', cause, reqId: (req as { id?: unknown }).id },
      'API key introspection failed; refusing with 503',
    );
  }

  async close(): Promise<void> {
    // Nothing is buffered; the keep-alive agent is closed by buildAuthDeps.
  }
}

function isConnectError(cause: unknown): boolean {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return code !== undefined && CONNECT_ERRORS.has(code);
}

/** Reads a 200 reply of schema 1: a user, `inactive`, or what is wrong with it. */
function readReply(reply: unknown, clientId: string, now: number): AuthUser | string {
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) return 'malformed';
  const r = reply as Record<string, unknown>;
  if (r.active === false) return 'inactive';
  if (r.active !== true) return 'malformed';
  if (r.schema_version !== '1') return 'unknown_schema';
  if (r.audience_id !== clientId) return 'audience_mismatch';
  const p = r.principal;
  if (typeof p !== 'object' || p === null || Array.isArray(p)) return 'malformed';
  const {
    user_id: id,
    role,
    access_mode: mode,
    authentication_method: method,
  } = p as Record<string, unknown>;
  if (typeof id !== 'string' || id.length === 0 || id.length > 255) return 'malformed';
  if (typeof role !== 'string' || !(ROLES as readonly string[]).includes(role)) return 'malformed';
  if (mode !== 'read_only' && mode !== 'read_write') return 'malformed';
  if (method !== 'api_key') return 'malformed';
  const expires = r.key_expires_at;
  if (expires !== undefined && expires !== null) {
    const at = typeof expires === 'string' ? Date.parse(expires) : Number.NaN;
    if (Number.isNaN(at)) return 'malformed';
    if (at <= now) return 'inactive';
  }
  const cap = mode === 'read_only' ? RANK.reader : RANK.writer;
  const capped = ROLES[Math.min(RANK[role as Role], cap)]!;
  return apiKeyUser({ id, role: capped, scopes: [], name: null });
}
