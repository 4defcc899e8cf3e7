import { MASK, maskUrlUserinfo } from '../redaction/index.js';
import { SECRET_SETTINGS } from './types.js';

const SECRET_NAMES: ReadonlySet<string> = new Set(SECRET_SETTINGS);

/** Extension fields whose name says "secret" are masked too, since the library cannot know them. */
const SECRET_LIKE = /SECRET|PASSWORD|PASSWD|TOKEN|CREDENTIAL|PRIVATE_KEY|API_KEY|_KEY$/i;

/** Names of built-in fields that look secret-like but hold no secret. */
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

function maskValue(value: unknown): unknown {
  if (typeof value === 'string') return maskUrlUserinfo(value);
  if (Array.isArray(value)) return value.map(maskValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskValue(v)]));
  }
  return value;
}

/**
 * A plain, mutable copy of the settings that is safe to log: every secret (`SECRET_SETTINGS`, and extension
 * fields named like secrets) is `'***'` when set, and credentials inside URLs become `://***:***@`.
 * Used for the startup summary and `express-m8 check-config`.
 *
 * @example
 * logger.info({ settings: summarizeSettings(settings) }, 'configuration');
 */
export function summarizeSettings(settings: object): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(settings)) {
    const secret = SECRET_NAMES.has(name) || (SECRET_LIKE.test(name) && !NOT_SECRET.has(name));
    out[name] = secret && value !== undefined ? MASK : maskValue(value);
  }
  return out;
}
