import type { AuthUser } from '../types.js';

export interface RevokedSessionsOptions {
  /** How long a pushed revocation is remembered: the longest an access token lives, plus leeway. */
  readonly ttlMs: number;
  /** Most remembered revocations (jtis and users together); the oldest go first. */
  readonly maxEntries: number;
  readonly now: () => number;
}

interface UserCutoff {
  /** Tokens of the user issued at or before this (`iat`, epoch seconds) are refused. */
  readonly iatCutoffS: number;
  /** When set, a token carrying a numeric `auth_generation` claim is refused when the claim is below it. */
  readonly generation: number | undefined;
  readonly until: number;
}

/**
 * What the event stream revoked, for `TOKEN_MODE=hybrid` (which never asks the issuer): revoked `jti`s and
 * users whose earlier tokens are void, each remembered until any token it covers has expired. Empty (and so
 * one size test per request) until an event arrives.
 */
export class RevokedSessions {
  readonly #o: RevokedSessionsOptions;
  readonly #jtis = new Map<string, number>();
  readonly #users = new Map<string, UserCutoff>();

  constructor(options: RevokedSessionsOptions) {
    this.#o = options;
  }

  /** True when the token was revoked by a pushed event. */
  denied(user: AuthUser): boolean {
    if (this.#jtis.size === 0 && this.#users.size === 0) return false;
    const now = this.#o.now();
    const jtiUntil = user.jti === null ? undefined : this.#jtis.get(user.jti);
    if (jtiUntil !== undefined) {
      if (now < jtiUntil) return true;
      this.#jtis.delete(user.jti as string);
    }
    const cutoff = this.#users.get(user.id.toLowerCase());
    if (cutoff === undefined) return false;
    if (now >= cutoff.until) {
      this.#users.delete(user.id.toLowerCase());
      return false;
    }
    const claim = user.claims.auth_generation;
    if (cutoff.generation !== undefined && typeof claim === 'number') return claim < cutoff.generation;
    const iat = user.claims.iat;
    // No `iat` (permissive profile): nothing tells the token is newer than the revocation.
    return typeof iat !== 'number' || iat <= cutoff.iatCutoffS;
  }

  /** Refuses this one token from now on. */
  revokeJti(jti: string): void {
    this.#jtis.delete(jti);
    this.#jtis.set(jti, this.#o.now() + this.#o.ttlMs);
    this.#bound();
  }

  /**
   * Refuses the user's tokens issued until now (or, for tokens with an `auth_generation` claim, those below
   * `generation`).
   */
  revokeUser(userId: string, generation?: number): void {
    const now = this.#o.now();
    const key = userId.toLowerCase();
    this.#users.delete(key);
    this.#users.set(key, { iatCutoffS: Math.floor(now / 1000), generation, until: now + this.#o.ttlMs });
    this.#bound();
  }

  /** How many revocations are remembered. */
  get size(): number {
    return this.#jtis.size + this.#users.size;
  }

  #bound(): void {
    while (this.size > this.#o.maxEntries) {
      const from = this.#jtis.size >= this.#users.size ? this.#jtis : this.#users;
      const oldest = from.keys().next();
      if (oldest.done === true) return;
      from.delete(oldest.value);
    }
  }
}
