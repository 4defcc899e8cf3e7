import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction } from 'express';
import type { JWTPayload } from 'jose';
import { API_KEY_REJECT, type ApiKeyAuthenticator, readApiKey } from '../apikeys/index.js';
import { SettingsError } from '../errors.js';
import { markAuthGuard } from '../http/index.js';
import { noteOnRequestLine } from '../logging/request-logger.js';
import { contextOf, requestContext } from '../request-context.js';
import { type GuardMeta, withRouteMeta } from '../routing/route-meta.js';
import { currentTraceIds } from '../tracing/index.js';
import { extractBearer } from './bearer.js';
import type { RevokedSessions } from './events/revoked-sessions.js';
import { insufficientScope, REJECT, type Rejection, sendRejection, withClaim } from './rejections.js';
import type { RevocationClient } from './revocation.js';
import { type AuthContext, type AuthUser, ROLES, type Role } from './types.js';
import type { TokenVerifier } from './verifier.js';

interface Guard {
  readonly minRank: number;
  readonly superuser: boolean;
  readonly optional: boolean;
  /** Bypass the positive revocation cache (role guards above requireUser). */
  readonly fresh: boolean;
  /** A scope or claim requirement (`requireScopes`…): refused with `denied` when it returns false. */
  readonly check?: (user: AuthUser) => boolean;
  readonly denied?: Rejection;
}

const SCOPE_DETAIL = 'The token does not grant the required scope';
const CLAIM_DENIED = insufficientScope([], "The token does not meet the route's requirement");
const MISSING_JTI = withClaim(REJECT.missingClaim, 'jti');

const RANK: Readonly<Record<Role, number>> = { user: 0, reader: 1, writer: 2, admin: 3, superadmin: 4 };
/**
 * How the request context's `authChecked` memo says an earlier guard checked the credentials, so stacked
 * guards (`requireUser` then `requireAdmin`) verify and ask the issuer once.
 */
const CHECKED_CACHED = 1;
const CHECKED_FRESH = 2;

/**
 * An auth guard (`auth.requireUser`, `auth.requireRole('admin')`, `auth.requireScopes(...)`…): an Express
 * middleware for any route, assignable to every `RequestHandler`. Its parameters are Node's request and
 * response rather than Express's generic `Request<P, …, Q>`: a guard typed `RequestHandler` would make
 * Express's route overloads infer `ParamsDictionary` and `ParsedQs` for the whole route, while this type
 * takes no part in that inference, so the handlers after a guard keep the route's own `:params`
 * (`{ id: string }` for `/items/:id`), and after a `contract()` its parsed types (`req.params.id: number`
 * with `z.coerce.number()`). A generic call signature would do the same for a route of plain handlers, but
 * TypeScript then drops the inference from an inline `contract({...})` call in the same route.
 * @example
 * router.get('/items/:id', auth.requireUser, (req, res) => res.json({ id: req.params.id }));
 */
export type AuthGuard = (req: IncomingMessage, res: ServerResponse, next: NextFunction) => void;

/** What the pipeline reads and sets on a request: any route's Express request is one. */
type GuardRequest = IncomingMessage & { user?: AuthUser; readonly id?: unknown };

/** The guard middlewares, all sharing one request pipeline. */
export interface GuardSet {
  readonly requireUser: AuthGuard;
  readonly optionalUser: AuthGuard;
  readonly requireSuperuser: AuthGuard;
  /** `requireRole(role)` per role; `superadmin` is `requireSuperuser`'s rule. */
  readonly byRole: ReadonlyMap<Role, AuthGuard>;
  /** A guard requiring every one of the scopes. */
  requireScopes(...scopes: string[]): AuthGuard;
  /** A guard requiring at least one of the scopes. */
  requireAnyScope(...scopes: string[]): AuthGuard;
  /** A guard requiring `check(claims)` to return true. */
  requireClaim(check: (claims: Readonly<JWTPayload>) => boolean, description: string): AuthGuard;
}

// RFC 6749 §3.3 scope-token: printable ASCII except space, `"` and `\` (it goes into a quoted header value).
const SCOPE_TOKEN = /^[\x21\x23-\x5b\x5d-\x7e]+$/;

function checkedScopes(guard: string, scopes: readonly unknown[]): string[] {
  const bad = scopes.filter((s) => typeof s !== 'string' || !SCOPE_TOKEN.test(s));
  if (scopes.length === 0 || bad.length > 0) {
    throw new SettingsError([
      {
        variable: guard,
        message:
          scopes.length === 0
            ? 'needs at least one scope'
            : `scopes must be non-empty strings without spaces, quotes or backslashes (got ${bad.map((b) => JSON.stringify(b)).join(', ')})`,
      },
    ]);
  }
  return [...new Set(scopes as string[])];
}

type MakeGuard = (name: string, check: Guard['check'], denied: Rejection, meta: GuardMeta) => AuthGuard;

/** `requireScopes`, `requireAnyScope` and `requireClaim`, each checked and made once per call. */
function requirementGuards(
  make: MakeGuard,
  ctx: AuthContext,
): Pick<GuardSet, 'requireScopes' | 'requireAnyScope' | 'requireClaim'> {
  return {
    requireScopes(...scopes: string[]): AuthGuard {
      const required = checkedScopes('requireScopes', scopes);
      const denied = insufficientScope(required, SCOPE_DETAIL);
      const check = (user: AuthUser): boolean => required.every((s) => user.scopes.includes(s));
      return make('requireScopes', check, denied, { kind: 'auth', scopes: required });
    },
    requireAnyScope(...scopes: string[]): AuthGuard {
      const wanted = checkedScopes('requireAnyScope', scopes);
      const denied = insufficientScope(wanted, SCOPE_DETAIL);
      const check = (user: AuthUser): boolean => wanted.some((s) => user.scopes.includes(s));
      return make('requireAnyScope', check, denied, { kind: 'auth', anyScopes: wanted });
    },
    requireClaim(check: (claims: Readonly<JWTPayload>) => boolean, description: string): AuthGuard {
      if (typeof check !== 'function' || typeof description !== 'string' || description.trim() === '') {
        throw new SettingsError([
          { variable: 'requireClaim', message: 'needs a check function and a non-empty description' },
        ]);
      }
      const passes = (user: AuthUser): boolean => safeCheck(check, user, ctx);
      return make('requireClaim', passes, CLAIM_DENIED, { kind: 'auth', claim: description });
    },
  };
}

/** Runs a consumer's claim check; one that throws refuses (it is logged, never answered as a 500). */
function safeCheck(
  check: (claims: Readonly<JWTPayload>) => boolean,
  user: AuthUser,
  ctx: AuthContext,
): boolean {
  try {
    return check(user.claims) === true;
  } catch (error) {
    ctx.logger.error({ event: 'auth_claim_check_failed', err: error }, 'requireClaim check threw; refusing');
    return false;
  }
}

/** The deciding parts behind every guard: tokens, revocation, API keys, pushed revocations, logging. */
class GuardPipeline {
  constructor(
    private readonly tokens: TokenVerifier,
    private readonly revocation: RevocationClient | undefined,
    private readonly ctx: AuthContext,
    private readonly apiKeys: ApiKeyAuthenticator | undefined,
    /** Revocations pushed by the event stream, refused locally (hybrid mode only). */
    private readonly pushed: RevokedSessions | undefined,
  ) {}

  /**
   * Bearer → verified-token cache or full verification → activity and role → revocation (stateful) →
   * `req.user`; or `X-API-Key` when API keys are on; or the memo of an earlier guard of the same request.
   */
  run(req: GuardRequest, res: ServerResponse, next: NextFunction, g: Guard): void {
    const memo = contextOf(req)?.authChecked;
    if (memo !== undefined && req.user !== undefined && (memo === CHECKED_FRESH || !g.fresh)) {
      // A later guard in the same request: the token and revocation were already checked.
      if (this.permits(req, res, g, req.user)) next();
      return;
    }
    if (this.apiKeys !== undefined) {
      const key = req.headers['x-api-key'];
      if (key !== undefined) {
        this.runApiKey(req, res, next, g, key);
        return;
      }
    }
    const token = extractBearer(req);
    if (token === undefined) {
      if (g.optional) next();
      else this.refuse(req, res, REJECT.missing);
      return;
    }
    if (typeof token !== 'string') {
      this.refuse(req, res, token);
      return;
    }
    const cached = this.tokens.cached(token);
    if (cached !== undefined) {
      this.authorize(req, res, next, g, cached);
      return;
    }
    this.tokens.verify(token).then(
      (result) => {
        if ('status' in result) this.refuse(req, res, result);
        else this.authorize(req, res, next, g, result);
      },
      () => this.refuse(req, res, REJECT.malformed),
    );
  }

  /** `X-API-Key` (API_KEYS on): the key replaces the token; JWT revocation does not apply to it. */
  private runApiKey(
    req: GuardRequest,
    res: ServerResponse,
    next: NextFunction,
    g: Guard,
    value: string | string[],
  ): void {
    const key = readApiKey(req, value);
    if (typeof key !== 'string') {
      this.refuse(req, res, key);
      return;
    }
    const found = this.apiKeys!.authenticate(key, req);
    if (!(found instanceof Promise)) {
      this.admitKeyHolder(req, res, next, g, found);
      return;
    }
    found.then(
      (result) => this.admitKeyHolder(req, res, next, g, result),
      () => this.refuse(req, res, API_KEY_REJECT.unavailable),
    );
  }

  private admitKeyHolder(
    req: GuardRequest,
    res: ServerResponse,
    next: NextFunction,
    g: Guard,
    found: AuthUser | Rejection,
  ): void {
    if ('status' in found) this.refuse(req, res, found);
    else if (this.permits(req, res, g, found)) accept(req, next, found, CHECKED_FRESH);
  }

  /** A verified token's user: activity and role, then pushed and asked revocation. */
  private authorize(
    req: GuardRequest,
    res: ServerResponse,
    next: NextFunction,
    g: Guard,
    user: AuthUser,
  ): void {
    if (!this.permits(req, res, g, user)) return;
    if (this.pushed?.denied(user) === true) {
      this.refuse(req, res, REJECT.revoked);
      return;
    }
    const revocation = this.revocation;
    if (revocation === undefined) {
      accept(req, next, user, CHECKED_FRESH);
      return;
    }
    // Revocation is asked by jti: a token without one (possible under oidc) cannot be checked.
    if (user.jti === null && user.authMethod === 'jwt') {
      this.refuse(req, res, MISSING_JTI);
      return;
    }
    if (!g.fresh && revocation.cachedActive(user)) {
      accept(req, next, user, CHECKED_CACHED);
      return;
    }
    revocation.check(user, req).then(
      (verdict) => {
        if (verdict === true) accept(req, next, user, CHECKED_FRESH);
        else this.refuse(req, res, verdict === 'revoked' ? REJECT.revoked : REJECT.revocationUnavailable);
      },
      () => this.refuse(req, res, REJECT.revocationUnavailable),
    );
  }

  /** Activity, then role, then the guard's requirement: refuses and returns false when the user may not pass. */
  private permits(req: GuardRequest, res: ServerResponse, g: Guard, user: AuthUser): boolean {
    if (!user.isActive) {
      this.refuse(req, res, REJECT.inactive);
      return false;
    }
    if (RANK[user.role] < g.minRank || (g.superuser && !user.isSuperuser)) {
      this.refuse(req, res, REJECT.insufficientRole);
      return false;
    }
    if (g.check !== undefined && !g.check(user)) {
      this.refuse(req, res, g.denied!);
      return false;
    }
    return true;
  }

  /** One refusal: the observer, one log note (never the token), the precomputed answer. */
  private refuse(req: GuardRequest, res: ServerResponse, rejection: Rejection): void {
    try {
      this.ctx.observer?.onAuthFailure?.(rejection.reason);
    } catch {
      // An observer must never break authentication.
    }
    // On the request's own log line when it has one, else a line of its own with `reqId` and trace ids like
    // every request log line.
    const note = { event: 'auth_failure', reason: rejection.reason, claim: rejection.claim };
    if (!noteOnRequestLine(req, note)) logRefusal(this.ctx, req, rejection);
    sendRejection(res, rejection);
  }
}

function logRefusal(ctx: AuthContext, req: GuardRequest, rejection: Rejection): void {
  const trace = currentTraceIds(req);
  const fields = {
    event: 'auth_failure',
    reason: rejection.reason,
    claim: rejection.claim,
    status: rejection.status,
    reqId: req.id,
    trace_id: trace?.trace_id,
    span_id: trace?.span_id,
  };
  if (rejection.status >= 500) ctx.logger.warn(fields, 'authentication unavailable');
  else ctx.logger.info(fields, 'authentication refused');
}

function accept(req: GuardRequest, next: NextFunction, user: AuthUser, checked: number): void {
  req.user = user;
  requestContext(req).authChecked = checked;
  next();
}

function rule(minRank: number, superuser: boolean, optional: boolean): Guard {
  return Object.freeze({ minRank, superuser, optional, fresh: minRank > 0 || superuser });
}

const G_USER = rule(0, false, false);
const G_OPTIONAL = rule(0, false, true);
const G_SUPER = rule(RANK.superadmin, true, false);

/**
 * A guard: a function named `name` (STYLE: `requireRole('admin')` returns `function requireRoleAdmin`) running
 * the pipeline with `g`, marked so a route parses its JSON body only after its guards (refused requests are
 * never read), and carrying its route metadata for the OpenAPI generator.
 */
function namedGuard(name: string, pipeline: GuardPipeline, g: Guard, meta: GuardMeta): AuthGuard {
  const guard: AuthGuard = (req, res, next) => pipeline.run(req, res, next, g);
  Object.defineProperty(guard, 'name', { value: name });
  return withRouteMeta(markAuthGuard(guard), meta);
}

/** `requireRole(role)` per role, made once (`superadmin` has `requireSuperuser`'s rule). */
function roleGuards(pipeline: GuardPipeline): ReadonlyMap<Role, AuthGuard> {
  const byRole = new Map<Role, AuthGuard>();
  for (const role of ROLES) {
    const g = role === 'superadmin' ? G_SUPER : rule(RANK[role], false, false);
    const name = `requireRole${role[0]!.toUpperCase()}${role.slice(1)}`;
    byRole.set(
      role,
      namedGuard(name, pipeline, g, { kind: 'auth', role: role === 'superadmin' ? 'superuser' : role }),
    );
  }
  return byRole;
}

/**
 * The guards, all sharing one request pipeline: synchronous all the way for a cached token in stateless
 * mode; every refusal is a precomputed answer plus one log line and one observer call.
 */
export function createGuards(
  tokens: TokenVerifier,
  revocation: RevocationClient | undefined,
  ctx: AuthContext,
  apiKeys?: ApiKeyAuthenticator,
  /** Revocations pushed by the event stream, refused locally (hybrid mode only). */
  pushed?: RevokedSessions,
): GuardSet {
  const pipeline = new GuardPipeline(tokens, revocation, ctx, apiKeys, pushed);
  const requirement: MakeGuard = (name, check, denied, meta) =>
    namedGuard(name, pipeline, Object.freeze({ ...G_USER, check, denied }), meta);
  return {
    ...requirementGuards(requirement, ctx),
    requireUser: namedGuard('requireUser', pipeline, G_USER, { kind: 'auth' }),
    optionalUser: namedGuard('optionalUser', pipeline, G_OPTIONAL, { kind: 'auth', optional: true }),
    requireSuperuser: namedGuard('requireSuperuser', pipeline, G_SUPER, { kind: 'auth', role: 'superuser' }),
    byRole: roleGuards(pipeline),
  };
}
