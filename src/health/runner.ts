/**
 * Runs the configured checks concurrently, each bounded by a timeout, aggregates them under a policy and
 * shares runs: concurrent callers wait for the run under way (single flight), and a finished run is reused
 * until it is `cacheTtlMs` old.
 */
import type { Logger } from 'pino';
import { scrubMeta, scrubText } from '../redaction/index.js';
import { type HealthCheck, HealthPolicy, HealthStatus } from './types.js';

/** Metrics hook: called once per check per run (never for cached answers). */
export interface HealthObserver {
  onCheck(name: string, status: HealthStatus, seconds: number): void;
}

/** One entry of the detailed body's `checks` array. */
interface CheckReport {
  readonly name: string;
  readonly status: HealthStatus;
  /** Milliseconds, rounded to one decimal. */
  readonly latency_ms: number;
  readonly error: string | null;
  readonly meta: Readonly<Record<string, unknown>> | null;
  /** `status` is `ok`: a degraded dependency is not an ok one. */
  readonly ok: boolean;
}

/** The outcome of one run. */
export interface HealthReport {
  readonly status: HealthStatus;
  readonly checks: readonly CheckReport[];
}

export interface HealthRunnerOptions {
  readonly checks: readonly HealthCheck[];
  readonly timeoutMs: number;
  readonly policy: HealthPolicy;
  readonly cacheTtlMs: number;
  /** Milliseconds from an arbitrary origin (default `performance.now`). */
  readonly clock: () => number;
  readonly observer?: HealthObserver | undefined;
  readonly logger?: Logger | undefined;
}

export interface HealthRunner<T> {
  /** The current (possibly shared or cached) run, passed through `present`. Never rejects on a check's fault. */
  get(): Promise<T>;
}

/** Error messages past this length (after scrubbing) are cut and end with `…`. */
const MAX_ERROR_LENGTH = 500;

const VALID_STATUSES: ReadonlySet<unknown> = new Set(Object.values(HealthStatus));

/**
 * Aggregates statuses, most severe first: any `fail` ⇒ `fail`; under `strict` any `unknown` ⇒ `fail`; any
 * `unknown` ⇒ `unknown` (not knowing is not the same as knowing it is degraded); any `degraded` ⇒ `degraded`;
 * otherwise (none too) `ok`.
 * @example
 * aggregateStatus(['ok', 'unknown'], 'lenient'); // 'unknown'
 * aggregateStatus(['ok', 'unknown'], 'strict'); // 'fail'
 */
function aggregateStatus(statuses: Iterable<HealthStatus>, policy: HealthPolicy): HealthStatus {
  let unknown = false;
  let degraded = false;
  for (const s of statuses) {
    if (s === HealthStatus.FAIL) return HealthStatus.FAIL;
    if (s === HealthStatus.UNKNOWN) {
      if (policy === HealthPolicy.STRICT) return HealthStatus.FAIL;
      unknown = true;
    } else if (s === HealthStatus.DEGRADED) {
      degraded = true;
    }
  }
  if (unknown) return HealthStatus.UNKNOWN;
  return degraded ? HealthStatus.DEGRADED : HealthStatus.OK;
}

/** Creates the runner; `present` turns each fresh report into what callers get (e.g. serialised bodies). */
export function createHealthRunner<T>(
  options: HealthRunnerOptions,
  present: (report: HealthReport) => T,
): HealthRunner<T> {
  const { checks, timeoutMs, policy, cacheTtlMs, clock, observer, logger } = options;
  const timeoutError = `timeout ${timeoutMs}ms`;
  const lastStatus = new Map<string, HealthStatus>();
  let pending: Promise<T> | undefined;
  let cached: Promise<T> | undefined;
  let cachedAt = 0;

  async function runAll(): Promise<T> {
    const results = await Promise.all(
      checks.map((check, i) => runOne(check, i, timeoutMs, timeoutError, clock)),
    );
    const report: HealthReport = { status: aggregateStatus(statuses(results), policy), checks: results };
    for (const r of results) {
      notify(r);
      logTransition(r);
    }
    return present(report);
  }

  function notify(r: CheckReport): void {
    if (observer === undefined) return;
    try {
      observer.onCheck(r.name, r.status, r.latency_ms / 1000);
    } catch (err) {
      // A broken metrics hook must not break health answers.
      logger?.warn({ err: scrubText(errorMessage(err)) }, 'health observer threw');
    }
  }

  function logTransition(r: CheckReport): void {
    const previous = lastStatus.get(r.name);
    if (previous === r.status) return;
    lastStatus.set(r.name, r.status);
    if (logger === undefined) return;
    if (r.status !== HealthStatus.OK) {
      logger.warn(
        { check: r.name, status: r.status, previous: previous ?? null, error: r.error },
        'health check status changed',
      );
    } else if (previous !== undefined) {
      logger.info({ check: r.name, status: r.status, previous }, 'health check status changed');
    }
  }

  function settle(value: T): T {
    pending = undefined;
    if (cacheTtlMs > 0) {
      cached = Promise.resolve(value);
      cachedAt = clock();
    }
    return value;
  }

  function abandon(err: unknown): never {
    pending = undefined;
    throw err;
  }

  return {
    get(): Promise<T> {
      if (pending !== undefined) return pending;
      if (cached !== undefined && clock() - cachedAt < cacheTtlMs) return cached;
      cached = undefined;
      pending = runAll().then(settle, abandon);
      return pending;
    },
  };
}

function* statuses(results: readonly CheckReport[]): Iterable<HealthStatus> {
  for (const r of results) yield r.status;
}

function runOne(
  check: HealthCheck,
  index: number,
  timeoutMs: number,
  timeoutError: string,
  clock: () => number,
): Promise<CheckReport> {
  const fallbackName = check.name || `check-${index}`;
  const started = clock();
  return new Promise<CheckReport>((resolve) => {
    let done = false;
    const finish = (name: string, status: HealthStatus, error: string | null, meta: CheckReport['meta']) => {
      if (done) return; // a late result after the timeout is ignored
      done = true;
      clearTimeout(timer);
      const latency = Math.max(0, Math.round((clock() - started) * 10) / 10);
      resolve({ name, status, latency_ms: latency, error, meta, ok: status === HealthStatus.OK });
    };
    const timer = setTimeout(() => finish(fallbackName, HealthStatus.FAIL, timeoutError, null), timeoutMs);
    timer.unref();
    let outcome: Promise<unknown>;
    try {
      outcome = Promise.resolve(check());
    } catch (err) {
      outcome = Promise.reject(err);
    }
    outcome.then(
      (value) => {
        const problem = shapeProblem(value);
        if (problem !== undefined) {
          finish(fallbackName, HealthStatus.FAIL, `invalid check result: ${problem}`, null);
          return;
        }
        const r = value as {
          name: string;
          status: HealthStatus;
          error?: string | null;
          meta?: object | null;
        };
        const meta = r.meta == null ? null : (scrubMeta(r.meta) as Record<string, unknown>);
        finish(r.name, r.status, r.error == null ? null : cleanError(r.error), meta);
      },
      (err: unknown) => finish(fallbackName, HealthStatus.FAIL, cleanError(errorMessage(err)), null),
    );
  });
}

/** Describes what is wrong with a check's result, or `undefined` when it is acceptable. */
function shapeProblem(value: unknown): string | undefined {
  const expected =
    'expected { name: non-empty string, status: ok|degraded|fail|unknown, error?: string, meta?: object}';
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    return `${expected}, got ${value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value}`;
  }
  const r = value as Record<string, unknown>;
  if (typeof r.name !== 'string' || r.name.length === 0) return `${expected}, got name ${describe(r.name)}`;
  if (!VALID_STATUSES.has(r.status)) return `${expected}, got status ${describe(r.status)}`;
  if (r.error != null && typeof r.error !== 'string') return `${expected}, got error ${describe(r.error)}`;
  if (r.meta != null && (typeof r.meta !== 'object' || Array.isArray(r.meta))) {
    return `${expected}, got meta ${describe(r.meta)}`;
  }
  return undefined;
}

function describe(v: unknown): string {
  if (typeof v === 'string') return scrubText(JSON.stringify(v.length > 40 ? `${v.slice(0, 40)}…` : v));
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v;
}

function errorMessage(err: unknown): string {
  if (err instanceof Error) return err.message || err.name;
  if (typeof err === 'string') return err;
  return `non-error value thrown (${err === null ? 'null' : typeof err})`;
}

function cleanError(message: string): string {
  const clean = scrubText(message);
  return clean.length > MAX_ERROR_LENGTH ? `${clean.slice(0, MAX_ERROR_LENGTH - 1)}…` : clean;
}
