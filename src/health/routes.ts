/**
 * The health endpoints (docs/health.md): `/health` (and `/health/`), `/health/live`, `/health/ready`, as an
 * Express router to mount under API_PREFIX.
 */
import { type IRouter, type NextFunction, type Request, type Response, Router } from 'express';
import type { Logger } from 'pino';
import { scrubText } from '../redaction/index.js';
import { createSecretMatcher } from '../security/index.js';
import { type ResolvedHealthOptions, resolveHealthOptions } from './options.js';
import { EXPRESS_M8_VERSION } from './package-version.js';
import { createHealthRunner, type HealthObserver, type HealthReport, type HealthRunner } from './runner.js';
import { type AppState, type HealthOptions, HealthStatus } from './types.js';

/** Options of {@link createHealthRoutes} (internal: `createApp` builds them). */
export interface HealthRoutesOptions {
  readonly health?: HealthOptions | undefined;
  /** `HEALTH_DETAIL_CREDENTIAL`; unset or empty disables the header gate. */
  readonly credential: string | undefined;
  /** `serviceName ?? PROJECT_NAME`. */
  readonly service: string;
  /** `serviceVersion ?? SERVICE_VERSION ?? null`. */
  readonly version: string | null;
  readonly getState: () => AppState;
  /** Milliseconds from any origin, for latency and cache age. Default `performance.now`. */
  readonly clock?: (() => number) | undefined;
  readonly observer?: HealthObserver | undefined;
  readonly logger?: Logger | undefined;
}

interface Answer {
  readonly httpStatus: number;
  readonly publicBody: Buffer;
  readonly detailBody: Buffer;
}

const json = (value: unknown): Buffer => Buffer.from(JSON.stringify(value), 'utf8');
const INITIALIZING_BODY = json({ status: 'initializing', ready: false });
const SHUTTING_DOWN_BODY = json({ status: 'shutting_down', ready: false });
const LIVE_BODY = json({ status: HealthStatus.OK });
const PUBLIC_BODIES: Readonly<Record<HealthStatus, Buffer>> = {
  ok: json({ status: HealthStatus.OK }),
  degraded: json({ status: HealthStatus.DEGRADED }),
  fail: json({ status: HealthStatus.FAIL }),
  unknown: json({ status: HealthStatus.UNKNOWN }),
};
const CONTENT_TYPE = 'application/json; charset=utf-8';
const CREDENTIAL_HEADER = 'x-internal-token';

const defaultClock = (): number => performance.now();

/**
 * Builds the health router. Mount it under API_PREFIX: `app.use(prefix, router)` (or `app.use(router)`
 * when the prefix is empty).
 * @throws SettingsError `ERR_SETTINGS_INVALID` when `health` options are invalid.
 * @example
 * app.use('/api', createHealthRoutes({ health: { checks: [db.check] }, credential: settings.HEALTH_DETAIL_CREDENTIAL,
 *   service: 'orders', version: '1.2.0', getState: () => lifecycle.state }));
 */
export function createHealthRoutes(options: HealthRoutesOptions): Router {
  // Non-strict routing: `/health` and `/health/` are the same route whatever the app's own setting.
  const router = Router({ strict: false, caseSensitive: true });
  registerHealthRoutes(router, '', options);
  return router;
}

/**
 * Registers the health routes on an app or router under `mount` (`/api` → `/api/health`, …). `createApp`
 * registers them on the app itself: app-level routes cost a consumer request one path test each, where a
 * mounted router costs a whole router dispatch on every request under API_PREFIX.
 * @throws SettingsError `ERR_SETTINGS_INVALID` when `health` options are invalid.
 * @example
 * registerHealthRoutes(app, '/api', { credential: undefined, service: 'orders', version: null, getState });
 */
export function registerHealthRoutes(target: IRouter, mount: string, options: HealthRoutesOptions): void {
  const health = resolveHealthOptions(options.health);
  const { getState } = options;
  const runner = answerRunner(health, options);
  const canSeeDetail = detailGate(health, options);

  function notReady(res: Response): boolean {
    const state = getState();
    if (state === 'ready') return false;
    send(res, 503, state === 'initializing' ? INITIALIZING_BODY : SHUTTING_DOWN_BODY);
    return true;
  }

  async function healthHandler(req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      if (notReady(res)) return;
      const verdict = canSeeDetail(req);
      const detail = typeof verdict === 'boolean' ? verdict : await verdict;
      const answer = await runner.get();
      send(res, answer.httpStatus, detail ? answer.detailBody : answer.publicBody);
    } catch (err) {
      next(err);
    }
  }

  async function healthReadyHandler(_req: Request, res: Response, next: NextFunction): Promise<void> {
    try {
      if (notReady(res)) return;
      const answer = await runner.get();
      send(res, answer.httpStatus, answer.publicBody);
    } catch (err) {
      next(err);
    }
  }

  function healthLiveHandler(_req: Request, res: Response): void {
    send(res, 200, LIVE_BODY);
  }

  target.get(`${mount}/health/live`, healthLiveHandler);
  target.get(`${mount}/health/ready`, healthReadyHandler);
  target.get(`${mount}/health`, healthHandler);
}

/** The health runner, its report turned into the three answers once per run (public, detail, status). */
function answerRunner(health: ResolvedHealthOptions, options: HealthRoutesOptions): HealthRunner<Answer> {
  // `JSON.stringify` of this suffix once; each run only serialises its own status and checks.
  const detailSuffix = JSON.stringify({
    service: options.service,
    version: options.version,
    express_m8: EXPRESS_M8_VERSION,
    node: process.version,
  }).slice(1);
  return createHealthRunner<Answer>(
    {
      checks: health.checks,
      timeoutMs: health.timeoutMs,
      policy: health.policy,
      cacheTtlMs: health.cacheTtlMs,
      clock: options.clock ?? defaultClock,
      observer: options.observer,
      logger: options.logger,
    },
    (report: HealthReport): Answer => ({
      httpStatus: report.status === HealthStatus.FAIL ? 503 : 200,
      publicBody: PUBLIC_BODIES[report.status],
      detailBody: Buffer.from(
        `{"status":${JSON.stringify(report.status)},"checks":${JSON.stringify(report.checks)},${detailSuffix}`,
        'utf8',
      ),
    }),
  );
}

/**
 * Who sees the detail body: everyone when `detailPublic`, a caller presenting the health credential, or one the
 * `detailAuthorizer` accepts (a throwing or rejecting authorizer counts as a refusal, logged).
 */
function detailGate(
  health: ResolvedHealthOptions,
  options: HealthRoutesOptions,
): (req: Request) => boolean | Promise<boolean> {
  const { detailPublic, detailAuthorizer } = health;
  const { logger } = options;
  const matchesCredential = options.credential ? createSecretMatcher(options.credential) : undefined;

  function credentialMatches(req: Request): boolean {
    if (matchesCredential === undefined) return false;
    const given = req.headers[CREDENTIAL_HEADER];
    return typeof given === 'string' && given.length > 0 && matchesCredential(given);
  }

  function authorizerFailed(err: unknown): false {
    const message = err instanceof Error ? err.message : String(err);
    logger?.warn(
      { err: scrubText(message) },
      'health detailAuthorizer threw; caller treated as unauthorised',
    );
    return false;
  }

  return function canSeeDetail(req: Request): boolean | Promise<boolean> {
    if (detailPublic || credentialMatches(req)) return true;
    if (detailAuthorizer === undefined) return false;
    try {
      const verdict: unknown = detailAuthorizer(req);
      return isThenable(verdict) ? Promise.resolve(verdict).then(isTrue, authorizerFailed) : verdict === true;
    } catch (err) {
      return authorizerFailed(err);
    }
  };
}

function isTrue(value: unknown): boolean {
  return value === true;
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    typeof value === 'object' && value !== null && typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

function send(res: Response, status: number, body: Buffer): void {
  res.statusCode = status;
  res.setHeader('Content-Type', CONTENT_TYPE);
  res.setHeader('Cache-Control', 'no-store');
  res.setHeader('Content-Length', body.length);
  // `end` rather than `res.send`: no ETag or freshness work for an answer that must never be cached.
  res.end(body);
}
