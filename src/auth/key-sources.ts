import type { KeyObject, webcrypto } from 'node:crypto';
import type http from 'node:http';
import { SettingsError } from '../errors.js';
import { type AccessTokenAlgorithm, type Settings, settingList } from '../settings/types.js';
import { discoveryUrl, JwksStore } from './jwks.js';
import { hmacKey, loadPemKey } from './keys.js';
import type { AuthContext } from './types.js';

/** Where verification keys come from, decided once from the settings. */
export interface KeySources {
  /** The PEM key or the HS256 key (being imported): one key for every issuer. */
  readonly staticKey: KeyObject | Promise<webcrypto.CryptoKey> | undefined;
  /** One key set for every issuer (a single `JWKS_URI`). */
  readonly jwks: JwksStore | undefined;
  /** One key set per issuer (`OIDC_DISCOVERY`, or a `JWKS_URI` list aligned with `TOKEN_ISSUER`). */
  readonly keySets: ReadonlyMap<string, JwksStore> | undefined;
  /** Every key set, for the `start()` prefetch. */
  readonly stores: readonly JwksStore[];
}

/** What every key set shares. */
export interface KeySetContext {
  readonly ttlMs: number;
  readonly timeoutMs: number;
  readonly agentFor: (url: URL) => http.Agent;
  readonly now: () => number;
  readonly ctx: AuthContext;
  /** A key set's keys changed: the tokens verified with that set are forgotten. */
  readonly onKeySetChange: (store: JwksStore) => void;
}

/**
 * The key sources of a deployment: the HS256 secret; `OIDC_DISCOVERY` (one key set per issuer, found from its
 * discovery document); `JWKS_URI` as one URL (one key set for all issuers) or as a list aligned with
 * `TOKEN_ISSUER` (the n-th set for the n-th issuer); else `ACCESS_PUBLIC_KEY_FILE`.
 */
export function keySources(
  settings: Settings,
  algs: readonly AccessTokenAlgorithm[],
  issuers: readonly string[],
  k: KeySetContext,
): KeySources {
  const store = (url: URL, discovery?: { issuer: string; url: URL }): JwksStore =>
    new JwksStore({
      url,
      alg: algs,
      ...(discovery === undefined ? {} : { discovery }),
      ttlMs: k.ttlMs,
      timeoutMs: k.timeoutMs,
      agent: k.agentFor(url),
      now: k.now,
      ctx: k.ctx,
      onKeySetChange: k.onKeySetChange,
    });
  if (algs[0] === 'HS256') {
    const staticKey = hmacKey(settings.ACCESS_SECRET_KEY!);
    // Awaited by the first verification; this handler only keeps an (impossible) import failure from being
    // an unhandled rejection before any request arrives.
    staticKey.catch(() => undefined);
    return { staticKey, jwks: undefined, keySets: undefined, stores: [] };
  }
  if (settings.OIDC_DISCOVERY === true) {
    const keySets = new Map<string, JwksStore>();
    for (const issuer of issuers) {
      const url = discoveryUrl(issuer);
      keySets.set(issuer, store(url, { issuer, url }));
    }
    return { staticKey: undefined, jwks: undefined, keySets, stores: [...keySets.values()] };
  }
  const urls = settingList(settings.JWKS_URI);
  if (urls.length === 1) {
    const jwks = store(new URL(urls[0]!));
    return { staticKey: undefined, jwks, keySets: undefined, stores: [jwks] };
  }
  if (urls.length > 1) {
    const keySets = new Map<string, JwksStore>();
    for (const [i, url] of urls.entries()) keySets.set(issuers[i]!, store(new URL(url)));
    return { staticKey: undefined, jwks: undefined, keySets, stores: [...keySets.values()] };
  }
  const loaded = loadPemKey(settings.ACCESS_PUBLIC_KEY_FILE!, algs);
  if (typeof loaded === 'string') {
    throw new SettingsError([{ variable: 'ACCESS_PUBLIC_KEY_FILE', message: loaded }]);
  }
  return { staticKey: loaded, jwks: undefined, keySets: undefined, stores: [] };
}
