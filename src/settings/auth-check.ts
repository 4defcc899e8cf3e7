/**
 * The check `buildAuthDeps` runs on its Settings object, which may not come from `loadSettings` (built by hand,
 * or spread and edited): the auth variables go through the same field schemas and the same cross-field rules as
 * in `loadSettings`, so the two accept and refuse the same values with the same messages.
 */
import type { SettingsIssue } from '../errors.js';
import { show } from './fields.js';
import { authRuleIssues } from './rules.js';
import { SETTINGS_SHAPE } from './schema.js';
import type { Settings } from './types.js';

/** Auth fields whose typed value is also their environment form, so their own schema can judge it again. */
const REPARSED = [
  'ACCESS_TOKEN_ALGORITHM',
  'JWKS_URI',
  'JWKS_CACHE_TTL_SECONDS',
  'INTROSPECTION_URL',
] as const;
/** Of those, the ones a Settings object always holds (`loadSettings` fills a default). */
const REQUIRED: ReadonlySet<string> = new Set(['ACCESS_TOKEN_ALGORITHM', 'JWKS_CACHE_TTL_SECONDS']);

/**
 * Every problem `loadSettings` would report for the auth variables of `settings` (field checks of
 * `ACCESS_TOKEN_ALGORITHM`, `JWKS_URI`, `JWKS_CACHE_TTL_SECONDS`, `INTROSPECTION_URL`, then the token,
 * key-source — the PEM file included —, revocation, event-stream and API-key rules). Empty when auth can be
 * built.
 */
export function authSettingsIssues(settings: Settings): SettingsIssue[] {
  const issues: SettingsIssue[] = [];
  const failed = new Set<string>();
  for (const name of REPARSED) {
    const given: unknown = settings[name];
    const problem =
      given === undefined || given === null
        ? REQUIRED.has(name)
          ? 'is required (loadSettings always sets it)'
          : undefined
        : fieldProblem(name, given);
    if (problem !== undefined) {
      issues.push({ variable: name, message: problem });
      failed.add(name);
    }
  }
  issues.push(...authRuleIssues(settings, failed));
  return issues;
}

function fieldProblem(name: (typeof REPARSED)[number], given: unknown): string | undefined {
  const parsed = SETTINGS_SHAPE[name].safeParse(String(given));
  if (!parsed.success) return parsed.error.issues.map((issue) => issue.message).join('; ');
  // `loadSettings` keeps one spelling (`rs256` becomes `RS256`); auth compares against that spelling.
  return parsed.data === given
    ? undefined
    : `expected ${show(String(parsed.data))}, got ${show(String(given))}`;
}
