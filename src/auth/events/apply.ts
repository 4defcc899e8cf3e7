import type { RevocationClient } from '../revocation.js';
import type { TokenVerifier } from '../verifier.js';
import type { RevokedSessions } from './revoked-sessions.js';

/** The event types of the issuer's stream; anything else is counted as `other` and ignored. */
export const STREAM_EVENT_TYPES = ['session-revoked', 'user-deleted', 'gap'] as const;

/** One of {@link STREAM_EVENT_TYPES}. */
export type StreamEventType = (typeof STREAM_EVENT_TYPES)[number];

/** The caches a pushed event acts on. */
export interface EventTargets {
  readonly verifier: TokenVerifier;
  /** The positive revocation cache (stateful mode). */
  readonly revocation: RevocationClient | undefined;
  /** The pushed revocations refused locally (hybrid mode). */
  readonly revoked: RevokedSessions | undefined;
}

/**
 * Applies one verified event payload. `session-revoked {user_id, jti?, auth_generation?}` evicts that token
 * (or the user's entries older than the generation, or all the user's entries); `user-deleted {user_id}`
 * evicts the user; `gap` flushes both caches. Returns `malformed` (and changes nothing) for a payload that
 * does not fit its type.
 */
export function applyEvent(
  type: StreamEventType,
  payload: Readonly<Record<string, unknown>>,
  targets: EventTargets,
): 'applied' | 'malformed' {
  const { verifier, revocation, revoked } = targets;
  if (type === 'gap') {
    verifier.flush();
    revocation?.flush();
    return 'applied';
  }
  const userId = payload.user_id;
  if (typeof userId !== 'string' || userId === '' || userId.length > 256) return 'malformed';
  if (type === 'user-deleted') {
    verifier.evictUser(userId);
    revocation?.evictUser(userId);
    revoked?.revokeUser(userId);
    return 'applied';
  }
  const { jti, auth_generation: generation } = payload;
  if (jti !== undefined && jti !== null && (typeof jti !== 'string' || jti === '' || jti.length > 256)) {
    return 'malformed';
  }
  if (generation !== undefined && generation !== null && !Number.isFinite(generation)) return 'malformed';
  if (typeof jti === 'string') {
    verifier.evictUser(userId, jti);
    revocation?.evictJti(userId, jti);
    revoked?.revokeJti(jti);
  } else {
    const gen = typeof generation === 'number' ? generation : undefined;
    verifier.evictUser(userId);
    revocation?.evictUser(userId, gen);
    revoked?.revokeUser(userId, gen);
  }
  return 'applied';
}
