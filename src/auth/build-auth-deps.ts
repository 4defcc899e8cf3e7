import http from 'node:http';
import https from 'node:https';
import type { RequestHandler } from 'express';
import type { JWTPayload } from 'jose';
import { pino } from 'pino';
import { createApiKeyAuthenticator } from '../apikeys/index.js';
import { SettingsError, type SettingsIssue } from '../errors.js';
import type { HealthCheck } from '../health/types.js';
import { accessTokenAlgorithms, type Settings, settingList } from '../settings/types.js';
import { createEventStream, type EventStreamParts } from './events/index.js';
import { createGuards } from './guards.js';
import { keySources } from './key-sources.js';
import { RevocationClient } from './revocation.js';
import { authSettingsIssues } from './settings-check.js';
import {
  type AuthContext,
  type AuthObserver,
  type AuthUser,
  type BuildAuthDepsOptions,
  ROLES,
  type Role,
} from './types.js';
import { TokenVerifier } from './verifier.js';
import { createVerifyRequest } from './verify-request.js';

declare module 'express-serve-static-core' {
  interface Request {
    /** The authenticated caller, set by the express-m8 auth guards (`undefined` for anonymous callers). */
    user?: AuthUser;
  }
}

/** Resolved outbound timeouts of auth, in ms. */
export interface AuthTimeouts {
  readonly jwksMs: number;
  readonly revocationConnectMs: number;
  readonly revocationTotalMs: number;
}

/** The contract's timeouts (docs/auth.md), used for every one not given in `options.timeouts`. */
export const DEFAULT_AUTH_TIMEOUTS: AuthTimeouts = Object.freeze({
  jwksMs: 5000,
  revocationConnectMs: 2000,
  revocationTotalMs: 3000,
});

/** `options.timeouts` completed with the defaults. Internal (tests read the resolved values back). */
export function resolveAuthTimeouts(timeouts: BuildAuthDepsOptions['timeouts']): AuthTimeouts {
  return {
    jwksMs: timeouts?.jwksMs ?? DEFAULT_AUTH_TIMEOUTS.jwksMs,
    revocationConnectMs: timeouts?.revocationConnectMs ?? DEFAULT_AUTH_TIMEOUTS.revocationConnectMs,
    revocationTotalMs: timeouts?.revocationTotalMs ?? DEFAULT_AUTH_TIMEOUTS.revocationTotalMs,
  };
}

/** Key of the internal hooks on an {@link AuthDeps} (used by createApp; not part of the public API). */
export const AUTH_INTERNALS: unique symbol = Symbol.for('express-m8.auth.internals');

/** Internal hooks reachable through {@link AUTH_INTERNALS}. */
interface AuthInternals {
  setObserver(observer: AuthObserver | undefined): void;
  setLogger(logger: import('pino').Logger): void;
  /** The health checks auth contributes (`auth_event_stream` when the event stream is on). */
  healthChecks(): readonly HealthCheck[];
}

/** The authentication dependencies of a service: route guards plus their lifecycle. */
export interface AuthDeps {
  /** 401 unless a valid token is sent; 403 for an inactive user. Sets `req.user`. */
  readonly requireUser: RequestHandler;
  /** No token: anonymous (`req.user` undefined). A token: exactly like `requireUser`. */
  readonly optionalUser: RequestHandler;
  /** `requireUser` plus role ≥ `reader`; always asks the issuer in stateful mode (no positive cache). */
  readonly requireReader: RequestHandler;
  /** Role ≥ `writer`. */
  readonly requireWriter: RequestHandler;
  /** Role ≥ `admin`. */
  readonly requireAdmin: RequestHandler;
  /** Role `superadmin` and `is_superuser` true. */
  readonly requireSuperuser: RequestHandler;
  /** Role ≥ `role`; returns the same middleware for the same role. */
  requireRole(role: Role): RequestHandler;
  /**
   * The caller's user when the request carries a valid bearer token of an active user (not revoked, in
   * stateful mode), else `null`. Never answers the request and never rejects; refusals are logged at `debug`
   * only. For authorizers on routes no guard protects, such as the health detail.
   * @example
   * createApp(settings, router, {
   *   health: { detailAuthorizer: async (req) => (await auth.verify(req))?.isSuperuser === true },
   * });
   */
  verify(req: import('node:http').IncomingMessage): Promise<AuthUser | null>;
  /**
   * `requireUser` plus every one of `scopes` (`req.user.scopes`); else 403 `insufficient_scope` naming them.
   * @example router.post('/items', auth.requireScopes('items:write'), handler);
   */
  requireScopes(...scopes: string[]): RequestHandler;
  /**
   * `requireUser` plus at least one of `scopes`; else 403 `insufficient_scope` naming them.
   * @example router.get('/items', auth.requireAnyScope('items:read', 'items:admin'), handler);
   */
  requireAnyScope(...scopes: string[]): RequestHandler;
  /**
   * `requireUser` plus `check(claims)` returning true; else 403 `insufficient_scope`. `description` says what
   * is checked (OpenAPI and logs); a check that throws refuses.
   * @example router.get('/acme', auth.requireClaim((c) => c.tid === ACME_TENANT, 'tenant is Acme'), handler);
   */
  requireClaim(check: (claims: Readonly<JWTPayload>) => boolean, description: string): RequestHandler;
  /**
   * Fetches the JWKS ahead of the first request and opens the revocation event stream in the background
   * (when `EVENT_STREAM_ENABLED`). Never throws.
   */
  start(): Promise<void>;
  /**
   * Closes the event stream (no socket or timer left) and the keep-alive connections this instance opened.
   * Idempotent; the guards keep working after it.
   */
  close(): Promise<void>;
  readonly [AUTH_INTERNALS]: AuthInternals;
}

/**
 * Builds the auth middlewares from settings. Everything is decided here: key material is parsed once into a
 * KeyObject, refusals are precomputed, agents are created. Request handlers only do per-request work.
 *
 * @example
 * const auth = buildAuthDeps(loadSettings());
 * router.get('/me', auth.requireUser, (req, res) => res.json({ id: req.user!.id }));
 * router.delete('/items/:id', auth.requireAdmin, handler);
 * await auth.start(); // JWKS prefetch; createApp's lifecycle does this for you
 * @throws SettingsError `ERR_SETTINGS_INVALID` when a key cannot be loaded or a setting auth needs is missing.
 */
export function buildAuthDeps(settings: Settings, options: BuildAuthDepsOptions = {}): AuthDeps {
  const issues: SettingsIssue[] = authSettingsIssues(settings);
  if (issues.length > 0) throw new SettingsError(issues);
  const now = options.now ?? Date.now;
  const ctx: AuthContext = {
    logger: options.logger ?? pino({ level: settings.LOG_LEVEL, base: { component: 'express-m8.auth' } }),
    observer: options.observer,
  };
  const timeouts = resolveAuthTimeouts(options.timeouts);
  const ownHttp = options.httpAgent === undefined;
  const ownHttps = options.httpsAgent === undefined;
  // timeout < the 5 s idle timeout of common issuers (uvicorn), so we close idle sockets before they do.
  // maxSockets bounds the connections per issuer origin: a burst of distinct tokens queues for a free socket
  // instead of opening one connection each against the issuer.
  const maxSockets = settings.INTROSPECTION_MAX_SOCKETS;
  const httpAgent = options.httpAgent ?? new http.Agent({ keepAlive: true, timeout: 4000, maxSockets });
  const httpsAgent = options.httpsAgent ?? new https.Agent({ keepAlive: true, timeout: 4000, maxSockets });
  const agentFor = (url: URL): http.Agent => (url.protocol === 'https:' ? httpsAgent : httpAgent);

  const algs = accessTokenAlgorithms(settings.ACCESS_TOKEN_ALGORITHM);
  const issuers = settingList(settings.TOKEN_ISSUER);
  const keys = keySources(settings, algs, issuers, {
    ttlMs: settings.JWKS_CACHE_TTL_SECONDS * 1000,
    timeoutMs: timeouts.jwksMs,
    agentFor,
    now,
    ctx,
    onKeySetChange: () => verifier?.clear(),
  });
  let verifier: TokenVerifier | undefined;
  verifier = new TokenVerifier({
    alg: algs[0]!,
    algorithms: algs,
    staticKey: keys.staticKey,
    jwks: keys.jwks,
    issuer: undefined,
    audience: undefined,
    issuers,
    audiences: settingList(settings.TOKEN_AUDIENCE),
    ...(keys.keySets === undefined ? {} : { keySets: keys.keySets }),
    audienceClaim: settings.TOKEN_AUDIENCE_CLAIM ?? 'aud',
    profile: settings.TOKEN_PROFILE ?? 'fa-auth-m8',
    rolesClaim: settings.ROLES_CLAIM ?? 'roles',
    strict: settings.TOKEN_STRICT_VALIDATION,
    now,
    cacheSize: options.verifiedCacheSize ?? 10_000,
  });
  const tokens = verifier;

  // Only stateful asks the issuer about access tokens: hybrid verifies locally and learns revocations from the
  // event stream (0.1.0 asked the issuer in hybrid mode too when INTROSPECTION_URL was set).
  const revocation =
    settings.INTROSPECTION_URL && settings.PRIVATE_API_SECRET && settings.TOKEN_MODE === 'stateful'
      ? new RevocationClient({
          url: new URL(settings.INTROSPECTION_URL),
          secret: settings.PRIVATE_API_SECRET,
          clientId: settings.INTERNAL_CLIENT_ID || undefined,
          failureMode: settings.ACCESS_REVOCATION_FAILURE_MODE,
          cacheTtlMs: settings.REVOCATION_CACHE_TTL_SECONDS * 1000,
          cacheSize: options.revocationCacheSize ?? 10_000,
          connectTimeoutMs: timeouts.revocationConnectMs,
          totalTimeoutMs: timeouts.revocationTotalMs,
          agent: agentFor(new URL(settings.INTROSPECTION_URL)),
          now,
          ctx,
        })
      : undefined;

  const events: EventStreamParts | undefined = settings.EVENT_STREAM_ENABLED
    ? createEventStream(settings, {
        verifier: tokens,
        revocation,
        agentFor,
        now,
        ctx,
        connectTimeoutMs: timeouts.revocationConnectMs,
        totalTimeoutMs: timeouts.revocationTotalMs,
        hooks: options.eventStream,
      })
    : undefined;
  const apiKeys = createApiKeyAuthenticator(settings, {
    db: options.db,
    now,
    ctx,
    agentFor,
    connectTimeoutMs: timeouts.revocationConnectMs,
    totalTimeoutMs: timeouts.revocationTotalMs,
    cacheSize: options.apiKeyCacheSize ?? 10_000,
  });
  const guards = createGuards(tokens, revocation, ctx, apiKeys, events?.revoked);

  const internals: AuthInternals = {
    setObserver(observer) {
      ctx.observer = observer;
    },
    setLogger(logger) {
      // A logger given to buildAuthDeps is the consumer's explicit choice: the app's does not replace it.
      if (options.logger === undefined) ctx.logger = logger;
    },
    healthChecks: () => (events === undefined ? [] : [events.check]),
  };

  return Object.freeze({
    requireUser: guards.requireUser,
    optionalUser: guards.optionalUser,
    requireReader: guards.byRole.get('reader')!,
    requireWriter: guards.byRole.get('writer')!,
    requireAdmin: guards.byRole.get('admin')!,
    requireSuperuser: guards.requireSuperuser,
    verify: createVerifyRequest(tokens, revocation, ctx),
    requireRole(role: Role): RequestHandler {
      const fn = guards.byRole.get(role);
      if (fn === undefined) {
        throw new SettingsError([
          {
            variable: 'requireRole',
            message: `role must be one of ${ROLES.join(', ')} (got ${String(role)})`,
          },
        ]);
      }
      return fn;
    },
    requireScopes: guards.requireScopes,
    requireAnyScope: guards.requireAnyScope,
    requireClaim: guards.requireClaim,
    async start(): Promise<void> {
      await apiKeys?.start?.();
      // In the background: a stream that cannot connect yet shows as `degraded`, it does not fail startup.
      events?.stream.start();
      await Promise.all(
        keys.stores.map(async (store) => {
          const ok = await store.prefetch().catch(() => false);
          if (!ok)
            ctx.logger.warn(
              { event: 'jwks_prefetch_failed' },
              'JWKS prefetch failed; keys will be fetched on demand',
            );
        }),
      );
    },
    async close(): Promise<void> {
      await apiKeys?.close();
      // Destroying an agent drops its sockets but leaves it usable, so close() is idempotent and a
      // lifecycle that restarts after a failed start() keeps working.
      events?.stream.stop();
      if (ownHttp) httpAgent.destroy();
      if (ownHttps) httpsAgent.destroy();
    },
    [AUTH_INTERNALS]: internals,
  });
}

/**
 * Installs (or removes) the metrics observer of an AuthDeps built earlier. Internal: used by createApp.
 * @example setAuthObserver(auth, { onAuthFailure: (reason) => failures.inc({ reason }) });
 */
export function setAuthObserver(deps: AuthDeps, observer: AuthObserver | undefined): void {
  deps[AUTH_INTERNALS].setObserver(observer);
}

/**
 * Routes the auth log lines to the app's logger, unless `options.logger` was given to buildAuthDeps.
 * Internal: used by createApp.
 * @example setAuthLogger(auth, appLogger);
 */
export function setAuthLogger(deps: AuthDeps, logger: import('pino').Logger): void {
  deps[AUTH_INTERNALS].setLogger(logger);
}
