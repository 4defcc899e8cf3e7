import type http from 'node:http';
import type { RevocationFailureMode } from '../settings/types.js';
import { currentTraceIds, traceHeaders } from '../tracing/index.js';
import { httpCall } from './http-client.js';
import type { AuthContext, AuthUser, RevocationResult } from './types.js';

/** A v2 reply is a few hundred bytes; a larger one is refused (503 in both failure modes). */
const MAX_REPLY_BYTES = 64 * 1024;

export interface RevocationClientOptions {
  readonly url: URL;
  readonly secret: string;
  readonly clientId: string | undefined;
  readonly failureMode: RevocationFailureMode;
  /** Positive cache lifetime; 0 disables the cache. */
  readonly cacheTtlMs: number;
  readonly cacheSize: number;
  readonly connectTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly agent: http.Agent;
  readonly now: () => number;
  readonly ctx: AuthContext;
}

/**
 * The incoming request a check is made for: its `id` and trace go into the failure log lines, its trace
 * headers into the call to the issuer. Typed structurally so this module does not depend on Express.
 */
export interface RevocationCaller {
  readonly id?: unknown;
}

/** `true`: let the request through; `'revoked'` → 401; `'unavailable'` → 503. */
export type RevocationVerdict = true | 'revoked' | 'unavailable';

/**
 * Asks fa-auth-m8 whether a verified token is still active (schema v2). Identical concurrent checks (same
 * `jti` and `sub`) share one call, made with the first caller's trace headers and logged with its request
 * id; an optional positive cache, keyed the same way, remembers `active` answers for
 * `REVOCATION_CACHE_TTL_SECONDS` (never past the token's `exp`), bounded in size.
 */
export class RevocationClient {
  readonly #o: RevocationClientOptions;
  readonly #headers: Record<string, string>;
  readonly #inflight = new Map<string, Promise<RevocationResult>>();
  readonly #cache = new Map<string, CacheEntry>();
  /** The cache keys of each user (lower-cased id), maintained only where entries are added or removed. */
  readonly #byUser = new Map<string, Set<string>>();
  /** Bumped by every eviction: an answer that was in flight across one is returned but not remembered. */
  #epoch = 0;

  constructor(options: RevocationClientOptions) {
    this.#o = options;
    this.#headers = {
      'content-type': 'application/json',
      accept: 'application/json',
      'x-internal-token': options.secret,
      'user-agent': 'express-m8',
    };
    if (options.clientId !== undefined) this.#headers['x-internal-client'] = options.clientId;
  }

  /** Synchronous positive-cache probe; `true` when an `active` answer for this token is still fresh. */
  cachedActive(user: AuthUser): boolean {
    if (this.#o.cacheTtlMs <= 0) return false;
    const key = checkKey(user);
    const entry = this.#cache.get(key);
    if (entry === undefined) return false;
    if (this.#o.now() < entry.until) {
      this.#observe('cached');
      return true;
    }
    this.#forget(key, entry);
    return false;
  }

  /**
   * Forgets the cached answer for one token of a user (a pushed `session-revoked` with a `jti`): the next
   * request with it asks the issuer again. Returns how many entries were dropped.
   */
  evictJti(userId: string, jti: string): number {
    this.#epoch++;
    return this.#evictWhere(userId, (key) => key.slice(0, key.indexOf('\n')) === jti);
  }

  /**
   * Forgets the cached answers for a user's tokens: all of them, or (with `beforeGeneration`) those whose
   * issuer-reported `auth_generation` is older than it or unknown. Returns how many entries were dropped.
   */
  evictUser(userId: string, beforeGeneration?: number): number {
    this.#epoch++;
    if (beforeGeneration === undefined) return this.#evictWhere(userId, () => true);
    return this.#evictWhere(userId, (_key, entry) => !(entry.generation >= beforeGeneration));
  }

  /** Forgets every cached answer (a gap in the event stream: some events may have been missed). */
  flush(): void {
    this.#epoch++;
    this.#cache.clear();
    this.#byUser.clear();
  }

  /** How many answers are cached (tests and diagnostics). */
  get cacheSize(): number {
    return this.#cache.size;
  }

  #evictWhere(userId: string, match: (key: string, entry: CacheEntry) => boolean): number {
    const keys = this.#byUser.get(userId.toLowerCase());
    if (keys === undefined) return 0;
    let dropped = 0;
    for (const key of [...keys]) {
      const entry = this.#cache.get(key);
      if (entry === undefined || match(key, entry)) {
        if (entry !== undefined) dropped++;
        this.#forget(key, entry);
      }
    }
    return dropped;
  }

  #forget(key: string, entry: CacheEntry | undefined): void {
    this.#cache.delete(key);
    const user = entry?.user ?? key.slice(key.indexOf('\n') + 1).toLowerCase();
    const keys = this.#byUser.get(user);
    if (keys === undefined) return;
    keys.delete(key);
    if (keys.size === 0) this.#byUser.delete(user);
  }

  /** Asks the issuer (sharing an identical call under way) and turns the result into a verdict. */
  async check(user: AuthUser, caller: RevocationCaller): Promise<RevocationVerdict> {
    const key = checkKey(user);
    let pending = this.#inflight.get(key);
    if (pending === undefined) {
      pending = this.#call(user, key, caller).finally(() => this.#inflight.delete(key));
      this.#inflight.set(key, pending);
    }
    const result = await pending;
    switch (result) {
      case 'active':
        return true;
      case 'revoked':
        return 'revoked';
      case 'fail_open':
        return true;
      case 'dns_error':
        return this.#o.failureMode === 'fail_open' ? true : 'unavailable';
      default:
        return 'unavailable';
    }
  }

  async #call(user: AuthUser, key: string, caller: RevocationCaller): Promise<RevocationResult> {
    const epoch = this.#epoch;
    const body = Buffer.from(
      JSON.stringify({ jti: user.jti, expected_user_id: user.id, schema_version: '2' }),
      'utf8',
    );
    const outcome = await httpCall({
      url: this.#o.url,
      method: 'POST',
      headers: { ...this.#headers, ...traceHeaders(caller), 'content-length': String(body.length) },
      body,
      agent: this.#o.agent,
      connectTimeoutMs: this.#o.connectTimeoutMs,
      totalTimeoutMs: this.#o.totalTimeoutMs,
      maxBytes: MAX_REPLY_BYTES,
    });
    let result: RevocationResult;
    let cause: string;
    let generation: number | undefined;
    if (outcome.kind === 'too_large') {
      // An issuer does not send 64 KiB to say yes or no: whatever answered is not the v2 endpoint, so this is
      // not a transient outage that fail_open may excuse.
      cause = 'too_large';
      result = 'malformed';
    } else if (outcome.kind === 'transport_error' && isDnsFailure(outcome.cause)) {
      // The issuer's name does not resolve: most likely a wrong INTROSPECTION_URL, which in fail_open would
      // silently turn revocation off. Still accepted per fail_open, but counted apart and logged as an error.
      cause = (outcome.cause as NodeJS.ErrnoException).code!;
      result = 'dns_error';
    } else if (outcome.kind !== 'response') {
      cause = outcome.kind;
      result = this.#transient();
    } else if (outcome.status === 401 || outcome.status === 403) {
      // Our PRIVATE_API_SECRET (or client id) is wrong: failing open would silently disable revocation.
      cause = `status ${outcome.status}`;
      result = 'credential_rejected';
    } else if (outcome.status >= 500 || outcome.status === 429) {
      cause = `status ${outcome.status}`;
      result = this.#transient();
    } else if (outcome.status !== 200) {
      cause = `status ${outcome.status}`;
      result = 'malformed';
    } else {
      [result, generation] = interpret(outcome.body, user.id);
      cause = result;
    }
    if (result === 'active' && epoch === this.#epoch) this.#remember(user, key, generation);
    this.#log(result, cause, user, caller);
    this.#observe(result);
    return result;
  }

  #transient(): RevocationResult {
    return this.#o.failureMode === 'fail_open' ? 'fail_open' : 'unavailable';
  }

  #remember(user: AuthUser, key: string, generation: number | undefined): void {
    if (this.#o.cacheTtlMs <= 0 || this.#o.cacheSize <= 0) return;
    const previous = this.#cache.get(key);
    if (previous !== undefined) this.#forget(key, previous);
    if (this.#cache.size >= this.#o.cacheSize) {
      const oldest = this.#cache.entries().next();
      if (oldest.done !== true) this.#forget(oldest.value[0], oldest.value[1]);
    }
    const exp = typeof user.claims.exp === 'number' ? user.claims.exp * 1000 : Number.POSITIVE_INFINITY;
    const owner = user.id.toLowerCase();
    this.#cache.set(key, {
      until: Math.min(this.#o.now() + this.#o.cacheTtlMs, exp),
      user: owner,
      generation: generation ?? Number.NaN,
    });
    let keys = this.#byUser.get(owner);
    if (keys === undefined) {
      keys = new Set();
      this.#byUser.set(owner, keys);
    }
    keys.add(key);
  }

  #log(result: RevocationResult, cause: string, user: AuthUser, caller: RevocationCaller): void {
    if (result === 'active' || result === 'revoked') return;
    const trace = currentTraceIds(caller);
    const fields = {
      event: 'revocation_check',
      result,
      cause,
      jti: user.jti,
      user_id: user.id,
      reqId: caller.id,
      trace_id: trace?.trace_id,
      span_id: trace?.span_id,
    };
    if (result === 'fail_open') {
      this.#o.ctx.logger.warn(fields, 'revocation check unavailable; accepting the token (fail_open)');
    } else if (result === 'dns_error' && this.#o.failureMode === 'fail_open') {
      this.#o.ctx.logger.error(
        fields,
        'revocation issuer host does not resolve; accepting the token (fail_open): check INTROSPECTION_URL',
      );
    } else {
      this.#o.ctx.logger.error(fields, 'revocation check failed; refusing with 503');
    }
  }

  #observe(result: RevocationResult): void {
    try {
      this.#o.ctx.observer?.onRevocationCheck?.(result);
    } catch {
      // An observer must never break authentication.
    }
  }
}

interface CacheEntry {
  /** Epoch ms after which the answer is asked again. */
  readonly until: number;
  /** The token's `sub`, lower-cased: the key of the per-user index. */
  readonly user: string;
  /** The issuer's `auth_generation` for the user when it answered; NaN when it sent none. */
  readonly generation: number;
}

/** getaddrinfo failures: the name does not exist (`ENOTFOUND`) or no resolver answered (`EAI_AGAIN`). */
function isDnsFailure(cause: unknown): boolean {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  return code === 'ENOTFOUND' || code === 'EAI_AGAIN';
}

/** The key of both the in-flight dedup and the positive cache: an answer is about this `jti` for this `sub`. */
function checkKey(user: AuthUser): string {
  return `${user.jti}\n${user.id}`;
}

/**
 * Reads a 200 reply of the v2 schema, with the user's `auth_generation` when active. Anything unexpected is a
 * 503 whatever the failure mode.
 */
function interpret(body: Buffer, sub: string): [RevocationResult, number | undefined] {
  let reply: unknown;
  try {
    reply = JSON.parse(body.toString('utf8'));
  } catch {
    return ['malformed', undefined];
  }
  if (typeof reply !== 'object' || reply === null || Array.isArray(reply)) return ['malformed', undefined];
  const r = reply as Record<string, unknown>;
  if (r.active === false) return ['revoked', undefined];
  if (r.active !== true) return ['malformed', undefined];
  if (r.schema_version !== '2') return ['unknown_schema', undefined];
  if (typeof r.user_id !== 'string') return ['malformed', undefined];
  if (r.user_id.toLowerCase() !== sub.toLowerCase()) return ['subject_mismatch', undefined];
  return ['active', typeof r.auth_generation === 'number' ? r.auth_generation : undefined];
}
