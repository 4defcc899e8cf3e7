/**
 * Checks `ACCESS_PUBLIC_KEY_FILE` at load time: the PEM must parse with node:crypto, hold a public key (or a
 * certificate) of the type the algorithm needs, RSA ≥ 2048 bits (NIST SP 800-131A) or EC on P-256 (RFC 7518 §3.4).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';

const MIN_RSA_BITS = 2048;

function describe(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') return `an RSA ${details?.modulusLength ?? '?'}-bit key`;
  if (key.asymmetricKeyType === 'ec') return `an EC key on ${details?.namedCurve ?? 'an unknown curve'}`;
  return `a ${key.asymmetricKeyType ?? 'unknown'} key`;
}

/** Why the file at `path` cannot verify `algorithm` tokens, or `undefined` when it can. */
export function publicKeyFileProblem(path: string, algorithm: 'RS256' | 'ES256'): string | undefined {
  const where = JSON.stringify(path);
  let pem: string;
  try {
    pem = readFileSync(resolve(path), 'utf8');
  } catch (err) {
    const code = (err as { code?: unknown }).code;
    return `cannot read the public key file ${where} (${typeof code === 'string' ? code : 'unreadable'})`;
  }
  // A private key must never be handed to a token consumer, even though a public key could be derived from it.
  if (/-----BEGIN [A-Z ]*PRIVATE KEY-----/.test(pem)) {
    return `the file ${where} holds a private key; give the consumer the public key only (SPKI PEM)`;
  }
  let key: KeyObject;
  try {
    key = createPublicKey(pem);
  } catch {
    return `expected a PEM public key (SPKI "BEGIN PUBLIC KEY", PKCS#1 or a certificate) in ${where}; it does not parse`;
  }
  const details = key.asymmetricKeyDetails;
  if (algorithm === 'RS256') {
    if (key.asymmetricKeyType !== 'rsa') {
      return `RS256 needs an RSA key, but ${where} holds ${describe(key)}`;
    }
    if ((details?.modulusLength ?? 0) < MIN_RSA_BITS) {
      return `RS256 needs an RSA key of at least ${MIN_RSA_BITS} bits, but ${where} holds ${describe(key)}`;
    }
    return undefined;
  }
  if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== 'prime256v1') {
    return `ES256 needs an EC key on P-256 (prime256v1), but ${where} holds ${describe(key)}`;
  }
  return undefined;
}
