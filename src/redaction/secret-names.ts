/**
 * The one decision of which names are secret: object keys redacted in health meta, logged errors and database
 * errors (`REDACTED`), and setting names masked in the settings summary (`***`). One definition, so a name the
 * summary shows is never one redaction hides, and the reverse; the summary's only exception is its own
 * allow-list of built-in settings known to hold no secret (`TOKEN_MODE`, `API_KEY_CACHE_TTL_SECONDS`, …).
 * Over-masking is preferred to leaking: where the two used to disagree, the name is secret.
 */

// Compared after lower-casing and removing `_`, `-`, `.` and spaces, so `apiKey`, `api_key`, `API-KEY` and
// `x.api.key` all match. Substring match: `dbPassword`, `clientSecret`, `sessionId` are caught too.
const SECRET_NAME_PARTS = [
  'password',
  'passwd',
  'passphrase',
  'pwd',
  'secret',
  'token',
  'apikey',
  'authorization',
  'credential',
  'privatekey',
  'accesskey',
  'signingkey',
  'encryptionkey',
  'pepper',
  'cookie',
  'session',
  // Connection strings carry the database password: `DATABASE_URL`, `dsn`, `connectionString`.
  'databaseurl',
  'dsn',
  'connectionstring',
  'jwt',
] as const;

const NAME_NOISE = /[\s_.-]/g;

// A name whose last word is `key` holds a key (`STRIPE_KEY`, `webhook-key`, `stripeKey`): words end at `_`,
// `-`, `.`, a space or a lower-case letter or digit followed by `Key`, so `monkey`, `KEY` and `keys` do not.
const LAST_WORD_KEY = /(?:[\s_.-][Kk][Ee][Yy]|[a-z\d]Key)$/;

/**
 * True when a name (an object key or a setting name) names a secret, in any case style (`api_key`, `apiKey`,
 * `API-KEY`, `x.api.key`): it contains `password`, `passwd`, `passphrase`, `pwd`, `secret`, `token`, `apikey`,
 * `authorization`, `credential`, `privatekey`, `accesskey`, `signingkey`, `encryptionkey`, `pepper`, `cookie`,
 * `session`, `databaseurl`, `dsn`, `connectionstring` or `jwt` once lower-cased without `_`, `-`, `.` and
 * spaces, or its last word is `key`.
 * @example
 * isSecretKey('clientSecret'); // true
 * isSecretKey('STRIPE_KEY'); // true
 * isSecretKey('host'); // false
 */
export function isSecretKey(name: string): boolean {
  const k = name.toLowerCase().replace(NAME_NOISE, '');
  for (const part of SECRET_NAME_PARTS) if (k.includes(part)) return true;
  return LAST_WORD_KEY.test(name);
}
