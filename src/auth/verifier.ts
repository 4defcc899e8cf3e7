import type { KeyObject, webcrypto } from 'node:crypto';
import { type JWTPayload, type JWTVerifyOptions, type JWTVerifyResult, jwtVerify } from 'jose';
import type { AccessTokenAlgorithm } from '../settings/types.js';
import { userFromClaims } from './claims.js';
import type { JwksStore } from './jwks.js';
import { REJECT, REJECT_KEYS_UNAVAILABLE, type Rejection } from './rejections.js';
import { signatureMatches } from './signature.js';
import type { AuthUser } from './types.js';

// Three base64url segments, nothing else: padding (`=`), whitespace or a fourth segment are malformed.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_KID = 256;

export interface VerifierOptions {
  readonly alg: AccessTokenAlgorithm;
  /** The PEM key, or the HS256 key (a webcrypto.CryptoKey being imported); `undefined` when keys come from the JWKS. */
  readonly staticKey: KeyObject | webcrypto.CryptoKey | Promise<webcrypto.CryptoKey> | undefined;
  readonly jwks: JwksStore | undefined;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  readonly strict: boolean;
  readonly now: () => number;
  readonly cacheSize: number;
  /**
   * The signature and claims check; jose's `jwtVerify` unless a test wraps it (to count verifications or to
   * hold one in flight). Internal: buildAuthDeps never sets it.
   */
  readonly verifyJwt?: (
    token: string,
    key: KeyObject | webcrypto.CryptoKey,
    options: JWTVerifyOptions,
  ) => Promise<JWTVerifyResult>;
}

interface CacheEntry {
  /** The whole token: the cache key is only its tail, so a hit is confirmed against this. */
  readonly token: string;
  readonly user: AuthUser;
  readonly expiresAtMs: number;
}

/**
 * How many trailing characters of a token key the cache (its signature's end). Hashing a fresh ~800-character
 * header string for every lookup cost more than the lookup; a hit still compares the whole token, so two
 * tokens sharing a tail can never be mistaken for each other.
 */
const CACHE_KEY_CHARS = 24;

/**
 * Verifies access tokens: our own cheap structural checks first (exact algorithm, no `crit`, bounded `kid`),
 * a synchronous signature check that refuses a forged token without an exception, then jose `jwtVerify` with
 * exactly one algorithm and the profile's claims, then the fa-auth-m8 claim rules.
 * Verified tokens are remembered until their `exp` or the next key-set change, keyed by their last characters
 * and confirmed by the exact string, so a repeated token costs one Map lookup instead of a signature check.
 */
export class TokenVerifier {
  readonly #o: VerifierOptions;
  readonly #leewaySeconds: number;
  readonly #required: string[];
  readonly #cache = new Map<string, CacheEntry>();
  readonly #verifyJwt: NonNullable<VerifierOptions['verifyJwt']>;
  #staticKey: KeyObject | webcrypto.CryptoKey | Promise<webcrypto.CryptoKey> | undefined;

  constructor(options: VerifierOptions) {
    this.#o = options;
    this.#staticKey = options.staticKey;
    this.#verifyJwt = options.verifyJwt ?? jwtVerify;
    // DESIGN §4 profiles.
    this.#leewaySeconds = options.strict ? 2 : 5;
    this.#required = options.strict
      ? ['exp', 'sub', 'jti', 'type', 'iat', 'nbf']
      : ['exp', 'sub', 'jti', 'type'];
  }

  /** Drops every remembered token; called when the key set changes (a rotated-out key stops working). */
  clear(): void {
    this.#cache.clear();
  }

  /** The remembered user for this exact token, if still before its `exp`. */
  cached(token: string): AuthUser | undefined {
    const key = token.slice(-CACHE_KEY_CHARS);
    const entry = this.#cache.get(key);
    if (entry === undefined || entry.token !== token) return undefined;
    const nowMs = this.#o.now();
    this.#o.jwks?.maintain(nowMs);
    if (nowMs < entry.expiresAtMs) return entry.user;
    this.#cache.delete(key);
    return undefined;
  }

  /** Verifies a token fully. Never throws: every failure is a precomputed {@link Rejection}. */
  async verify(token: string): Promise<AuthUser | Rejection> {
    if (!COMPACT_JWS.test(token)) return REJECT.malformed;
    const header = decodeHeader(token);
    if (header === undefined) return REJECT.malformed;
    // Compared exactly: `none`, `None`, `rs256`, `HS256` for an RSA deployment… are all refused here,
    // before any key is looked up (RFC 8725 §3.1, algorithm confusion).
    if (header.alg !== this.#o.alg) return REJECT.badAlgorithm;
    // We implement no JWS extension, so any `crit` is one we do not understand (RFC 7515 §4.1.11).
    if (header.crit !== undefined) return REJECT.badHeader;
    const kid = header.kid;
    if (kid !== undefined && (typeof kid !== 'string' || kid.length > MAX_KID)) return REJECT.badHeader;
    // `jku`, `x5u`, `jwk`, `x5c` are never read: the key comes from configuration only.
    let key: KeyObject | webcrypto.CryptoKey | Promise<webcrypto.CryptoKey> | undefined = this.#staticKey;
    if (key instanceof Promise) {
      key = await key;
      this.#staticKey = key;
    }
    // Captured before the key is looked up: a key-set change after this point (while we await the lookup or
    // jwtVerify) clears the cache, and this token must not be put back into it afterwards.
    let generation = this.#o.jwks?.generation;
    if (key === undefined) {
      const jwks = this.#o.jwks!;
      key = jwks.peek(kid);
      if (key === undefined) {
        const found = await jwks.lookup(kid);
        if (found === 'unknown_kid') return REJECT.unknownKid;
        if (typeof found === 'number') return REJECT_KEYS_UNAVAILABLE[found]!;
        key = found;
        // The lookup may itself have loaded a new set: when the key is in the current set, its generation
        // is the current one (else the old one stays and the token is not remembered).
        if (jwks.peek(kid) === found) generation = jwks.generation;
      }
    }
    if (signatureMatches(this.#o.alg, token, key) === false) return REJECT.badSignature;
    const nowMs = this.#o.now();
    const options: JWTVerifyOptions = {
      algorithms: [this.#o.alg],
      clockTolerance: this.#leewaySeconds,
      requiredClaims: this.#required,
      currentDate: new Date(nowMs),
    };
    if (this.#o.issuer !== undefined) options.issuer = this.#o.issuer;
    if (this.#o.audience !== undefined) options.audience = this.#o.audience;
    let payload: JWTPayload;
    try {
      payload = (await this.#verifyJwt(token, key, options)).payload;
    } catch (error) {
      return mapJoseError(error);
    }
    // jose only checks that these are numbers: `exp: 1e400` parses to Infinity (a token that never expires and
    // would be cached forever), and 1.5, -1 or 2^53 pass too. RFC 7519 §2 NumericDate is seconds; we accept
    // whole, non-negative, exactly representable numbers only.
    if (
      !isNumericDate(payload.exp) ||
      (payload.nbf !== undefined && !isNumericDate(payload.nbf)) ||
      (payload.iat !== undefined && !isNumericDate(payload.iat))
    ) {
      return REJECT.badClaims;
    }
    // jose checks `iat` only with maxTokenAge; an `iat` later than now + leeway is invalid.
    if (payload.iat !== undefined && payload.iat > Math.floor(nowMs / 1000) + this.#leewaySeconds) {
      return REJECT.issuedInFuture;
    }
    const user = userFromClaims(payload);
    if ('status' in user) return user;
    if (this.#o.jwks?.generation === generation) this.#remember(token, user, payload.exp * 1000, nowMs);
    return user;
  }

  #remember(token: string, user: AuthUser, expiresAtMs: number, nowMs: number): void {
    // Accepted inside the leeway after `exp`: never cached (it would only take a slot, evicting a live one).
    if (this.#o.cacheSize <= 0 || nowMs >= expiresAtMs) return;
    if (this.#cache.size >= this.#o.cacheSize) {
      // FIFO eviction: Map iteration order is insertion order, so the first key is the oldest entry.
      const oldest = this.#cache.keys().next();
      if (oldest.done !== true) this.#cache.delete(oldest.value);
    }
    // Never past `exp`: after it the token goes through full verification again (leeway included).
    this.#cache.set(token.slice(-CACHE_KEY_CHARS), { token, user, expiresAtMs });
  }
}

/** A whole number of seconds in 0 … 2^53 − 1 (so `* 1000` and comparisons stay exact and finite). */
function isNumericDate(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

function decodeHeader(token: string): Record<string, unknown> | undefined {
  try {
    const json = Buffer.from(token.slice(0, token.indexOf('.')), 'base64url').toString('utf8');
    const header: unknown = JSON.parse(json);
    if (typeof header !== 'object' || header === null || Array.isArray(header)) return undefined;
    return header as Record<string, unknown>;
  } catch {
    return undefined;
  }
}

function mapJoseError(error: unknown): Rejection {
  const e = error as { code?: string; claim?: string; reason?: string };
  switch (e.code) {
    case 'ERR_JWT_EXPIRED':
      return REJECT.expired;
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return REJECT.badSignature;
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
      return REJECT.badAlgorithm;
    case 'ERR_JOSE_NOT_SUPPORTED':
      return REJECT.badHeader;
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED':
      if (e.reason === 'missing') return REJECT.missingClaim;
      if (e.claim === 'nbf') return REJECT.notYetValid;
      if (e.claim === 'iss') return REJECT.badIssuer;
      if (e.claim === 'aud') return REJECT.badAudience;
      return REJECT.badClaims;
    default:
      // Malformed JWS/JWT, a key jose refuses for the algorithm, anything else: a 401, never a 500.
      return REJECT.malformed;
  }
}
