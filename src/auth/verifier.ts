import type { KeyObject, webcrypto } from 'node:crypto';
import { type JWTPayload, type JWTVerifyOptions, type JWTVerifyResult, jwtVerify } from 'jose';
import type { AccessTokenAlgorithm, TokenProfile } from '../settings/types.js';
import { type ClaimReader, claimReader } from './claims.js';
import type { JwksStore } from './jwks.js';
import { keyAlgorithms } from './keys.js';
import { REJECT, REJECT_KEYS_UNAVAILABLE, type Rejection, withClaim } from './rejections.js';
import { signatureMatches } from './signature.js';
import type { AuthUser } from './types.js';

// Three base64url segments, nothing else: padding (`=`), whitespace or a fourth segment are malformed.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+$/;
const MAX_KID = 256;

export interface VerifierOptions {
  /** The algorithm; with `algorithms`, the first of them. */
  readonly alg: AccessTokenAlgorithm;
  /** Every accepted algorithm (a comma list of asymmetric ones); default `[alg]`. */
  readonly algorithms?: readonly AccessTokenAlgorithm[];
  /** The PEM key, or the HS256 key (a webcrypto.CryptoKey being imported); `undefined` when keys come from the JWKS. */
  readonly staticKey: KeyObject | webcrypto.CryptoKey | Promise<webcrypto.CryptoKey> | undefined;
  /** The one key set of every issuer (unless `keySets` gives one per issuer). */
  readonly jwks: JwksStore | undefined;
  readonly issuer: string | undefined;
  readonly audience: string | undefined;
  /** Several accepted issuers (`TOKEN_ISSUER` as a list); overrides `issuer`. */
  readonly issuers?: readonly string[];
  /** Several accepted audiences (`TOKEN_AUDIENCE` as a list); overrides `audience`. */
  readonly audiences?: readonly string[];
  /** One key set per issuer: the token's `iss` picks it; an `iss` not in the map is refused without a fetch. */
  readonly keySets?: ReadonlyMap<string, JwksStore>;
  /** The claim the audiences are matched against; default `aud`. */
  readonly audienceClaim?: string;
  /** `TOKEN_PROFILE`; default fa-auth-m8. */
  readonly profile?: TokenProfile;
  /** `ROLES_CLAIM` (oidc profile); default `roles`. */
  readonly rolesClaim?: string;
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
  readonly user: AuthUser;
  readonly expiresAtMs: number;
  /** The key set the token was verified with, kept fresh on every hit (`undefined` for a static key). */
  readonly store: JwksStore | undefined;
}

type AnyKey = KeyObject | webcrypto.CryptoKey;
type Found = {
  readonly key: AnyKey;
  readonly store: JwksStore | undefined;
  readonly generation: number | undefined;
};

/**
 * Verifies access tokens: our own cheap structural checks first (an accepted algorithm, no `crit`, bounded
 * `kid`, a known `iss` before any key lookup), a synchronous signature check that refuses a forged token
 * without an exception, then jose `jwtVerify` with exactly the header's (accepted) algorithm and the profile's
 * claims, then the profile's claim rules.
 * Verified tokens are remembered by their exact string until their `exp` or the next key-set change, so a
 * repeated token costs one Map lookup instead of a signature check (docs/architecture.md, "Speed").
 */
export class TokenVerifier {
  readonly #o: VerifierOptions;
  readonly #leewaySeconds: number;
  readonly #required: string[];
  readonly #cache = new Map<string, CacheEntry>();
  /** The cached tokens of each user (lower-cased `sub`), maintained only where entries are added or removed. */
  readonly #byUser = new Map<string, Set<string>>();
  /** Bumped by every eviction: a verification in flight across one is returned but not remembered. */
  #epoch = 0;
  readonly #verifyJwt: NonNullable<VerifierOptions['verifyJwt']>;
  /** Accepted algorithm → the one-entry allow-list handed to jose (made once). */
  readonly #algs: ReadonlyMap<string, AccessTokenAlgorithm[]>;
  readonly #issuer: string | string[] | undefined;
  readonly #audiences: readonly string[];
  readonly #audienceClaim: string;
  /** Look at `iss` before the key lookup: a key set may be fetched, and an unknown issuer must never cause it. */
  readonly #precheckIssuer: boolean;
  readonly #issuerSet: ReadonlySet<string>;
  readonly #read: ClaimReader;
  #staticKey: KeyObject | webcrypto.CryptoKey | Promise<webcrypto.CryptoKey> | undefined;

  constructor(options: VerifierOptions) {
    this.#o = options;
    this.#staticKey = options.staticKey;
    this.#verifyJwt = options.verifyJwt ?? jwtVerify;
    this.#algs = new Map((options.algorithms ?? [options.alg]).map((a) => [a, [a]]));
    const issuers = options.issuers ?? (options.issuer === undefined ? [] : [options.issuer]);
    this.#issuer = issuers.length === 0 ? undefined : issuers.length === 1 ? issuers[0] : [...issuers];
    this.#issuerSet = new Set(issuers);
    this.#audiences = options.audiences ?? (options.audience === undefined ? [] : [options.audience]);
    this.#audienceClaim = options.audienceClaim ?? 'aud';
    this.#precheckIssuer =
      options.keySets !== undefined || (issuers.length > 0 && options.jwks !== undefined);
    const oidc = options.profile === 'oidc';
    this.#read = claimReader(options.profile ?? 'fa-auth-m8', options.rolesClaim ?? 'roles');
    this.#leewaySeconds = options.strict ? 2 : 5;
    if (oidc) this.#required = options.strict ? ['exp', 'sub', 'iat'] : ['exp', 'sub'];
    else
      this.#required = options.strict
        ? ['exp', 'sub', 'jti', 'type', 'iat', 'nbf']
        : ['exp', 'sub', 'jti', 'type'];
    if (this.#audienceClaim !== 'aud' && this.#audiences.length > 0) this.#required.push(this.#audienceClaim);
  }

  /**
   * Drops remembered tokens; called when a key set changes (a rotated-out key stops working): with `store`,
   * only the tokens verified with that set (another issuer's rotation leaves the tokens of the others cached),
   * else every one.
   */
  clear(store?: JwksStore): void {
    if (store === undefined || this.#o.keySets === undefined) {
      this.#cache.clear();
      this.#byUser.clear();
      return;
    }
    for (const [token, entry] of this.#cache) if (entry.store === store) this.#forget(token, entry);
  }

  /**
   * Drops every remembered token, including any verification in flight (a gap in the event stream). Unlike
   * {@link TokenVerifier.clear}, which the key-set generation already guards, this also stops a verification
   * under way from being remembered when it completes.
   */
  flush(): void {
    this.#epoch++;
    this.clear();
  }

  /** Forgets the remembered tokens of a user, all of them or only the one with this `jti`. Returns how many. */
  evictUser(userId: string, jti?: string): number {
    this.#epoch++;
    const tokens = this.#byUser.get(userId.toLowerCase());
    if (tokens === undefined) return 0;
    let dropped = 0;
    for (const token of [...tokens]) {
      const entry = this.#cache.get(token);
      if (jti === undefined || entry === undefined || entry.user.jti === jti) {
        if (entry !== undefined) dropped++;
        this.#forget(token, entry);
      }
    }
    return dropped;
  }

  /** How many tokens are remembered (tests and diagnostics). */
  get cacheSize(): number {
    return this.#cache.size;
  }

  #forget(token: string, entry: CacheEntry | undefined): void {
    this.#cache.delete(token);
    if (entry === undefined) return;
    const owner = entry.user.id.toLowerCase();
    const tokens = this.#byUser.get(owner);
    if (tokens === undefined) return;
    tokens.delete(token);
    if (tokens.size === 0) this.#byUser.delete(owner);
  }

  /** The remembered user for this exact token, if still before its `exp`. */
  cached(token: string): AuthUser | undefined {
    const entry = this.#cache.get(token);
    if (entry === undefined) return undefined;
    const nowMs = this.#o.now();
    entry.store?.maintain(nowMs);
    if (nowMs < entry.expiresAtMs) return entry.user;
    this.#forget(token, entry);
    return undefined;
  }

  /** Verifies a token fully. Never throws: every failure is a precomputed {@link Rejection}. */
  async verify(token: string): Promise<AuthUser | Rejection> {
    if (!COMPACT_JWS.test(token)) return REJECT.malformed;
    const epoch = this.#epoch;
    const header = decodeSegment(token, 0);
    if (header === undefined) return REJECT.malformed;
    // Compared exactly: `none`, `None`, `rs256`, `HS256` for an RSA deployment… are all refused here,
    // before any key is looked up (RFC 8725 §3.1, algorithm confusion).
    const allowList = typeof header.alg === 'string' ? this.#algs.get(header.alg) : undefined;
    if (allowList === undefined) return REJECT.badAlgorithm;
    const alg = allowList[0]!;
    // We implement no JWS extension, so any `crit` is one we do not understand (RFC 7515 §4.1.11).
    if (header.crit !== undefined) return REJECT.badHeader;
    const kid = header.kid;
    if (kid !== undefined && (typeof kid !== 'string' || kid.length > MAX_KID)) return REJECT.badHeader;
    // `jku`, `x5u`, `jwk`, `x5c` are never read: the key comes from configuration only.
    let jwks = this.#o.jwks;
    if (this.#precheckIssuer) {
      const iss = decodeSegment(token, 1)?.iss;
      if (iss === undefined) return withClaim(REJECT.missingClaim, 'iss');
      if (typeof iss !== 'string' || !this.#issuerSet.has(iss)) return REJECT.badIssuer;
      if (this.#o.keySets !== undefined) jwks = this.#o.keySets.get(iss);
      if (jwks === undefined && this.#o.keySets !== undefined) return REJECT.badIssuer;
    }
    const found = await this.#key(kid, jwks);
    if ('status' in found) return found;
    const { key, store, generation } = found;
    // A JWK that names its `alg`, or a key of another type (an RSA key under ES256), refuses the others.
    if (keyAlgorithms(key)?.has(alg) === false) return REJECT.badAlgorithm;
    if (signatureMatches(alg, token, key) === false) return REJECT.badSignature;
    const nowMs = this.#o.now();
    const options: JWTVerifyOptions = {
      algorithms: allowList,
      clockTolerance: this.#leewaySeconds,
      requiredClaims: this.#required,
      currentDate: new Date(nowMs),
    };
    if (this.#issuer !== undefined) options.issuer = this.#issuer;
    if (this.#audienceClaim === 'aud' && this.#audiences.length > 0) {
      options.audience = this.#audiences.length === 1 ? this.#audiences[0]! : [...this.#audiences];
    }
    let payload: JWTPayload;
    try {
      payload = (await this.#verifyJwt(token, key, options)).payload;
    } catch (error) {
      return mapJoseError(error);
    }
    const refused = this.#checkTimes(payload, nowMs) ?? this.#checkAudienceClaim(payload);
    if (refused !== undefined) return refused;
    const user = this.#read(payload);
    if ('status' in user) return user;
    if (store?.generation === generation && this.#epoch === epoch) {
      this.#remember(token, user, (payload.exp as number) * 1000, nowMs, store);
    }
    return user;
  }

  /**
   * The verification key: the static one, or the key set's (fetched when the kid is unknown), with the key
   * set's generation taken before the lookup: a key-set change after this point (while we await the lookup
   * or jwtVerify) clears the cache, and this token must not be put back into it afterwards.
   */
  async #key(kid: string | undefined, jwks: JwksStore | undefined): Promise<Found | Rejection> {
    let key = this.#staticKey;
    if (key instanceof Promise) {
      key = await key;
      this.#staticKey = key;
    }
    if (key !== undefined) return { key, store: undefined, generation: undefined };
    const store = jwks!;
    let generation = store.generation;
    let found: AnyKey | undefined = store.peek(kid);
    if (found === undefined) {
      const looked = await store.lookup(kid);
      if (looked === 'unknown_kid') return REJECT.unknownKid;
      if (typeof looked === 'number') return REJECT_KEYS_UNAVAILABLE[looked]!;
      found = looked;
      // The lookup may itself have loaded a new set: when the key is in the current set, its generation
      // is the current one (else the old one stays and the token is not remembered).
      if (store.peek(kid) === looked) generation = store.generation;
    }
    return { key: found, store, generation };
  }

  /** jose only checks that `exp`/`nbf`/`iat` are numbers; an `iat` later than now + leeway is invalid too. */
  #checkTimes(payload: JWTPayload, nowMs: number): Rejection | undefined {
    // `exp: 1e400` parses to Infinity (a token that never expires and would be cached forever), and 1.5, -1 or
    // 2^53 pass jose too. RFC 7519 §2 NumericDate is seconds; we accept whole, non-negative, exactly
    // representable numbers only.
    if (!isNumericDate(payload.exp)) return withClaim(REJECT.badClaims, 'exp');
    if (payload.nbf !== undefined && !isNumericDate(payload.nbf)) return withClaim(REJECT.badClaims, 'nbf');
    if (payload.iat !== undefined && !isNumericDate(payload.iat)) return withClaim(REJECT.badClaims, 'iat');
    // jose checks `iat` only with maxTokenAge.
    if (payload.iat !== undefined && payload.iat > Math.floor(nowMs / 1000) + this.#leewaySeconds) {
      return REJECT.issuedInFuture;
    }
    return undefined;
  }

  /** `TOKEN_AUDIENCE_CLAIM` other than `aud` (Cognito's `client_id`): a string or array naming an audience. */
  #checkAudienceClaim(payload: JWTPayload): Rejection | undefined {
    const name = this.#audienceClaim;
    if (name === 'aud' || this.#audiences.length === 0) return undefined;
    const value = payload[name];
    const values = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
    for (const v of values) if (typeof v === 'string' && this.#audiences.includes(v)) return undefined;
    return withClaim(REJECT.badAudience, name);
  }

  #remember(
    token: string,
    user: AuthUser,
    expiresAtMs: number,
    nowMs: number,
    store: JwksStore | undefined,
  ): void {
    // Accepted inside the leeway after `exp`: never cached (it would only take a slot, evicting a live one).
    if (this.#o.cacheSize <= 0 || nowMs >= expiresAtMs) return;
    if (this.#cache.size >= this.#o.cacheSize) {
      // FIFO eviction: Map iteration order is insertion order, so the first key is the oldest entry.
      const oldest = this.#cache.entries().next();
      if (oldest.done !== true) this.#forget(oldest.value[0], oldest.value[1]);
    }
    // Never past `exp`: after it the token goes through full verification again (leeway included).
    this.#forget(token, this.#cache.get(token));
    this.#cache.set(token, { user, expiresAtMs, store });
    const owner = user.id.toLowerCase();
    let tokens = this.#byUser.get(owner);
    if (tokens === undefined) {
      tokens = new Set();
      this.#byUser.set(owner, tokens);
    }
    tokens.add(token);
  }
}

/** A whole number of seconds in 0 … 2^53 − 1 (so `* 1000` and comparisons stay exact and finite). */
function isNumericDate(value: unknown): value is number {
  return Number.isSafeInteger(value) && (value as number) >= 0;
}

/** The JSON object of a token's header (0) or payload (1) segment, or `undefined` when it is not one. */
function decodeSegment(token: string, index: 0 | 1): Record<string, unknown> | undefined {
  try {
    const first = token.indexOf('.');
    const part = index === 0 ? token.slice(0, first) : token.slice(first + 1, token.indexOf('.', first + 1));
    const value: unknown = JSON.parse(Buffer.from(part, 'base64url').toString('utf8'));
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    return value as Record<string, unknown>;
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
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      if (e.claim === 'nbf' && e.reason !== 'missing') return REJECT.notYetValid;
      if (e.claim === 'iss' && e.reason !== 'missing') return REJECT.badIssuer;
      if (e.claim === 'aud' && e.reason !== 'missing') return REJECT.badAudience;
      const base = e.reason === 'missing' ? REJECT.missingClaim : REJECT.badClaims;
      // A required claim of ours (`client_id`…) is a configured name; jose's own are a fixed set.
      return typeof e.claim === 'string' && e.claim.length <= 128 ? withClaim(base, e.claim) : base;
    }
    default:
      // Malformed JWS/JWT, a key jose refuses for the algorithm, anything else: a 401, never a 500.
      return REJECT.malformed;
  }
}
