import { createHmac, type KeyObject, randomBytes, timingSafeEqual } from 'node:crypto';

/** The prefix alphabet: lower-case only, so a case-insensitive SQL collation (MySQL) cannot mix two prefixes. */
const PREFIX_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';
const SECRET_ALPHABET = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789';
/** Length of the public lookup prefix. */
const API_KEY_PREFIX_LENGTH = 8;
/** Length of the secret part: 43 base62 characters carry 256 bits. */
const SECRET_LENGTH = 43;
/** `m8_<8 lower-case alphanumerics>_<32 or more base62 characters>`. */
const API_KEY_PATTERN = /^m8_([a-z0-9]{8})_[A-Za-z0-9]{32,128}$/;
/** Longest `X-API-Key` value looked at; anything longer is refused unread. */
export const MAX_API_KEY_LENGTH = 512;

/**
 * Uniform random characters from `alphabet` (rejection sampling: bytes at or above the largest multiple of
 * the alphabet size are dropped, so no character is more likely than another).
 */
function randomChars(alphabet: string, count: number): string {
  const limit = 256 - (256 % alphabet.length);
  let out = '';
  while (out.length < count) {
    for (const byte of randomBytes(count * 2)) {
      if (byte < limit) out += alphabet[byte % alphabet.length];
      if (out.length === count) break;
    }
  }
  return out;
}

/** A new key and its public prefix, from `crypto.randomBytes`. */
export function generateApiKey(): { readonly key: string; readonly prefix: string } {
  const prefix = randomChars(PREFIX_ALPHABET, API_KEY_PREFIX_LENGTH);
  return { key: `m8_${prefix}_${randomChars(SECRET_ALPHABET, SECRET_LENGTH)}`, prefix };
}

/** The lookup prefix of a well-formed key, or `undefined` for anything else. */
export function apiKeyPrefix(value: string): string | undefined {
  if (value.length > MAX_API_KEY_LENGTH) return undefined;
  return API_KEY_PATTERN.exec(value)?.[1];
}

/** HMAC-SHA256 of the whole key under the pepper: what the table stores (hex), never the key itself. */
export function apiKeyDigest(pepper: KeyObject | string, key: string): Buffer {
  return createHmac('sha256', pepper).update(key, 'utf8').digest();
}

/** Constant-time comparison of a computed digest with a stored hex one (lengths are fixed, 32 bytes). */
export function digestMatches(computed: Buffer, storedHex: string): boolean {
  const stored = Buffer.from(storedHex, 'hex');
  return stored.length === computed.length && timingSafeEqual(stored, computed);
}
