import { createHash, timingSafeEqual } from 'node:crypto';

const sha256 = (value: string): Buffer => createHash('sha256').update(value, 'utf8').digest();

/**
 * A constant-time comparison against one secret (health detail credential, metrics scrape credential).
 * Both sides are hashed first, so they are always 32 bytes: neither the length nor a prefix of the secret
 * leaks through timing. The secret's digest is computed once, here.
 * @example
 * const matches = createSecretMatcher(settings.HEALTH_DETAIL_CREDENTIAL);
 * matches(req.get('x-internal-token') ?? ''); // true only for the exact credential
 */
export function createSecretMatcher(secret: string): (candidate: string) => boolean {
  const expected = sha256(secret);
  return function matchesSecret(candidate: string): boolean {
    return timingSafeEqual(sha256(candidate), expected);
  };
}
