/**
 * Checks `ACCESS_PUBLIC_KEY_FILE` at load time: the PEM must parse with node:crypto, hold a public key (or a
 * certificate) of the type the algorithm needs, RSA ≥ 2048 bits (NIST SP 800-131A), EC on P-256 / P-384 (RFC 7518 §3.4) or Ed25519 (RFC 8037).
 */
import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { AsymmetricAlgorithm } from './types.js';

const MIN_RSA_BITS = 2048;

function describe(key: KeyObject): string {
  const details = key.asymmetricKeyDetails;
  if (key.asymmetricKeyType === 'rsa') return `an RSA ${details?.modulusLength ?? '?'}-bit key`;
  if (key.asymmetricKeyType === 'ec') return `an EC key on ${details?.namedCurve ?? 'an unknown curve'}`;
  return `a ${key.asymmetricKeyType ?? 'unknown'} key`;
}

/** Why the file at `path` cannot verify `algorithm` tokens, or `undefined` when it can. */
export function publicKeyFileProblem(path: string, algorithm: AsymmetricAlgorithm): string | undefined {
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
  if (algorithm.startsWith('RS') || algorithm === 'PS256') {
    if (key.asymmetricKeyType !== 'rsa') {
      return `${algorithm} needs an RSA key, but ${where} holds ${describe(key)}`;
    }
    if ((details?.modulusLength ?? 0) < MIN_RSA_BITS) {
      return `${algorithm} needs an RSA key of at least ${MIN_RSA_BITS} bits, but ${where} holds ${describe(key)}`;
    }
    return undefined;
  }
  if (algorithm === 'EdDSA') {
    return key.asymmetricKeyType === 'ed25519'
      ? undefined
      : `EdDSA needs an Ed25519 key, but ${where} holds ${describe(key)}`;
  }
  const curve = algorithm === 'ES256' ? 'prime256v1' : 'secp384r1';
  if (key.asymmetricKeyType !== 'ec' || details?.namedCurve !== curve) {
    const name = algorithm === 'ES256' ? 'P-256' : 'P-384';
    return `${algorithm} needs an EC key on ${name} (${curve}), but ${where} holds ${describe(key)}`;
  }
  return undefined;
}
