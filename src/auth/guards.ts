import type { NextFunction, Request, RequestHandler, Response } from 'express';
import { markAuthGuard } from '../http/index.js';
import { noteOnRequestLine } from '../logging/request-logger.js';
import { withRouteMeta } from '../routing/route-meta.js';
import { currentTraceIds } from '../tracing/index.js';
import { extractBearer } from './bearer.js';
import { REJECT, type Rejection, sendRejection } from './rejections.js';
import type { RevocationClient } from './revocation.js';
import { type AuthContext, type AuthUser, ROLES, type Role } from './types.js';
import type { TokenVerifier } from './verifier.js';

interface Guard {
  readonly minRank: number;
  readonly superuser: boolean;
  readonly optional: boolean;
  /** Bypass the positive revocation cache (role guards above requireUser). */
  readonly fresh: boolean;
}

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
): GuardSet {
  function refuse(req: Request, res: Response, rejection: Rejection): void {
    try {
      ctx.observer?.onAuthFailure?.(rejection.reason);
    } catch {
      // An observer must never break authentication.
    }
    // The reason, never the token: on the request's own log line when it has one, else a line of its own
    // with `reqId` and trace ids like every request log line.
    if (noteOnRequestLine(req, { event: 'auth_failure', reason: rejection.reason })) {
      sendRejection(res, rejection);
      return;
    }
    const trace = currentTraceIds(req);
    const fields = {
      event: 'auth_failure',
      reason: rejection.reason,
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
    return true;
  }

  function authorize(req: Request, res: Response, next: NextFunction, g: Guard, user: AuthUser): void {
    if (!permits(req, res, g, user)) return;
    if (revocation === undefined) {
      accept(req, next, user, CHECKED_FRESH);
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

  // Marked so a route parses its JSON body only after its guards: refused requests are never read.
  return {
    requireUser: withRouteMeta(markAuthGuard(requireUser), { kind: 'auth' }),
    optionalUser: withRouteMeta(markAuthGuard(optionalUser), { kind: 'auth', optional: true }),
    requireSuperuser: withRouteMeta(markAuthGuard(requireSuperuser), { kind: 'auth', role: 'superuser' }),
    byRole,
  };
}
