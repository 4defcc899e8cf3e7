import type http from 'node:http';
import type { HealthCheck, HealthCheckResult } from '../../health/types.js';
import type { Settings } from '../../settings/types.js';
import { issuerPrivateUrl } from '../issuer-url.js';
import type { RevocationClient } from '../revocation.js';
import type { AuthContext } from '../types.js';
import type { TokenVerifier } from '../verifier.js';
import { RevokedSessions } from './revoked-sessions.js';
import { ServiceTokenSource } from './service-token.js';
import { EventStream, STREAM_IDLE_TIMEOUT_MS, type StreamTimers } from './stream.js';

export type { IssuerCallOptions } from './service-token.js';

export type { StreamTimers } from './stream.js';

/** The name of the stream's health check. */
const EVENT_STREAM_CHECK = 'auth_event_stream';

/** Seams of the event stream for tests: timers and the jitter source. */
export interface EventStreamHooks {
  /** Default: the global `setTimeout`/`clearTimeout` (timers unref'd). */
  readonly timers?: StreamTimers;
  /** Default `Math.random`. */
  readonly random?: () => number;
  /**
   * Silence allowed on an open stream (no byte, not even a comment line) before it is treated as dead and
   * reopened with `Last-Event-ID`. Default {@link STREAM_IDLE_TIMEOUT_MS}.
   */
  readonly idleTimeoutMs?: number;
}

const REAL_TIMERS: StreamTimers = {
  setTimeout(fn, ms) {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout(handle) {
    clearTimeout(handle as NodeJS.Timeout);
  },
};

export interface EventStreamParts {
  readonly stream: EventStream;
  /** `auth_event_stream`: `ok` while connected, `degraded` otherwise. */
  readonly check: HealthCheck;
  /** The local refusals of pushed revocations, in hybrid mode. */
  readonly revoked: RevokedSessions | undefined;
}

export interface EventStreamDeps {
  readonly verifier: TokenVerifier;
  readonly revocation: RevocationClient | undefined;
  readonly agentFor: (url: URL) => http.Agent;
  readonly now: () => number;
  readonly ctx: AuthContext;
  readonly connectTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly hooks: EventStreamHooks | undefined;
}

/** Builds the stream of `EVENT_STREAM_ENABLED=true` (settings already checked), not yet started. */
export function createEventStream(settings: Settings, deps: EventStreamDeps): EventStreamParts {
  const tokenUrl = issuerPrivateUrl(settings.INTROSPECTION_URL!, 'service-token');
  const streamUrl = issuerPrivateUrl(settings.INTROSPECTION_URL!, 'events/stream');
  const tokens = new ServiceTokenSource({
    url: tokenUrl,
    secret: settings.PRIVATE_API_SECRET!,
    clientId: settings.INTERNAL_CLIENT_ID!,
    agent: deps.agentFor(tokenUrl),
    connectTimeoutMs: deps.connectTimeoutMs,
    totalTimeoutMs: deps.totalTimeoutMs,
    now: deps.now,
  });
  const revoked =
    settings.TOKEN_MODE === 'hybrid'
      ? new RevokedSessions({
          // The longest an access token lives, plus the permissive leeway and a minute of clock skew.
          ttlMs: settings.ACCESS_TOKEN_EXPIRE_MINUTES * 60_000 + 65_000,
          maxEntries: 100_000,
          now: deps.now,
        })
      : undefined;
  const stream = new EventStream({
    url: streamUrl,
    tokens,
    signingKey: settings.EVENT_SIGNING_KEY,
    acceptUnsigned: settings.EVENT_SIGNING_ACCEPT_UNSIGNED,
    targets: { verifier: deps.verifier, revocation: deps.revocation, revoked },
    agent: deps.agentFor(streamUrl),
    responseTimeoutMs: deps.totalTimeoutMs,
    idleTimeoutMs: deps.hooks?.idleTimeoutMs ?? STREAM_IDLE_TIMEOUT_MS,
    timers: deps.hooks?.timers ?? REAL_TIMERS,
    random: deps.hooks?.random ?? Math.random,
    ctx: deps.ctx,
  });
  const check: HealthCheck = async function auth_event_stream(): Promise<HealthCheckResult> {
    const meta = { last_event_id: stream.lastEventId === '' ? null : stream.lastEventId };
    return stream.connected
      ? { name: EVENT_STREAM_CHECK, status: 'ok', meta }
      : { name: EVENT_STREAM_CHECK, status: 'degraded', error: 'event stream disconnected', meta };
  };
  return { stream, check, revoked };
}
