import type { KeyObject } from 'node:crypto';
import type http from 'node:http';
import type { AccessTokenAlgorithm } from '../settings/types.js';
import { httpCall } from './http-client.js';
import { judgeJwk } from './keys.js';
import type { AuthContext, JwksRefreshResult } from './types.js';

/**
 * docs/auth.md: at most one fetch attempt per 10 s, whatever triggers it. The first attempt of the store's life
 * does not open the window: after a failed `start()` prefetch the first request may fetch at once; from the
 * second attempt on, attempts are at least 10 s apart.
 */
const JWKS_COOLDOWN_MS = 10_000;
/** docs/auth.md: body cap of a JWKS response. */
export const JWKS_MAX_BYTES = 1024 * 1024;

/** What a key lookup gives: the key, a kid the set does not have, or no key set at all (seconds to retry). */
export type KeyLookup = KeyObject | 'unknown_kid' | number;

/** Where an issuer's discovery document is: the JWKS URL is read from its `jwks_uri`. */
interface DiscoveryOptions {
  /** The issuer exactly as configured; the document's `issuer` must equal it (OpenID Connect Discovery §4.3). */
  readonly issuer: string;
  /** `{issuer without trailing slash}/.well-known/openid-configuration`. */
  readonly url: URL;
}

export interface JwksStoreOptions {
  /** The JWKS URL; with `discovery`, a placeholder replaced by the document's `jwks_uri`. */
  readonly url: URL;
  /** The configured algorithm(s): a JWK is kept when it suits one of them. */
  readonly alg: AccessTokenAlgorithm | readonly AccessTokenAlgorithm[];
  /** Find the JWKS URL from this issuer's discovery document first (fetched under the same rules). */
  readonly discovery?: DiscoveryOptions;
  readonly ttlMs: number;
  readonly timeoutMs: number;
  readonly agent: http.Agent;
  readonly now: () => number;
  readonly ctx: AuthContext;
  /** Called with this store when a refresh changes its key set, so the tokens verified with it are dropped. */
  readonly onKeySetChange: (store: JwksStore) => void;
}

const HEADERS = { accept: 'application/jwk-set+json, application/json', 'user-agent': 'express-m8' };
const DISCOVERY_HEADERS = { accept: 'application/json', 'user-agent': 'express-m8' };

/**
 * The remote key set. Not jose's `createRemoteJWKSet`: that one starts its cooldown only after a
 * *successful* fetch (a down issuer is asked on every unknown kid), reads the body without a size cap, drops
 * to an error instead of serving the last good keys once its max age passes, and imports keys lazily so a
 * bad JWK surfaces per request. Here every attempt after the first, failed or not, opens a 10 s window; the
 * last good set keeps serving through an outage; each JWK is imported once, alone, at refresh time.
 */
export class JwksStore {
  readonly #o: JwksStoreOptions;
  #byKid = new Map<string, KeyObject>();
  #all: KeyObject[] = [];
  #fingerprint = '';
  #hasKeys = false;
  #fetchedAt = Number.NEGATIVE_INFINITY;
  /** Start of the last attempt that opened the cooldown window (every attempt but the first). */
  #lastAttempt: number | undefined;
  #attempts = 0;
  /** Whether the last finished attempt succeeded. */
  #lastOk = false;
  #generation = 0;
  #pending: Promise<void> | undefined;
  /** The JWKS URL in use: the configured one, or the last good discovery document's `jwks_uri`. */
  #url: URL | undefined;
  #discoveredAt = Number.NEGATIVE_INFINITY;

  constructor(options: JwksStoreOptions) {
    this.#o = options;
    this.#url = options.discovery === undefined ? options.url : undefined;
  }

  /**
   * Bumped on every key-set change, before `onKeySetChange` runs: a verification that took its key under
   * another generation must not remember its token (the cache was cleared while it was in flight).
   */
  get generation(): number {
    return this.#generation;
  }

  /** Fast path: the key for `kid` if the set is loaded (fresh or stale), else `undefined` (go async). */
  peek(kid: string | undefined): KeyObject | undefined {
    if (!this.#hasKeys) return undefined;
    this.maintain(this.#o.now());
    return this.#find(kid);
  }

  /**
   * Starts a background refresh when the set is past its TTL (within the cooldown budget). Called on every
   * use, cached tokens included, so a key removed by the issuer stops working at most max(TTL, cooldown)
   * after the fetch that last served it (TTL alone after the first fetch), plus the refresh's own duration,
   * as long as the JWKS can be fetched (docs/auth.md pins the bound).
   */
  maintain(nowMs: number): void {
    if (this.#hasKeys && nowMs - this.#fetchedAt >= this.#o.ttlMs) this.#refreshIfAllowed();
  }

  /**
   * Full lookup: refetches (within the cooldown budget, shared by all callers) when the kid is unknown. A kid
   * still absent after a successful fetch is `unknown_kid` (401); when the fetch failed, or the cooldown
   * after a failed attempt forbids one, nobody knows whether the kid exists: seconds to retry (503).
   */
  async lookup(kid: string | undefined): Promise<KeyLookup> {
    const found = this.peek(kid);
    if (found !== undefined) return found;
    if (this.#pending !== undefined) await this.#pending;
    else if (this.#canAttempt()) await this.#refresh();
    const key = this.#find(kid);
    if (key !== undefined) return key;
    return this.#hasKeys && this.#lastOk ? 'unknown_kid' : this.retryAfterSeconds();
  }

  /** Prefetch for `start()`; never throws; it is an attempt like any other. True when keys are loaded. */
  async prefetch(): Promise<boolean> {
    if (this.#pending !== undefined) await this.#pending;
    else if (this.#canAttempt()) await this.#refresh();
    return this.#hasKeys;
  }

  /** Whole seconds until the next attempt is allowed, 1…10. */
  retryAfterSeconds(): number {
    if (this.#lastAttempt === undefined) return 1;
    const s = Math.ceil((this.#lastAttempt + JWKS_COOLDOWN_MS - this.#o.now()) / 1000);
    return Math.min(10, Math.max(1, s));
  }

  #find(kid: string | undefined): KeyObject | undefined {
    if (kid !== undefined) return this.#byKid.get(kid);
    return this.#all.length === 1 ? this.#all[0] : undefined;
  }

  #canAttempt(): boolean {
    return this.#lastAttempt === undefined || this.#o.now() - this.#lastAttempt >= JWKS_COOLDOWN_MS;
  }

  #refreshIfAllowed(): void {
    if (this.#pending === undefined && this.#canAttempt()) void this.#refresh();
  }

  #refresh(): Promise<void> {
    // The first attempt of the store's life opens no window (docs/auth.md, "the first one excepted").
    if (++this.#attempts > 1) this.#lastAttempt = this.#o.now();
    this.#pending = this.#fetch().then(
      (result) => {
        this.#pending = undefined;
        this.#lastOk = result === 'success';
        this.#report(result);
      },
      () => {
        this.#pending = undefined;
        this.#lastOk = false;
        this.#report('transport_error');
      },
    );
    return this.#pending;
  }

  #where(): string {
    const url = this.#url ?? this.#o.discovery?.url ?? this.#o.url;
    return url.origin + url.pathname;
  }

  #report(result: JwksRefreshResult): void {
    if (result !== 'success') {
      this.#o.ctx.logger.warn(
        { event: 'jwks_refresh_failed', result, jwks_uri: this.#where() },
        this.#hasKeys
          ? 'JWKS refresh failed; serving the last good keys'
          : 'JWKS fetch failed; no signing keys yet',
      );
    }
    try {
      this.#o.ctx.observer?.onJwksRefresh?.(result);
    } catch {
      // An observer must never break authentication.
    }
  }

  /** GETs a JSON document: no redirects, bounded in time and size. */
  async #getJson(
    url: URL,
    headers: Record<string, string>,
  ): Promise<{ readonly doc: unknown } | JwksRefreshResult> {
    const outcome = await httpCall({
      url,
      method: 'GET',
      headers,
      agent: this.#o.agent,
      totalTimeoutMs: this.#o.timeoutMs,
      maxBytes: JWKS_MAX_BYTES,
    });
    if (outcome.kind !== 'response') return outcome.kind;
    // No redirects, ever: a JWKS that moved is a configuration change, not something to follow silently.
    if (outcome.status >= 300 && outcome.status < 400) return 'redirect';
    if (outcome.status !== 200) return 'bad_status';
    try {
      return { doc: JSON.parse(outcome.body.toString('utf8')) as unknown };
    } catch {
      return 'invalid_body';
    }
  }

  /**
   * With discovery: (re)reads the issuer's document when none was read yet or the last one is past the TTL.
   * A failed read keeps the last good `jwks_uri` (outage rule); without one the attempt fails.
   */
  async #discover(): Promise<JwksRefreshResult | undefined> {
    const d = this.#o.discovery;
    if (d === undefined || this.#o.now() - this.#discoveredAt < this.#o.ttlMs) return undefined;
    const got = await this.#getJson(d.url, DISCOVERY_HEADERS);
    const found = typeof got === 'string' ? got : jwksUriOf(got.doc, d.issuer);
    if (typeof found === 'string') {
      this.#o.ctx.logger.warn(
        { event: 'oidc_discovery_failed', result: found, discovery_url: d.url.origin + d.url.pathname },
        this.#url === undefined
          ? 'OIDC discovery failed; no JWKS URL yet'
          : 'OIDC discovery failed; keeping the last good jwks_uri',
      );
      return this.#url === undefined ? found : undefined;
    }
    this.#url = found;
    this.#discoveredAt = this.#o.now();
    return undefined;
  }

  async #fetch(): Promise<JwksRefreshResult> {
    const discovery = await this.#discover();
    if (discovery !== undefined) return discovery;
    const got = await this.#getJson(this.#url!, HEADERS);
    if (typeof got === 'string') return got;
    const doc = got.doc;
    const keys = (doc as { keys?: unknown } | null)?.keys;
    if (!Array.isArray(keys)) return 'invalid_body';
    const byKid = new Map<string, KeyObject>();
    const all: KeyObject[] = [];
    const prints: string[] = [];
    const skipped: { kid: string | undefined; reason: string }[] = [];
    for (const jwk of keys) {
      const key = judgeJwk(jwk, this.#o.alg);
      if (typeof key === 'string') {
        // Our own strength and type checks (a 1024-bit RSA key, another curve…): said in the log, since a
        // token of that kid will be refused as unknown and the operator needs to know why.
        if (skipped.length < 20) skipped.push({ kid: kidOf(jwk), reason: key });
        continue;
      }
      const kid = (jwk as { kid?: string }).kid;
      if (kid !== undefined) {
        if (byKid.has(kid)) continue; // the first of duplicate kids wins; the duplicate is ignored
        byKid.set(kid, key);
      }
      all.push(key);
      prints.push(`${kid ?? ''}:${key.export({ format: 'der', type: 'spki' }).toString('base64')}`);
    }
    if (skipped.length > 0) {
      this.#o.ctx.logger.warn(
        { event: 'jwks_key_skipped', jwks_uri: this.#where(), skipped },
        'JWKS keys skipped: unusable for the configured algorithm',
      );
    }
    if (all.length === 0) return 'no_usable_keys';
    const fingerprint = prints.join('|');
    this.#byKid = byKid;
    this.#all = all;
    this.#hasKeys = true;
    this.#fetchedAt = this.#o.now();
    if (fingerprint !== this.#fingerprint) {
      this.#fingerprint = fingerprint;
      this.#generation++;
      this.#o.onKeySetChange(this);
    }
    return 'success';
  }
}

/** The `kid` of a JWK for a log line: a string cut to 64 characters, else `undefined`. */
function kidOf(jwk: unknown): string | undefined {
  const kid = (jwk as { kid?: unknown } | null)?.kid;
  return typeof kid === 'string' ? kid.slice(0, 64) : undefined;
}

/**
 * The `jwks_uri` of a discovery document, or why it is unusable: the document must name exactly the issuer it
 * was fetched for, and `jwks_uri` must be an absolute http(s) URL (https when the issuer is https).
 */
function jwksUriOf(doc: unknown, issuer: string): URL | JwksRefreshResult {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) return 'invalid_body';
  const d = doc as { issuer?: unknown; jwks_uri?: unknown };
  if (d.issuer !== issuer || typeof d.jwks_uri !== 'string') return 'invalid_body';
  let url: URL;
  try {
    url = new URL(d.jwks_uri);
  } catch {
    return 'invalid_body';
  }
  // Same scheme as the issuer: never a downgrade to http, and the keep-alive agent chosen for the issuer fits.
  if (url.protocol !== new URL(issuer).protocol) return 'invalid_body';
  return url;
}

/** The discovery document URL of an issuer (OpenID Connect Discovery §4: trailing slash removed first). */
export function discoveryUrl(issuer: string): URL {
  return new URL(`${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`);
}
