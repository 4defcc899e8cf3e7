import { createPublicKey, type JsonWebKey, type KeyObject, webcrypto } from 'node:crypto';
import { readFileSync } from 'node:fs';
import type { AccessTokenAlgorithm } from '../settings/types.js';

/** Why a key is not usable for the configured algorithm, or `undefined` when it is. */
export function keyProblem(key: KeyObject, alg: AccessTokenAlgorithm): string | undefined {
  if (alg === 'HS256') return key.type === 'secret' ? undefined : 'expected a secret key';
  if (key.type !== 'public') return `expected a public key, got a ${key.type} key`;
  const details = key.asymmetricKeyDetails;
  if (alg === 'RS256') {
    if (key.asymmetricKeyType !== 'rsa') return `expected an RSA key, got ${key.asymmetricKeyType}`;
    if ((details?.modulusLength ?? 0) < 2048)
      return `expected RSA ≥ 2048 bits, got ${details?.modulusLength}`;
    return undefined;
  }
  if (key.asymmetricKeyType !== 'ec') return `expected an EC key, got ${key.asymmetricKeyType}`;
  if (details?.namedCurve !== 'prime256v1') return `expected curve P-256, got ${details?.namedCurve}`;
  return undefined;
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

/**
 * Reads and parses `ACCESS_PUBLIC_KEY_FILE` once. A private key PEM is refused, as `loadSettings` refuses it: a
 * token consumer must never hold the signing key. Returns the key or a message naming what is wrong (never the
 * file's content).
 */
export function loadPemKey(file: string, alg: AccessTokenAlgorithm): KeyObject | string {
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
  const problem = keyProblem(key, alg);
  return problem === undefined ? key : `${file}: ${problem} for ${alg}`;
}

const JWK_KTY = { RS256: 'RSA', ES256: 'EC', HS256: 'oct' } as const;

/**
 * Imports one JWK from a fetched set, or returns `undefined` when it is unusable for `alg`: wrong `kty`,
 * `use` other than `sig`, an `alg` other than ours, `key_ops` without `verify`, symmetric material, a weak
 * RSA modulus, another curve, or anything Node cannot parse. Each JWK is judged alone so one bad entry never
 * poisons the set.
 */
export function importJwk(jwk: unknown, alg: AccessTokenAlgorithm): KeyObject | undefined {
  const judged = judgeJwk(jwk, alg);
  return typeof judged === 'string' ? undefined : judged;
}

/** {@link importJwk}, saying why a JWK is skipped (for the log line of a refresh; never key material). */
export function judgeJwk(jwk: unknown, alg: AccessTokenAlgorithm): KeyObject | string {
  if (typeof jwk !== 'object' || jwk === null || Array.isArray(jwk)) return 'not a JSON object';
  const j = jwk as Record<string, unknown>;
  if (j.kty !== JWK_KTY[alg] || alg === 'HS256') return `kty is not ${JWK_KTY[alg]}`;
  if (j.use !== undefined && j.use !== 'sig') return 'use is not sig';
  if (j.alg !== undefined && j.alg !== alg) return `alg is not ${alg}`;
  if (j.key_ops !== undefined && !(Array.isArray(j.key_ops) && j.key_ops.includes('verify')))
    return 'key_ops lacks verify';
  if (j.kid !== undefined && typeof j.kid !== 'string') return 'kid is not a string';
  let key: KeyObject;
  try {
    // Only the public members are passed on: a JWK carrying private parts is still just a public key here.
    const pub: JsonWebKey =
      alg === 'RS256'
        ? { kty: 'RSA', n: j.n as string, e: j.e as string }
        : { kty: 'EC', crv: j.crv as string, x: j.x as string, y: j.y as string };
    key = createPublicKey({ key: pub, format: 'jwk' });
  } catch {
    return 'not a public key Node.js can parse';
  }
  return keyProblem(key, alg) ?? key;
}
