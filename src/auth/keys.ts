import { createPublicKey, type JsonWebKey, type KeyObject, webcrypto } from 'node:crypto';
import { keyTypeProblem, loadPublicKeyFile } from '../settings/index.js';
import type { AccessTokenAlgorithm, AsymmetricAlgorithm } from '../settings/types.js';

/** The algorithms each verification key may be used with, recorded when the key is loaded or imported. */
const KEY_ALGORITHMS = new WeakMap<KeyObject, ReadonlySet<string>>();

/**
 * The algorithms a loaded key may verify (a JWK's own `alg`, or every configured algorithm its type suits);
 * `undefined` for a key this module did not load (the HS256 CryptoKey), which jose's allow-list governs alone.
 */
export function keyAlgorithms(key: object): ReadonlySet<string> | undefined {
  return KEY_ALGORITHMS.get(key as KeyObject);
}

/** Why a key is not usable for the algorithm, or `undefined` when it is (the key-type rules: `keyTypeProblem`). */
function keyProblem(key: KeyObject, alg: AccessTokenAlgorithm): string | undefined {
  if (alg === 'HS256') return key.type === 'secret' ? undefined : 'expected a secret key';
  if (key.type !== 'public') return `expected a public key, got a ${key.type} key`;
  return keyTypeProblem(key, alg);
}

/** Records which of `algs` the key suits; the first problem found when it suits none. */
function allow(key: KeyObject, algs: readonly AccessTokenAlgorithm[]): KeyObject | string {
  const usable = new Set<string>();
  let problem: string | undefined;
  for (const alg of algs) {
    const p = keyProblem(key, alg);
    if (p === undefined) usable.add(alg);
    else problem ??= p;
  }
  if (usable.size === 0) return problem ?? 'no algorithm configured';
  KEY_ALGORITHMS.set(key, usable);
  return key;
}

/**
 * The HS256 secret as a WebCrypto HMAC key, imported once. Not a KeyObject: jose re-exports a secret
 * KeyObject and re-imports it on every verification, while a webcrypto.CryptoKey is used as is.
 */
export function hmacKey(secret: string): Promise<webcrypto.CryptoKey> {
  return webcrypto.subtle.importKey(
    'raw',
    Buffer.from(secret, 'utf8'),
    { name: 'HMAC', hash: 'SHA-256' },
    // Extractable: the signature pre-check turns it into a KeyObject once, which Node 24 deprecates for a
    // non-extractable key (DEP0204). The secret is in the process's settings anyway.
    true,
    ['verify'],
  ) as Promise<webcrypto.CryptoKey>;
}

const list = (
  algs: AccessTokenAlgorithm | readonly AccessTokenAlgorithm[],
): readonly AccessTokenAlgorithm[] => (typeof algs === 'string' ? [algs] : algs);

/**
 * Reads and parses `ACCESS_PUBLIC_KEY_FILE` once, with the check `loadSettings` applies (`loadPublicKeyFile`):
 * a private key is refused, and the key must suit every configured algorithm. Returns the key or a message
 * naming what is wrong (never the file's content).
 */
export function loadPemKey(
  file: string,
  algs: AccessTokenAlgorithm | readonly AccessTokenAlgorithm[],
): KeyObject | string {
  const asymmetric = list(algs).filter((a): a is AsymmetricAlgorithm => a !== 'HS256');
  const loaded = loadPublicKeyFile(file, asymmetric);
  if ('problems' in loaded) return loaded.problems.join('; ');
  KEY_ALGORITHMS.set(loaded.key, new Set(asymmetric));
  return loaded.key;
}

const KTY: Readonly<Record<AccessTokenAlgorithm, string>> = {
  RS256: 'RSA',
  RS384: 'RSA',
  RS512: 'RSA',
  PS256: 'RSA',
  ES256: 'EC',
  ES384: 'EC',
  EdDSA: 'OKP',
  HS256: 'oct',
};

/**
 * Judges one JWK from a fetched set: the `KeyObject`, or why it is unusable for the configured algorithms
 * (wrong `kty`, `use` other than `sig`, an `alg` not configured, `key_ops` without `verify`, symmetric
 * material, a weak RSA modulus, another curve, or anything Node cannot parse; for the log line of a refresh,
 * never key material). Each JWK is judged alone so one bad entry never poisons the set.
 */
export function judgeJwk(
  jwk: unknown,
  algs: AccessTokenAlgorithm | readonly AccessTokenAlgorithm[],
): KeyObject | string {
  const configured = list(algs).filter((a): a is AsymmetricAlgorithm => a !== 'HS256');
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'not a JSON object';
  const j = jwk as Record<string, unknown>;
  const ktys = [...new Set(configured.map((a) => KTY[a]))];
  if (!ktys.includes(j.kty as string)) return `kty is not ${ktys.join(' or ') || 'a public-key type'}`;
  if (j.use !== undefined && j.use !== 'sig') return 'use is not sig';
  if (j.alg !== undefined && !configured.includes(j.alg as AsymmetricAlgorithm))
    return `alg is not ${configured.join(' or ')}`;
  if (j.key_ops !== undefined && !(Array.isArray(j.key_ops) && j.key_ops.includes('verify')))
    return 'key_ops lacks verify';
  if (j.kid !== undefined && typeof j.kid !== 'string') return 'kid is not a string';
  let key: KeyObject;
  try {
    key = createPublicKey({ key: publicMembers(j), format: 'jwk' });
  } catch {
    return 'not a public key Node.js can parse';
  }
  const candidates = j.alg === undefined ? configured : [j.alg as AsymmetricAlgorithm];
  return allow(
    key,
    candidates.filter((a) => KTY[a] === j.kty),
  );
}

/** Only the public members are passed on: a JWK carrying private parts is still just a public key here. */
function publicMembers(j: Record<string, unknown>): JsonWebKey {
  if (j.kty === 'RSA') return { kty: 'RSA', n: j.n as string, e: j.e as string };
  if (j.kty === 'OKP') return { kty: 'OKP', crv: j.crv as string, x: j.x as string };
  return { kty: 'EC', crv: j.crv as string, x: j.x as string, y: j.y as string };
}
