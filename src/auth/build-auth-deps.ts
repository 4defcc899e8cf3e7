import http from 'node:http';
import https from 'node:https';
import type { JWTPayload } from 'jose';
import { pino } from 'pino';
import { type ApiKeyAuthenticator, createApiKeyAuthenticator } from '../apikeys/index.js';
import { type Attachment, registerAttachment } from '../attach.js';
import { SettingsError, type SettingsIssue } from '../errors.js';
import { authSettingsIssues } from '../settings/index.js';
import { accessTokenAlgorithms, type Settings, settingList } from '../settings/types.js';
import { createEventStream, type EventStreamParts } from './events/index.js';
import { type AuthGuard, createGuards, type GuardSet } from './guards.js';
import { type KeySources, keySources } from './key-sources.js';
import { RevocationClient } from './revocation.js';
import { type AuthContext, type AuthUser, type BuildAuthDepsOptions, ROLES, type Role } from './types.js';
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

/** The authentication dependencies of a service: route guards plus their lifecycle. */
export interface AuthDeps {
  /** 401 unless a valid token is sent; 403 for an inactive user. Sets `req.user`. */
  readonly requireUser: AuthGuard;
  /** No token: anonymous (`req.user` undefined). A token: exactly like `requireUser`. */
  readonly optionalUser: AuthGuard;
  /** `requireUser` plus role ≥ `reader`; always asks the issuer in stateful mode (no positive cache). */
  readonly requireReader: AuthGuard;
  /** Role ≥ `writer`. */
  readonly requireWriter: AuthGuard;
  /** Role ≥ `admin`. */
  readonly requireAdmin: AuthGuard;
  /** Role `superadmin` and `is_superuser` true. */
  readonly requireSuperuser: AuthGuard;
  /** Role ≥ `role`; returns the same middleware for the same role. */
  requireRole(role: Role): AuthGuard;
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
  requireScopes(...scopes: string[]): AuthGuard;
  /**
   * `requireUser` plus at least one of `scopes`; else 403 `insufficient_scope` naming them.
   * @example router.get('/items', auth.requireAnyScope('items:read', 'items:admin'), handler);
   */
  requireAnyScope(...scopes: string[]): AuthGuard;
  /**
   * `requireUser` plus `check(claims)` returning true; else 403 `insufficient_scope`. `description` says what
   * is checked (OpenAPI and logs); a check that throws refuses.
   * @example router.get('/acme', auth.requireClaim((c) => c.tid === ACME_TENANT, 'tenant is Acme'), handler);
   */
  requireClaim(check: (claims: Readonly<JWTPayload>) => boolean, description: string): AuthGuard;
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
}

/** What every outbound client of auth shares: the clock, the log and metrics context, agents and timeouts. */
interface Outbound {
  readonly now: () => number;
  readonly ctx: AuthContext;
  readonly agentFor: (url: URL) => http.Agent;
  readonly timeouts: AuthTimeouts;
}

/** The keep-alive agents of auth: the caller's, else our own (destroyed by `close()`). */
interface Agents {
  readonly agentFor: (url: URL) => http.Agent;
  /** Drops the sockets of the agents this instance created; they stay usable, so it may run twice. */
  destroyOwn(): void;
}

function createAgents(maxSockets: number, options: BuildAuthDepsOptions): Agents {
  // timeout < the 5 s idle timeout of common issuers (uvicorn), so we close idle sockets before they do.
  // maxSockets bounds the connections per issuer origin: a burst of distinct tokens queues for a free socket
  // instead of opening one connection each against the issuer.
  const httpAgent = options.httpAgent ?? new http.Agent({ keepAlive: true, timeout: 4000, maxSockets });
  const httpsAgent = options.httpsAgent ?? new https.Agent({ keepAlive: true, timeout: 4000, maxSockets });
  return {
    agentFor: (url) => (url.protocol === 'https:' ? httpsAgent : httpAgent),
    destroyOwn() {
      if (options.httpAgent === undefined) httpAgent.destroy();
      if (options.httpsAgent === undefined) httpsAgent.destroy();
    },
  };
}

/** The key sources (static key, JWKS, discovery) and the token verifier over them. */
function createVerification(
  settings: Settings,
  options: BuildAuthDepsOptions,
  out: Outbound,
): { keys: KeySources; tokens: TokenVerifier } {
  const algs = accessTokenAlgorithms(settings.ACCESS_TOKEN_ALGORITHM);
  const issuers = settingList(settings.TOKEN_ISSUER);
  const keys = keySources(settings, algs, issuers, {
    ttlMs: settings.JWKS_CACHE_TTL_SECONDS * 1000,
    timeoutMs: out.timeouts.jwksMs,
    agentFor: out.agentFor,
    now: out.now,
    ctx: out.ctx,
    onKeySetChange: (store) => verifier?.clear(store),
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
    now: out.now,
    cacheSize: options.verifiedCacheSize ?? 10_000,
  });
  return { keys, tokens: verifier };
}

/**
 * The issuer's revocation check, in stateful mode only: hybrid verifies locally and learns revocations from
 * the event stream (0.1.0 asked the issuer in hybrid mode too when INTROSPECTION_URL was set).
 */
function createRevocation(
  settings: Settings,
  options: BuildAuthDepsOptions,
  out: Outbound,
): RevocationClient | undefined {
  if (!settings.INTROSPECTION_URL || !settings.PRIVATE_API_SECRET || settings.TOKEN_MODE !== 'stateful') {
    return undefined;
  }
  return new RevocationClient({
    url: new URL(settings.INTROSPECTION_URL),
    secret: settings.PRIVATE_API_SECRET,
    clientId: settings.INTERNAL_CLIENT_ID || undefined,
    failureMode: settings.ACCESS_REVOCATION_FAILURE_MODE,
    cacheTtlMs: settings.REVOCATION_CACHE_TTL_SECONDS * 1000,
    cacheSize: options.revocationCacheSize ?? 10_000,
    connectTimeoutMs: out.timeouts.revocationConnectMs,
    totalTimeoutMs: out.timeouts.revocationTotalMs,
    agent: out.agentFor(new URL(settings.INTROSPECTION_URL)),
    now: out.now,
    ctx: out.ctx,
  });
}

/** Everything {@link assembleAuthDeps} exposes or drives. */
interface AuthParts {
  readonly tokens: TokenVerifier;
  readonly revocation: RevocationClient | undefined;
  readonly ctx: AuthContext;
  readonly keys: KeySources;
  readonly agents: Agents;
  readonly events: EventStreamParts | undefined;
  readonly apiKeys: ApiKeyAuthenticator | undefined;
  readonly guards: GuardSet;
}

/** The public object: the guards, `verify`, and `start`/`close` of what auth opens. */
function assembleAuthDeps(parts: AuthParts): AuthDeps {
  const { guards, ctx, keys, events, apiKeys } = parts;
  return {
    requireUser: guards.requireUser,
    optionalUser: guards.optionalUser,
    requireReader: guards.byRole.get('reader')!,
    requireWriter: guards.byRole.get('writer')!,
    requireAdmin: guards.byRole.get('admin')!,
    requireSuperuser: guards.requireSuperuser,
    verify: createVerifyRequest(parts.tokens, parts.revocation, ctx),
    requireRole(role: Role): AuthGuard {
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
      parts.agents.destroyOwn();
    },
  };
}

/**
 * How `createApp` equips an AuthDeps built before it (src/attach.ts): the app's logger, unless one was given
 * to buildAuthDeps (the consumer's explicit choice); the app's auth observer when metrics are on; the event
 * stream's health check when it is on.
 */
function authAttachment(
  ctx: AuthContext,
  options: BuildAuthDepsOptions,
  events: EventStreamParts | undefined,
): Attachment {
  return {
    attach({ logger, observers }) {
      if (options.logger === undefined) ctx.logger = logger;
      if (observers !== undefined) ctx.observer = observers.auth;
    },
    healthChecks: () => (events === undefined ? [] : [events.check]),
  };
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
  const ctx: AuthContext = {
    logger: options.logger ?? pino({ level: settings.LOG_LEVEL, base: { component: 'express-m8.auth' } }),
    observer: options.observer,
  };
  const agents = createAgents(settings.INTROSPECTION_MAX_SOCKETS, options);
  const out: Outbound = {
    now: options.now ?? Date.now,
    ctx,
    agentFor: agents.agentFor,
    timeouts: resolveAuthTimeouts(options.timeouts),
  };
  const { keys, tokens } = createVerification(settings, options, out);
  const revocation = createRevocation(settings, options, out);
  const shared = {
    agentFor: out.agentFor,
    now: out.now,
    ctx,
    connectTimeoutMs: out.timeouts.revocationConnectMs,
    totalTimeoutMs: out.timeouts.revocationTotalMs,
  };
  const events = settings.EVENT_STREAM_ENABLED
    ? createEventStream(settings, { ...shared, verifier: tokens, revocation, hooks: options.eventStream })
    : undefined;
  const apiKeys = createApiKeyAuthenticator(settings, {
    ...shared,
    db: options.db,
    cacheSize: options.apiKeyCacheSize ?? 10_000,
  });
  const guards = createGuards(tokens, revocation, ctx, apiKeys, events?.revoked);
  const deps = assembleAuthDeps({ tokens, revocation, ctx, keys, agents, events, apiKeys, guards });
  return Object.freeze(registerAttachment(deps, authAttachment(ctx, options, events)));
}
