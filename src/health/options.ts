/**
 * Resolves and checks `HealthOptions` once, at construction; every problem is reported together.
 */
import { SettingsError, type SettingsIssue } from '../errors.js';
import { type HealthCheck, type HealthDetailAuthorizer, type HealthOptions, HealthPolicy } from './types.js';

/** `HealthOptions` with every default applied. */
export interface ResolvedHealthOptions {
  readonly checks: readonly HealthCheck[];
  readonly timeoutMs: number;
  readonly policy: HealthPolicy;
  readonly detailPublic: boolean;
  readonly detailAuthorizer: HealthDetailAuthorizer | undefined;
  readonly cacheTtlMs: number;
}

const HEALTH_DEFAULTS = Object.freeze({
  timeoutMs: 500,
  policy: HealthPolicy.LENIENT,
  detailPublic: false,
  cacheTtlMs: 2000,
});

// setTimeout clamps larger delays to 1 ms (Node docs, timers): a longer "timeout" would fire at once.
const MAX_TIMER_MS = 2_147_483_647;
const POLICIES: ReadonlySet<unknown> = new Set(Object.values(HealthPolicy));

/**
 * Applies defaults and validates.
 * @throws SettingsError `ERR_SETTINGS_INVALID` listing each bad `health.*` option.
 */
export function resolveHealthOptions(options: HealthOptions | undefined): ResolvedHealthOptions {
  const o = options ?? {};
  const issues: SettingsIssue[] = [];
  const bad = (variable: string, message: string) => issues.push({ variable: `health.${variable}`, message });

  const checks = o.checks ?? [];
  if (!Array.isArray(checks)) {
    bad('checks', `must be an array of async functions (got ${typeof checks})`);
  } else {
    checks.forEach((c: unknown, i) => {
      if (typeof c !== 'function')
        bad(`checks[${i}]`, `must be a function (got ${c === null ? 'null' : typeof c})`);
    });
  }
  const timeoutMs = o.timeoutMs ?? HEALTH_DEFAULTS.timeoutMs;
  if (
    typeof timeoutMs !== 'number' ||
    !Number.isInteger(timeoutMs) ||
    timeoutMs < 1 ||
    timeoutMs > MAX_TIMER_MS
  ) {
    bad('timeoutMs', `must be an integer from 1 to ${MAX_TIMER_MS} (got ${String(timeoutMs)})`);
  }
  const cacheTtlMs = o.cacheTtlMs ?? HEALTH_DEFAULTS.cacheTtlMs;
  if (typeof cacheTtlMs !== 'number' || !Number.isFinite(cacheTtlMs) || cacheTtlMs < 0) {
    bad('cacheTtlMs', `must be a finite number >= 0 (got ${String(cacheTtlMs)})`);
  }
  const policy = o.policy ?? HEALTH_DEFAULTS.policy;
  if (!POLICIES.has(policy)) bad('policy', `must be 'lenient' or 'strict' (got ${JSON.stringify(policy)})`);
  const detailPublic = o.detailPublic ?? HEALTH_DEFAULTS.detailPublic;
  if (typeof detailPublic !== 'boolean')
    bad('detailPublic', `must be a boolean (got ${typeof detailPublic})`);
  const detailAuthorizer = o.detailAuthorizer;
  if (detailAuthorizer !== undefined && typeof detailAuthorizer !== 'function') {
    bad('detailAuthorizer', `must be a function (got ${typeof detailAuthorizer})`);
  }
  if (issues.length > 0) throw new SettingsError(issues);
  return Object.freeze({
    checks: Object.freeze([...checks]),
    timeoutMs,
    policy,
    detailPublic,
    detailAuthorizer,
    cacheTtlMs,
  });
}
