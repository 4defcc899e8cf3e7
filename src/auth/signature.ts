import {
  constants,
  createHmac,
  verify as cryptoVerify,
  KeyObject,
  timingSafeEqual,
  type webcrypto,
} from 'node:crypto';
import type { AccessTokenAlgorithm } from '../settings/types.js';

const keyObjects = new WeakMap<webcrypto.CryptoKey, KeyObject>();

/**
 * The `KeyObject` of a key; `undefined` for a non-extractable `CryptoKey` (jose imports keys that way), whose
 * conversion Node 24 deprecates (DEP0204, a warning on stderr): jose then verifies it alone.
 */
function keyObjectOf(key: KeyObject | webcrypto.CryptoKey): KeyObject | undefined {
  if (key instanceof KeyObject) return key;
  if (!key.extractable) return undefined;
  let converted = keyObjects.get(key);
  if (converted === undefined) {
    converted = KeyObject.from(key);
    keyObjects.set(key, converted);
  }
  return converted;
}

/**
 * A synchronous signature check with the configured key, run before jose: a forged token is refused with
 * one verification and no exception, where jose would verify through a WebCrypto thread-pool job and throw
 * a `JOSEError` with a stack (docs/architecture.md, "Speed": a rejected token must not cost more than an accepted one).
 * Only a `false` short-circuits; a token that passes still goes through jose's full `jwtVerify`, so this check
 * can only refuse what jose would refuse too. `undefined` when it cannot decide (jose then does).
 * @param token - a compact JWS already checked to be three base64url segments with the expected `alg`.
 */
export function signatureMatches(
  alg: AccessTokenAlgorithm,
  token: string,
  key: KeyObject | webcrypto.CryptoKey,
): boolean | undefined {
  try {
    const dot = token.lastIndexOf('.');
    const input = Buffer.from(token.slice(0, dot), 'latin1');
    const signature = Buffer.from(token.slice(dot + 1), 'base64url');
    const keyObject = keyObjectOf(key);
    if (keyObject === undefined) return undefined;
    switch (alg) {
      case 'RS256':
        return cryptoVerify('sha256', input, keyObject, signature);
      case 'RS384':
        return cryptoVerify('sha384', input, keyObject, signature);
      case 'RS512':
        return cryptoVerify('sha512', input, keyObject, signature);
      case 'PS256':
        // RFC 7518 §3.5: MGF1 with SHA-256 and a salt as long as the hash.
        return cryptoVerify(
          'sha256',
          input,
          { key: keyObject, padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 32 },
          signature,
        );
      case 'ES256':
      case 'ES384': {
        // JWS carries ECDSA signatures as raw r‖s (RFC 7518 §3.4): 64 bytes for P-256, 96 for P-384.
        const es256 = alg === 'ES256';
        if (signature.length !== (es256 ? 64 : 96)) return false;
        const hash = es256 ? 'sha256' : 'sha384';
        return cryptoVerify(hash, input, { key: keyObject, dsaEncoding: 'ieee-p1363' }, signature);
      }
      case 'EdDSA':
        return keyObject.asymmetricKeyType === 'ed25519'
          ? cryptoVerify(null, input, keyObject, signature)
          : undefined;
      case 'HS256': {
        const expected = createHmac('sha256', keyObject).update(input).digest();
        return signature.length === expected.length && timingSafeEqual(signature, expected);
      }
      default:
        return undefined;
    }
  } catch {
    return undefined;
  }
}
