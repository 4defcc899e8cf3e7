import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { JWTPayload } from 'jose';
import { API_KEY_REJECT, type ApiKeyAuthenticator, readApiKey } from '../apikeys/index.js';
import { SettingsError } from '../errors.js';
import { markAuthGuard } from '../http/index.js';
import { noteOnRequestLine } from '../logging/request-logger.js';
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
/** Per-request memo so stacked guards (`requireUser` then `requireAdmin`) verify and ask the issuer once. */
const kChecked = Symbol('express-m8.auth.checked');
const CHECKED_CACHED = 1;
const CHECKED_FRESH = 2;
type Memo = { [kChecked]?: number; id?: unknown };

/** The guard middlewares, all sharing one request pipeline. */
export interface GuardSet {
  readonly requireUser: RequestHandler;
  readonly optionalUser: RequestHandler;
  readonly requireSuperuser: RequestHandler;
  /** `requireRole(role)` per role; `superadmin` is `requireSuperuser`'s rule. */
  readonly byRole: ReadonlyMap<Role, RequestHandler>;
  /** A guard requiring every one of the scopes. */
  requireScopes(...scopes: string[]): RequestHandler;
  /** A guard requiring at least one of the scopes. */
  requireAnyScope(...scopes: string[]): RequestHandler;
  /** A guard requiring `check(claims)` to return true. */
  requireClaim(check: (claims: Readonly<JWTPayload>) => boolean, description: string): RequestHandler;
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

type MakeGuard = (name: string, check: Guard['check'], denied: Rejection, meta: GuardMeta) => RequestHandler;

/** `requireScopes`, `requireAnyScope` and `requireClaim`, each checked and made once per call. */
function requirementGuards(
  make: MakeGuard,
  ctx: AuthContext,
): Pick<GuardSet, 'requireScopes' | 'requireAnyScope' | 'requireClaim'> {
  return {
    requireScopes(...scopes: string[]): RequestHandler {
      const required = checkedScopes('requireScopes', scopes);
      const denied = insufficientScope(required, SCOPE_DETAIL);
      const check = (user: AuthUser): boolean => required.every((s) => user.scopes.includes(s));
      return make('requireScopes', check, denied, { kind: 'auth', scopes: required });
    },
    requireAnyScope(...scopes: string[]): RequestHandler {
      const wanted = checkedScopes('requireAnyScope', scopes);
      const denied = insufficientScope(wanted, SCOPE_DETAIL);
      const check = (user: AuthUser): boolean => wanted.some((s) => user.scopes.includes(s));
      return make('requireAnyScope', check, denied, { kind: 'auth', anyScopes: wanted });
    },
    requireClaim(check: (claims: Readonly<JWTPayload>) => boolean, description: string): RequestHandler {
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

/**
 * The request pipeline: bearer → verified-token cache or full verification → activity and role →
 * revocation (stateful) → `req.user`. Synchronous all the way for a cached token in stateless mode; every
 * refusal is a precomputed answer plus one log line and one observer call.
 */
export function createGuards(
  tokens: TokenVerifier,
  revocation: RevocationClient | undefined,
  ctx: AuthContext,
  apiKeys?: ApiKeyAuthenticator,
  /** Revocations pushed by the event stream, refused locally (hybrid mode only). */
  pushed?: RevokedSessions,
): GuardSet {
  function refuse(req: Request, res: Response, rejection: Rejection): void {
    try {
      ctx.observer?.onAuthFailure?.(rejection.reason);
    } catch {
      // An observer must never break authentication.
    }
    // The reason, never the token: on the request's own log line when it has one, else a line of its own
    // with `reqId` and trace ids like every request log line.
    const note = { event: 'auth_failure', reason: rejection.reason, claim: rejection.claim };
    if (noteOnRequestLine(req, note)) {
      sendRejection(res, rejection);
      return;
    }
    const trace = currentTraceIds(req);
    const fields = {
      event: 'auth_failure',
      reason: rejection.reason,
      claim: rejection.claim,
      status: rejection.status,
      reqId: (req as Memo).id,
      trace_id: trace?.trace_id,
      span_id: trace?.span_id,
    };
    if (rejection.status >= 500) ctx.logger.warn(fields, 'authentication unavailable');
    else ctx.logger.info(fields, 'authentication refused');
    sendRejection(res, rejection);
  }

  function accept(req: Request, next: NextFunction, user: AuthUser, checked: number): void {
    req.user = user;
    (req as Memo)[kChecked] = checked;
    next();
  }

  /** Activity, then role: refuses and returns false when the user may not pass this guard. */
  function permits(req: Request, res: Response, g: Guard, user: AuthUser): boolean {
    if (!user.isActive) {
      refuse(req, res, REJECT.inactive);
      return false;
    }
    if (RANK[user.role] < g.minRank || (g.superuser && !user.isSuperuser)) {
      refuse(req, res, REJECT.insufficientRole);
      return false;
    }
    if (g.check !== undefined && !g.check(user)) {
      refuse(req, res, g.denied!);
      return false;
    }
    return true;
  }

  function authorize(req: Request, res: Response, next: NextFunction, g: Guard, user: AuthUser): void {
    if (!permits(req, res, g, user)) return;
    if (pushed?.denied(user) === true) {
      refuse(req, res, REJECT.revoked);
      return;
    }
    if (revocation === undefined) {
      accept(req, next, user, CHECKED_FRESH);
      return;
    }
    // Revocation is asked by jti: a token without one (possible under oidc) cannot be checked.
    if (user.jti === null && user.authMethod === 'jwt') {
      refuse(req, res, MISSING_JTI);
      return;
    }
    if (!g.fresh && revocation.cachedActive(user)) {
      accept(req, next, user, CHECKED_CACHED);
      return;
    }
    revocation.check(user, req).then(
      (verdict) => {
        if (verdict === true) accept(req, next, user, CHECKED_FRESH);
        else refuse(req, res, verdict === 'revoked' ? REJECT.revoked : REJECT.revocationUnavailable);
      },
      () => refuse(req, res, REJECT.revocationUnavailable),
    );
  }

  function run(req: Request, res: Response, next: NextFunction, g: Guard): void {
    const memo = (req as Memo)[kChecked];
    if (memo !== undefined && req.user !== undefined && (memo === CHECKED_FRESH || !g.fresh)) {
      authorizeKnown(req, res, next, g, req.user);
      return;
    }
    if (apiKeys !== undefined) {
      const key = req.headers['x-api-key'];
      if (key !== undefined) {
        runApiKey(req, res, next, g, key);
        return;
      }
    }
    const token = extractBearer(req);
    if (token === undefined) {
      if (g.optional) {
        next();
        return;
      }
      refuse(req, res, REJECT.missing);
      return;
    }
    if (typeof token !== 'string') {
      refuse(req, res, token);
      return;
    }
    const cached = tokens.cached(token);
    if (cached !== undefined) {
      authorize(req, res, next, g, cached);
      return;
    }
    tokens.verify(token).then(
      (result) => {
        if ('status' in result) refuse(req, res, result);
        else authorize(req, res, next, g, result);
      },
      () => refuse(req, res, REJECT.malformed),
    );
  }

  /** `X-API-Key` (API_KEYS on): the key replaces the token; JWT revocation does not apply to it. */
  function runApiKey(
    req: Request,
    res: Response,
    next: NextFunction,
    g: Guard,
    value: string | string[],
  ): void {
    const key = readApiKey(req, value);
    if (typeof key !== 'string') {
      refuse(req, res, key);
      return;
    }
    const found = apiKeys!.authenticate(key, req);
    if (!(found instanceof Promise)) {
      if ('status' in found) refuse(req, res, found);
      else if (permits(req, res, g, found)) accept(req, next, found, CHECKED_FRESH);
      return;
    }
    found.then(
      (result) => {
        if ('status' in result) refuse(req, res, result);
        else if (permits(req, res, g, result)) accept(req, next, result, CHECKED_FRESH);
      },
      () => refuse(req, res, API_KEY_REJECT.unavailable),
    );
  }

  /** A later guard in the same request: the token and revocation were already checked. */
  function authorizeKnown(req: Request, res: Response, next: NextFunction, g: Guard, user: AuthUser): void {
    if (permits(req, res, g, user)) next();
  }

  const guard = (minRank: number, superuser: boolean, optional: boolean): Guard =>
    Object.freeze({ minRank, superuser, optional, fresh: minRank > 0 || superuser });
  const G_USER = guard(0, false, false);
  const G_OPTIONAL = guard(0, false, true);
  const G_SUPER = guard(RANK.superadmin, true, false);

  const byRole = new Map<Role, RequestHandler>();
  for (const role of ROLES) {
    const g = role === 'superadmin' ? G_SUPER : guard(RANK[role], false, false);
    const name = `requireRole${role[0]!.toUpperCase()}${role.slice(1)}`;
    // A named function per role (STYLE: requireRole('admin') returns `function requireRoleAdmin`).
    const fn = { [name]: (req: Request, res: Response, next: NextFunction) => run(req, res, next, g) }[name]!;
    byRole.set(
      role,
      withRouteMeta(markAuthGuard(fn), { kind: 'auth', role: role === 'superadmin' ? 'superuser' : role }),
    );
  }

  function requireUser(req: Request, res: Response, next: NextFunction): void {
    run(req, res, next, G_USER);
  }
  function optionalUser(req: Request, res: Response, next: NextFunction): void {
    run(req, res, next, G_OPTIONAL);
  }
  function requireSuperuser(req: Request, res: Response, next: NextFunction): void {
    run(req, res, next, G_SUPER);
  }

  /** A guard with a requirement beyond the role: its own named middleware and route metadata. */
  function requirement(
    name: string,
    check: Guard['check'],
    denied: Rejection,
    meta: GuardMeta,
  ): RequestHandler {
    const g: Guard = Object.freeze({ ...G_USER, check, denied });
    const fn = { [name]: (req: Request, res: Response, next: NextFunction) => run(req, res, next, g) }[name]!;
    return withRouteMeta(markAuthGuard(fn), meta);
  }

  // Marked so a route parses its JSON body only after its guards: refused requests are never read.
  return {
    ...requirementGuards(requirement, ctx),
    requireUser: withRouteMeta(markAuthGuard(requireUser), { kind: 'auth' }),
    optionalUser: withRouteMeta(markAuthGuard(optionalUser), { kind: 'auth', optional: true }),
    requireSuperuser: withRouteMeta(markAuthGuard(requireSuperuser), { kind: 'auth', role: 'superuser' }),
    byRole,
  };
}
