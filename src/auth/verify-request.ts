import type { IncomingMessage } from 'node:http';
import { extractBearer } from './bearer.js';
import type { RevocationCaller, RevocationClient } from './revocation.js';
import type { AuthContext, AuthUser } from './types.js';
import type { TokenVerifier } from './verifier.js';

/** `auth.verify(req)`: the caller's user, or `null`, without answering the request. */
export type VerifyRequest = (req: IncomingMessage) => Promise<AuthUser | null>;

/**
 * The check `requireUser` makes (bearer token, signature and claims, an active user, revocation in stateful
 * mode), as a question instead of a gate: nothing is answered, no refusal is logged above `debug`, and no
 * `auth_failures_total` is counted, so authorizers (health detail, feature flags) can ask it freely.
 */
export function createVerifyRequest(
  tokens: TokenVerifier,
  revocation: RevocationClient | undefined,
  ctx: AuthContext,
): VerifyRequest {
  const refused = (req: IncomingMessage, reason: string): null => {
    ctx.logger.debug(
      { event: 'auth_verify_refused', reason, reqId: (req as { id?: unknown }).id },
      'auth.verify: no user',
    );
    return null;
  };
  return async function verify(req: IncomingMessage): Promise<AuthUser | null> {
    const token = extractBearer(req);
    if (token === undefined) return null;
    if (typeof token !== 'string') return refused(req, token.reason);
    let user = tokens.cached(token);
    if (user === undefined) {
      const result = await tokens.verify(token).catch(() => undefined);
      if (result === undefined) return refused(req, 'malformed');
      if ('status' in result) return refused(req, result.reason);
      user = result;
    }
    if (!user.isActive) return refused(req, 'inactive_user');
    if (revocation === undefined || revocation.cachedActive(user)) return user;
    const verdict = await revocation.check(user, req as RevocationCaller).catch(() => 'unavailable' as const);
    if (verdict === true) return user;
    return refused(req, verdict === 'revoked' ? 'revoked' : 'revocation_unavailable');
  };
}
