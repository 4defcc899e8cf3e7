/**
 * Credential scrubbing for anything a health check (or a log line) shows: free text and structured meta.
 * Over-masking is preferred to leaking: a harmless value that looks like a secret is masked too.
 */

/** What a secret inside a text becomes: URL userinfo (`://***:***@`), pair values, tokens, known values. */
export const MASK = '***';
/**
 * The value that replaces a meta entry whose key names a secret (health meta, logged errors).
 * @example
 * scrubMeta({ token: 't' }); // { token: REDACTED }
 */
export const REDACTED = 'REDACTED';
/** pino's censor for the logger's redact paths, and what a secret query value of a logged URL becomes. */
export const CENSOR = '[REDACTED]';

// `scheme://user:password@` and `scheme://user@`. The userinfo runs to the last `@` before a `/`, whitespace
// or quote, so a password containing `@`, `:` or `?` is still covered (RFC 3986 §3.2.1 wants it encoded, but
// DSNs written by hand often are not).
// The scheme starts where no scheme character precedes it: otherwise every position of a long alphanumeric run
// would start a scan to its end (quadratic; 0.7 s for 16 KiB).
const URL_USERINFO = /(?<![a-z0-9+.-])([a-z][a-z0-9+.-]*:\/\/)[^\s/"'`<>]*@/gi;
// `Authorization: <scheme> <value>` / `authorization=...`, any quoting.
const AUTHORIZATION_HEADER =
  /(authorization["']?\s*[:=]\s*["']?)(?:(basic|bearer|digest|negotiate|token|dpop|hoba|mutual|aws4-hmac-sha256)\s+)?[^\s"',;&]+/gi;
// RFC 6750 §2.1 b64token.
const BEARER = /\b(bearer)\s+[a-z0-9\-._~+/]+=*/gi;
// `key=value` pairs whose key names a secret (query strings, libpq/ODBC DSNs, env dumps): the value runs to
// the next `&`, `;` or whitespace, or is a quoted string. A key starts where no key character precedes it, so a
// long run of key characters is scanned once, not once per position.
/** Key words of secret `key=value` pairs (a regex alternation); the URL scrubber of the request log adds its own. */
export const SECRET_KEY_WORDS = 'password|passwd|passphrase|pwd|secret|token|jwt|api[_-]?key';
const SECRET_PAIR = new RegExp(
  `((?<![a-z0-9_.-])[a-z0-9_.-]*?(?:${SECRET_KEY_WORDS})[a-z0-9_.-]*\\s*=\\s*)(?:"[^"]*"|'[^']*'|[^&;\\s]+)`,
  'gi',
);
// JSON-style `"password": "value"` inside a message.
const SECRET_JSON_PAIR = new RegExp(
  `("[^"]*?(?:${SECRET_KEY_WORDS}|authorization|cookie)[^"]*"\\s*:\\s*)"(?:[^"\\\\]|\\\\.)*"`,
  'gi',
);
/**
 * A JWT (RFC 7519 compact form): a base64url JSON header (`{"` encodes to `eyJ`) and two more segments; the
 * further segments of a JWE (RFC 7516 §7.1, five in all) are swallowed too. Global: use with `replace` only.
 */
export const JWT_PATTERN = /\beyJ[a-z0-9_-]*\.[a-z0-9_-]+\.[a-z0-9_-]*(?:\.[a-z0-9_-]*)*/gi;

/**
 * Masks credentials in free text: URL userinfo (`://***:***@`), `password=`-style pairs (also `pwd`,
 * `passwd`, `secret`, `token`, `api_key` keys, any prefix such as `DB_PASSWORD`), JSON `"password":"…"`
 * pairs, `Authorization` header values, `Bearer` tokens and JWTs.
 * @param text - the text to scrub (non-strings are converted with `String`).
 * @returns the text with every secret replaced by `***`.
 * @example
 * scrubText('connect postgres://app:s3cret@db:5432/app failed'); // 'connect postgres://***:***@db:5432/app failed'
 */
export function scrubText(text: string): string {
  let out = typeof text === 'string' ? text : String(text);
  if (out.length === 0) return out;
  out = maskUrlUserinfo(out);
  out = out.replace(AUTHORIZATION_HEADER, (_m, head: string, scheme: string | undefined) =>
    scheme === undefined ? `${head}${MASK}` : `${head}${scheme} ${MASK}`,
  );
  out = out.replace(BEARER, `$1 ${MASK}`);
  out = out.replace(SECRET_JSON_PAIR, `$1"${MASK}"`);
  out = out.replace(SECRET_PAIR, `$1${MASK}`);
  out = out.replace(JWT_PATTERN, MASK);
  return out;
}

/**
 * Masks the userinfo of every URL in `text` (`scheme://user:password@` and `scheme://user@` become
 * `scheme://***:***@`), and nothing else: the one URL-credential pattern of logs, health output, database
 * errors and the settings summary.
 * @example
 * maskUrlUserinfo('postgres://app:p@ss@db/app'); // 'postgres://***:***@db/app'
 */
export function maskUrlUserinfo(text: string): string {
  return text.indexOf('@') === -1 ? text : text.replace(URL_USERINFO, `$1${MASK}:${MASK}@`);
}

/**
 * Replaces every occurrence of each known secret value (a configured password, a raw setting) with
 * {@link MASK}. Values shorter than 3 characters are left alone: they would mangle ordinary words.
 */
export function maskKnownSecrets(text: string, secrets: readonly (string | undefined)[]): string {
  let out = text;
  for (const secret of secrets) {
    if (secret !== undefined && secret.length >= 3) out = out.split(secret).join(MASK);
  }
  return out;
}
