import { createPublicKey, type JsonWebKey, type KeyObject, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
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

/** Why a key is not usable for the algorithm, or `undefined` when it is. */
function keyProblem(key: KeyObject, alg: AccessTokenAlgorithm): string | undefined {
  if (alg === 'HS256') return key.type === 'secret' ? undefined : 'expected a secret key';
  if (key.type !== 'public') return `expected a public key, got a ${key.type} key`;
  const details = key.asymmetricKeyDetails;
  if (alg.startsWith('RS') || alg === 'PS256') {
    if (key.asymmetricKeyType !== 'rsa') return `expected an RSA key, got ${key.asymmetricKeyType}`;
    if ((details?.modulusLength ?? 0) < 2048)
      return `expected RSA ≥ 2048 bits, got ${details?.modulusLength}`;
    return undefined;
  }
  if (alg === 'EdDSA') {
    return key.asymmetricKeyType === 'ed25519'
      ? undefined
      : `expected an Ed25519 key, got ${key.asymmetricKeyType}`;
  }
  if (key.asymmetricKeyType !== 'ec') return `expected an EC key, got ${key.asymmetricKeyType}`;
  const curve = alg === 'ES256' ? 'prime256v1' : 'secp384r1';
  if (details?.namedCurve !== curve)
    return `expected curve ${alg === 'ES256' ? 'P-256' : 'P-384'}, got ${details?.namedCurve}`;
  return undefined;
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
    false,
    ['verify'],
  ) as Promise<webcrypto.CryptoKey>;
}

const list = (
  algs: AccessTokenAlgorithm | readonly AccessTokenAlgorithm[],
): readonly AccessTokenAlgorithm[] => (typeof algs === 'string' ? [algs] : algs);

/**
 * Reads and parses `ACCESS_PUBLIC_KEY_FILE` once. A private key PEM is refused, as `loadSettings` refuses it: a
 * token consumer must never hold the signing key. Returns the key or a message naming what is wrong (never the
 * file's content).
 */
export function loadPemKey(
  file: string,
  algs: AccessTokenAlgorithm | readonly AccessTokenAlgorithm[],
): KeyObject | string {
  let pem: string;
  try {
    pem = readFileSync(file, 'utf8');
  } catch (error) {
    return `cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`;
  }
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    return `${file} holds a private key; give the consumer the public key only (SPKI PEM)`;
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return `${file} is not a PEM public key that Node.js can parse`;
  }
  const allowed = allow(key, list(algs));
  return typeof allowed === 'string' ? `${file}: ${allowed}` : allowed;
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
 * Imports one JWK from a fetched set, or says why it is unusable for the configured algorithms (for the log
 * line of a refresh; never key material): wrong `kty`, `use` other than `sig`, an `alg` not configured,
 * `key_ops` without `verify`, symmetric material, a weak RSA modulus, another curve, or anything Node cannot
 * parse. Each JWK is judged alone so one bad entry never poisons the set.
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
