/**
 * The one check of token verification keys, used by `loadSettings` (`ACCESS_PUBLIC_KEY_FILE`), `buildAuthDeps`
 * (the same file, and each JWK of a fetched set) and `express-m8 dev-token` (the signing key): RSA ≥ 2048 bits
 * (NIST SP 800-131A), EC on P-256 / P-384 (RFC 7518 §3.4) or Ed25519 (RFC 8037). A PEM file must parse with
 * node:crypto as a public key or certificate and must not hold a private key.
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AsymmetricAlgorithm } from './types.js';

/** The smallest RSA modulus accepted for any RS* or PS* algorithm. */
const MIN_RSA_BITS = 2048;

// Any PEM private key block: PKCS#8 (`PRIVATE KEY`, `ENCRYPTED PRIVATE KEY`), PKCS#1 (`RSA PRIVATE KEY`),
// SEC 1 (`EC PRIVATE KEY`).
const PRIVATE_KEY_PEM = /-----BEGIN [A-Z ]*PRIVATE KEY-----/;

function describe(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') return `an RSA ${details?.modulusLength ?? '?'}-bit key`;
  if (key.asymmetricKeyType === 'ec') return `an EC key on ${details?.namedCurve ?? 'an unknown curve'}`;
  if (key.asymmetricKeyType === undefined) return `a ${key.type} key`;
  return `${/^[aeiou]/.test(key.asymmetricKeyType) ? 'an' : 'a'} ${key.asymmetricKeyType} key`;
}

/**
 * Why `key` (public or private) cannot serve `algorithm`, or `undefined` when it can. `where` (a quoted path)
 * is named in the message when given.
 * @example
 * keyTypeProblem(ecKey, 'RS256'); // 'RS256 needs an RSA key (got an EC key on prime256v1)'
 */
export function keyTypeProblem(
  key: KeyObject,
  algorithm: AsymmetricAlgorithm,
  where?: string,
): string | undefined {
  const got = `(got ${describe(key)}${where === undefined ? '' : ` in ${where}`})`;
  const details = key.asymmetricKeyDetails;
  if (algorithm.startsWith('RS') || algorithm.startsWith('PS')) {
    if (key.asymmetricKeyType !== 'rsa') return `${algorithm} needs an RSA key ${got}`;
    if ((details?.modulusLength ?? 0) < MIN_RSA_BITS) {
      return `${algorithm} needs an RSA key of at least ${MIN_RSA_BITS} bits ${got}`;
    }
    return undefined;
  }
  if (algorithm === 'EdDSA') {
    return key.asymmetricKeyType === 'ed25519' ? undefined : `EdDSA needs an Ed25519 key ${got}`;
  }
  const curve = algorithm === 'ES256' ? 'prime256v1' : 'secp384r1';
  if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== curve) {
    return `${algorithm} needs an EC key on ${algorithm === 'ES256' ? 'P-256' : 'P-384'} (${curve}) ${got}`;
  }
  return undefined;
}

/**
 * Reads a public-key PEM file once: the key, or why it is unusable for any of `algorithms` (every problem,
 * never the file's content). A private key is refused: a token consumer must never hold the signing key, even
 * though a public key could be derived from it.
 */
export function loadPublicKeyFile(
  path: string,
  algorithms: readonly AsymmetricAlgorithm[],
): { readonly key: KeyObject } | { readonly problems: readonly string[] } {
  const where = JSON.stringify(path);
  let pem: string;
  try {
    pem = readFileSync(resolve(path), 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return {
      problems: [
        `cannot read the public key file ${where} (${typeof code === 'string' ? code : 'unreadable'})`,
      ],
    };
  }
  if (PRIVATE_KEY_PEM.test(pem)) {
    return {
      problems: [`the file ${where} holds a private key; give the consumer the public key only (SPKI PEM)`],
    };
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return {
      problems: [
        `expected a PEM public key (SPKI "BEGIN PUBLIC KEY", PKCS#1 or a certificate) in ${where}; it does not parse`,
      ],
    };
  }
  const problems: string[] = [];
  for (const algorithm of algorithms) {
    const problem = keyTypeProblem(key, algorithm, where);
    if (problem !== undefined) problems.push(problem);
  }
  return problems.length > 0 ? { problems } : { key };
}
