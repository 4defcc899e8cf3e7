import { afterEach, describe, expect, it } from 'vitest';
import type { StreamTimers } from '../../src/auth/events/index.js';
import { type AuthDeps, buildAuthDeps } from '../../src/auth/index.js';
import { type EventIssuer, startEventIssuer, testSettings } from '../../src/testing/index.js';
import { createLogSink } from '../support/log-sink.js';
import { PRIVATE_API_SECRET } from './helpers.js';

// A stream that goes silent (a half-open connection, a proxy that stopped forwarding) is reopened with
// Last-Event-ID; heartbeat comments keep a quiet stream open.

const SIGNING_KEY = 'Event-Signing-Key-0123456789-abcdefXYZ!';
const CLIENT_ID = 'orders-service';
/** The response deadline (real time); reconnections run at once (backoff is tested in events.test.ts). */
const RESPONSE_MS = 2_999;
const IMMEDIATE: StreamTimers = {
  setTimeout: (fn, ms) => setTimeout(fn, ms === RESPONSE_MS ? ms : 0),
  clearTimeout: (handle) => clearTimeout(handle as NodeJS.Timeout),
};

let issuer: EventIssuer | undefined;
let auth: AuthDeps | undefined;
afterEach(async () => {
  await auth?.close();
  await issuer?.close();
  auth = issuer = undefined;
});

async function setup(idleTimeoutMs: number) {
  issuer = await startEventIssuer({
    signingKey: SIGNING_KEY,
    secret: PRIVATE_API_SECRET,
    clientId: CLIENT_ID,
  });
  const sink = createLogSink({ level: 'debug' });
  auth = buildAuthDeps(
    testSettings({
      TOKEN_MODE: 'stateful',
      EVENT_STREAM_ENABLED: true,
      INTROSPECTION_URL: issuer.introspectionUrl,
      PRIVATE_API_SECRET,
      INTERNAL_CLIENT_ID: CLIENT_ID,
      EVENT_SIGNING_KEY: SIGNING_KEY,
      REVOCATION_CACHE_TTL_SECONDS: 300,
    }),
    {
      logger: sink.logger,
      timeouts: { revocationTotalMs: RESPONSE_MS, revocationConnectMs: 500 },
      eventStream: { timers: IMMEDIATE, random: () => 0.5, idleTimeoutMs },
    },
  );
  await auth.start();
  await issuer.waitForStreams(1);
  return { issuer, sink };
}

const streamRequests = (i: EventIssuer) => i.requests.filter((r) => r.path.endsWith('/events/stream'));

describe('event stream idle timeout', () => {
  it('reopens a silent stream with Last-Event-ID and says why in the log', async () => {
    const { issuer, sink } = await setup(150);
    await issuer.push('session-revoked', { user_id: 'u1', jti: 'j1' }, { id: '41' });
    // Nothing more is sent: the client gives up on the connection and opens a new one.
    await issuer.waitForStreams(2);
    const second = streamRequests(issuer)[1];
    expect(second?.headers['last-event-id']).toBe('41');
    const drop = sink.lines().find((l) => l.msg === 'event stream disconnected');
    expect(drop?.cause).toBe('no data for 150 ms');
  });

  it('heartbeat comments keep a quiet stream open', async () => {
    const { issuer } = await setup(300);
    for (let i = 0; i < 8; i++) {
      await issuer.sendRaw(': heartbeat\n');
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(issuer.streamConnections).toBe(1);
    expect(issuer.openStreams).toBe(1);
  });
});
