import { isSecretKey, MASK, maskUrlUserinfo } from '../redaction/index.js';

/**
 * Built-in settings whose name looks (or could look) secret to {@link isSecretKey} (`TOKEN`, `API_KEY`, `KEY`)
 * but whose value is not: the summary shows them, since an operator checking the configuration needs them. This is the only
 * difference from redaction, which sees arbitrary keys and masks by name alone. Never a `SECRET_SETTINGS` name
 * (a test keeps it so).
 */
const NOT_SECRET: ReadonlySet<string> = new Set([
  'TOKEN_MODE',
  'TOKEN_STRICT_VALIDATION',
  'TOKEN_ISSUER',
  'TOKEN_AUDIENCE',
  'TOKEN_AUDIENCE_CLAIM',
  'TOKEN_PROFILE',
  'ACCESS_TOKEN_ALGORITHM',
  'ACCESS_TOKEN_EXPIRE_MINUTES',
  'ACCESS_PUBLIC_KEY_FILE',
  'API_KEYS',
  'API_KEY_CACHE_TTL_SECONDS',
]);

function maskEntry(name: string, value: unknown): unknown {
  return isSecretKey(name) && value !== undefined ? MASK : maskValue(value);
}

/** URL credentials masked; inside an object value (an extension field), secret-named entries masked too. */
function maskValue(value: unknown): unknown {
  if (typeof value === 'string') return maskUrlUserinfo(value);
  if (Array.isArray(value)) return value.map(maskValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskEntry(k, v)]));
  }
  return value;
}

/**
 * A plain, mutable copy of the settings that is safe to log. Every setting whose name is secret by the
 * redaction rule ({@link isSecretKey}: every `SECRET_SETTINGS` name, and any extension field named like a
 * secret, e.g. `STRIPE_API_KEY`, `SESSION_SECRET`, `SENTRY_DSN`) is `'***'` when set, except the built-in
 * settings known to hold no secret (`TOKEN_MODE`, `TOKEN_AUDIENCE`, `ACCESS_TOKEN_EXPIRE_MINUTES`,
 * `API_KEY_CACHE_TTL_SECONDS`, …). Secret-named entries inside an object value (an extension field) are
 * `'***'` too, and credentials inside URLs become `://***:***@`.
 * Used for the startup summary and `express-m8 check-config`.
 *
 * @example
 * logger.info({ settings: summarizeSettings(settings) }, 'configuration');
 */
export function summarizeSettings(settings: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(settings)) {
    out[name] = NOT_SECRET.has(name) ? maskValue(value) : maskEntry(name, value);
  }
  return out;
}
