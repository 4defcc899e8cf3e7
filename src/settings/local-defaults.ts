/**
 * Local and development defaults: a hello world needs only `ENVIRONMENT`, `PROJECT_NAME` and one key. Each
 * default fills a raw value before validation, so `check-config` shows what the service really runs with.
 * Staging, production and `STRICT_PRODUCTION_MODE=true` get none of them: every requirement stays.
 */
import { clean } from './fields.js';
import type { SettingsNote } from './notes.js';

type Raw = Record<string, string | undefined>;

/** Values of the variables a local service does not need to set. */
const LOCAL_DEFAULTS: Readonly<Record<string, string>> = Object.freeze({
  DOMAIN: 'localhost',
  API_PREFIX: '/api',
  BACKEND_HOST: 'http://localhost:8000',
  FRONTEND_HOST: 'http://localhost:5173',
  // FRONTEND_HOST is an allowed origin already; no further one.
  BACKEND_CORS_ORIGINS: '',
});

const TRUE = new Set(['true', '1', 'yes', 'on']);

/** True for `ENVIRONMENT` local or development without strict production mode. */
function isRelaxed(raw: Raw): boolean {
  const env = clean(raw['ENVIRONMENT'])?.toLowerCase();
  if (env !== 'local' && env !== 'development') return false;
  return !TRUE.has(clean(raw['STRICT_PRODUCTION_MODE'])?.toLowerCase() ?? 'false');
}

/** `My Items API` → `my-items-api`; `local` when nothing is left. */
function slug(name: string | undefined): string {
  const s = (name ?? '')
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');
  return s === '' ? 'local' : s;
}

/**
 * Fills the unset variables of a local or development service in `raw` (names in `failed` are left alone)
 * and returns the warnings a fallback deserves.
 */
export function applyLocalDefaults(raw: Raw, failed: ReadonlySet<string>): SettingsNote[] {
  if (!isRelaxed(raw)) return [];
  const notes: SettingsNote[] = [];
  const unset = (name: string) => !failed.has(name) && clean(raw[name]) === undefined;
  const fill = (name: string, value: string) => {
    if (unset(name) && (raw[name] === undefined || name !== 'BACKEND_CORS_ORIGINS')) raw[name] = value;
  };
  for (const [name, value] of Object.entries(LOCAL_DEFAULTS)) fill(name, value);
  fill('STACK_NAME', slug(clean(raw['PROJECT_NAME'])));
  // One secret and no public key: that secret is the key.
  if (unset('ACCESS_PUBLIC_KEY_FILE') && unset('JWKS_URI') && !unset('ACCESS_SECRET_KEY')) {
    fill('ACCESS_TOKEN_ALGORITHM', 'HS256');
  }
  if (unset('TOKEN_MODE') && unset('INTROSPECTION_URL')) {
    raw['TOKEN_MODE'] = 'stateless';
    notes.push({
      variable: 'TOKEN_MODE',
      message:
        'not set and no INTROSPECTION_URL: running stateless (revoked tokens stay valid until they expire); ' +
        'staging and production require TOKEN_MODE=stateful with INTROSPECTION_URL or an explicit TOKEN_MODE',
    });
  }
  if (unset('TOKEN_STRICT_VALIDATION') && (unset('TOKEN_ISSUER') || unset('TOKEN_AUDIENCE'))) {
    raw['TOKEN_STRICT_VALIDATION'] = 'false';
    notes.push({
      variable: 'TOKEN_STRICT_VALIDATION',
      message:
        'not set and TOKEN_ISSUER or TOKEN_AUDIENCE missing: permissive validation (iss and aud are checked ' +
        'only when set, iat and nbf not required); staging and production require both',
    });
  }
  return notes;
}
