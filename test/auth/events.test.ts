import { decodeJwt } from 'jose';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import type { StreamTimers } from '../../src/auth/events/index.js';
import { type AuthDeps, type AuthObserver, buildAuthDeps } from '../../src/auth/index.js';
import {
  type EventIssuer,
  generateKeys,
  mintToken,
  startEventIssuer,
  type TestSettingsOverrides,
  testSettings,
} from '../../src/testing/index.js';
import { createLogSink } from '../support/log-sink.js';
import { bearer, guardedApp, PRIVATE_API_SECRET } from './helpers.js';

const SIGNING_KEY = 'Event-Signing-Key-0123456789-abcdefXYZ!';
const CLIENT_ID = 'orders-service';
/** A response deadline no backoff delay can equal, so tests can tell the two timers apart. */
const RESPONSE_MS = 2_999;
const base = testSettings();
const keys = await generateKeys('HS256', { secret: base.ACCESS_SECRET_KEY! });

let issuer: EventIssuer | undefined;
let auth: AuthDeps | undefined;
afterEach(async () => {
  await auth?.close();
  await issuer?.close();
  auth = undefined;
  issuer = undefined;
});

/** Records the stream's observer calls. */
function streamObserver(): Required<
  Pick<AuthObserver, 'onEventStreamConnected' | 'onEventStreamEvent' | 'onEventStreamReconnect'>
> & {
  connected: boolean[];
  events: string[];
  reconnects: number;
} {
  const o = {
    connected: [] as boolean[],
    events: [] as string[],
    reconnects: 0,
    onEventStreamConnected: (c: boolean) => void o.connected.push(c),
    onEventStreamEvent: (type: string, result: string) => void o.events.push(`${type}:${result}`),
    onEventStreamReconnect: () => void o.reconnects++,
  };
  return o;
}

/** Timers fired by the test: records each delay, fires on demand. */
function manualTimers(): StreamTimers & { delays(): number[]; fire(): void } {
  const pending: { fn: () => void; ms: number; done: boolean }[] = [];
  return {
    setTimeout(fn, ms) {
      const entry = { fn, ms, done: false };
      pending.push(entry);
      return entry;
    },
    clearTimeout(handle) {
      if (handle !== undefined) (handle as { done: boolean }).done = true;
    },
    /** The delays of the backoff timers still pending (response deadlines left out). */
    delays: () => pending.filter((t) => !t.done && t.ms !== RESPONSE_MS).map((t) => t.ms),
    fire() {
      const next = pending.find((t) => !t.done && t.ms !== RESPONSE_MS);
      if (next === undefined) throw new Error('no backoff timer pending');
      next.done = true;
      next.fn();
    },
  };
}

/** Polls (no fixed sleep) until `condition` holds, for at most 2 s. */
async function until(condition: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

async function setup(
  overrides: TestSettingsOverrides = {},
  hooks: { timers?: StreamTimers; random?: () => number } = {},
) {
  issuer = await startEventIssuer({
    signingKey: SIGNING_KEY,
    secret: PRIVATE_API_SECRET,
    clientId: CLIENT_ID,
  });
  const settings = testSettings({
    TOKEN_MODE: 'stateful',
    EVENT_STREAM_ENABLED: true,
    INTROSPECTION_URL: issuer.introspectionUrl,
    PRIVATE_API_SECRET,
    INTERNAL_CLIENT_ID: CLIENT_ID,
    EVENT_SIGNING_KEY: SIGNING_KEY,
    REVOCATION_CACHE_TTL_SECONDS: 300,
    ...overrides,
  });
  const observer = streamObserver();
  const sink = createLogSink({ level: 'debug' });
  auth = buildAuthDeps(settings, {
    observer,
    logger: sink.logger,
    timeouts: { revocationTotalMs: RESPONSE_MS, revocationConnectMs: 500 },
    eventStream: { random: () => 0.5, ...hooks },
  });
  return { issuer, auth, app: guardedApp(auth), observer, sink };
}

async function connected(observer: { connected: boolean[] }, count = 1): Promise<void> {
  await until(() => observer.connected.filter(Boolean).length >= count, 'the stream to connect');
}

/** {@link setup}, then `auth.start()`, and resolves once the stream is connected. */
async function started(...args: Parameters<typeof setup>) {
  const parts = await setup(...args);
  await parts.auth.start();
  await connected(parts.observer);
  return parts;
}

/** `GET /user` on the guarded app with `token` as the bearer. */
function getUser(app: ReturnType<typeof guardedApp>, token: string) {
  return request(app)
    .get('/user')
    .set(...bearer(token));
}

const SUB = '6f1c2b9e-1d2a-4c3b-8e4f-5a6b7c8d9e0f';

describe('event stream: connection', () => {
  it('gets a service token with the internal headers, then opens the stream with it', async () => {
    const { issuer } = await started();
    const [tokenReq, streamReq] = issuer.requests;
    expect(tokenReq).toMatchObject({ method: 'POST', path: '/private/v1/service-token' });
    expect(tokenReq!.headers).toMatchObject({
      'x-internal-client': CLIENT_ID,
      'x-internal-token': PRIVATE_API_SECRET,
    });
    expect(JSON.parse(tokenReq!.body)).toEqual({ scopes: ['event-stream'] });
    expect(streamReq).toMatchObject({ method: 'GET', path: '/private/v1/events/stream' });
    expect(streamReq!.headers.authorization).toMatch(/^Bearer .+/);
    expect(streamReq!.headers.accept).toBe('text/event-stream');
    expect(streamReq!.headers['last-event-id']).toBeUndefined();
  });

  it('close() ends the stream and cancels the reconnection timer (nothing left open)', async () => {
    const timers = manualTimers();
    const { issuer, auth, observer } = await started({}, { timers });
    issuer.disconnect();
    await until(() => timers.delays().length === 1, 'a reconnection to be scheduled');
    await auth.close();
    expect(timers.delays()).toEqual([]);
    await until(() => issuer.openStreams === 0, 'the stream to close');
    expect(observer.connected.at(-1)).toBe(false);
  });
});

describe('event stream: evictions', () => {
  it('a revoked, cached token is refused within 1 s of the event (REVOCATION_CACHE_TTL_SECONDS=300)', async () => {
    const { issuer, app, observer } = await started();
    const token = mintToken(keys, { sub: SUB });
    const jti = String(decodeJwt(token).jti);
    await getUser(app, token).expect(200);
    issuer.revoke(jti);
    // The positive cache still answers: without the event the token would pass for 300 s.
    await getUser(app, token).expect(200);
    expect(issuer.revocationChecks).toBe(1);
    const pushedAt = Date.now();
    await issuer.push('session-revoked', { user_id: SUB, jti });
    await until(() => observer.events.includes('session-revoked:applied'), 'the event');
    const res = await getUser(app, token);
    expect(res.status).toBe(401);
    expect(res.body.detail).toBe('Token has been revoked.');
    expect(Date.now() - pushedAt).toBeLessThan(1000);
  });

  it('user-deleted evicts every token of the user; another user stays cached', async () => {
    const { issuer, app, observer } = await started();
    const a = mintToken(keys, { sub: SUB });
    const b = mintToken(keys, { sub: SUB });
    const other = mintToken(keys, { sub: '11111111-2222-4333-8444-555555555555' });
    for (const t of [a, b, other]) await getUser(app, t).expect(200);
    expect(issuer.revocationChecks).toBe(3);
    await issuer.push('user-deleted', { user_id: SUB.toUpperCase() });
    await until(() => observer.events.includes('user-deleted:applied'), 'the event');
    for (const t of [a, b, other]) await getUser(app, t).expect(200);
    expect(issuer.revocationChecks).toBe(5);
  });

  it('session-revoked with auth_generation evicts only entries older than it', async () => {
    const { issuer, app, observer } = await started();
    const token = mintToken(keys, { sub: SUB });
    await getUser(app, token).expect(200);
    // The fake issuer answers auth_generation 1: generation 1 is not older than 1.
    await issuer.push('session-revoked', { user_id: SUB, auth_generation: 1 });
    await until(() => observer.events.length === 1, 'the event');
    await getUser(app, token).expect(200);
    expect(issuer.revocationChecks).toBe(1);
    await issuer.push('session-revoked', { user_id: SUB, auth_generation: 2 });
    await until(() => observer.events.length === 2, 'the event');
    await getUser(app, token).expect(200);
    expect(issuer.revocationChecks).toBe(2);
  });

  it('gap flushes both caches', async () => {
    const { issuer, app, sink, observer } = await started();
    const token = mintToken(keys);
    await getUser(app, token).expect(200);
    await issuer.push('gap', {});
    await until(() => observer.events.includes('gap:applied'), 'the event');
    await getUser(app, token).expect(200);
    expect(issuer.revocationChecks).toBe(2);
    expect(sink.lines().some((l) => l.msg === 'event stream gap: caches flushed')).toBe(true);
  });

  it('applies a frame delivered one byte per chunk (slow stream)', async () => {
    const { issuer, app, observer } = await started();
    const token = mintToken(keys, { sub: SUB });
    await getUser(app, token).expect(200);
    issuer.revoke(String(decodeJwt(token).jti));
    await issuer.push('session-revoked', { user_id: SUB, jti: decodeJwt(token).jti }, { split: 'bytes' });
    await until(() => observer.events.includes('session-revoked:applied'), 'the event');
    await getUser(app, token).expect(401);
  });

  it('applies a replayed id once (idempotent, counted as duplicate)', async () => {
    const { issuer, observer } = await started();
    await issuer.push('user-deleted', { user_id: SUB }, { id: 'evt-9' });
    await issuer.push('user-deleted', { user_id: SUB }, { id: 'evt-9' });
    await until(() => observer.events.length === 2, 'both frames');
    expect(observer.events).toEqual(['user-deleted:applied', 'user-deleted:duplicate']);
  });
});

describe('event stream: signatures', () => {
  it('drops unsigned and badly signed frames (counted, warned without the payload), applies valid ones', async () => {
    const { issuer, app, sink, observer } = await started();
    const token = mintToken(keys, { sub: SUB });
    const jti = String(decodeJwt(token).jti);
    await getUser(app, token).expect(200);
    issuer.revoke(jti);
    await issuer.push('session-revoked', { user_id: SUB, jti }, { signing: 'bad' });
    await issuer.push('session-revoked', { user_id: SUB, jti }, { signing: 'none' });
    await issuer.sendRaw('event: session-revoked\ndata: not json\n\nevent: surprise\ndata: {}\n\n');
    await until(() => observer.events.length === 4, 'four frames');
    expect(observer.events).toEqual([
      'session-revoked:bad_signature',
      'session-revoked:unsigned',
      'session-revoked:malformed',
      'other:ignored',
    ]);
    // Nothing was evicted: the cached answer still lets the (revoked) token through.
    await getUser(app, token).expect(200);
    const dropped = sink
      .text()
      .split('\n')
      .filter((l) => l.includes('event stream frame dropped'));
    expect(dropped).toHaveLength(3);
    for (const line of dropped) {
      expect(line).not.toContain(jti);
      expect(line).not.toContain(SUB);
    }
    expect(JSON.parse(dropped[0]!)).toMatchObject({
      level: 40,
      result: 'bad_signature',
      event_type: 'session-revoked',
    });
  });

  it('EVENT_SIGNING_ACCEPT_UNSIGNED=true applies unsigned frames', async () => {
    const { issuer, observer } = await started({ EVENT_SIGNING_ACCEPT_UNSIGNED: true });
    await issuer.push('user-deleted', { user_id: SUB }, { signing: 'none' });
    await until(() => observer.events.length === 1, 'the frame');
    expect(observer.events).toEqual(['user-deleted:applied']);
  });
});

describe('event stream: reconnection', () => {
  it('backs off 1 s doubling to 60 s, resets after a success, and sends Last-Event-ID', async () => {
    const timers = manualTimers();
    const { issuer, auth, observer } = await setup({}, { timers });
    issuer.failStreams(503, 8);
    await auth.start();
    const delays: number[] = [];
    for (let i = 0; i < 8; i++) {
      await until(() => timers.delays().length === 1, `backoff ${i}`);
      delays.push(timers.delays()[0]!);
      timers.fire();
    }
    expect(delays).toEqual([1000, 2000, 4000, 8000, 16000, 32000, 60000, 60000]);
    await connected(observer);
    expect(observer.reconnects).toBe(8);
    await issuer.push('user-deleted', { user_id: SUB }, { id: 'evt-41' });
    await until(() => observer.events.length === 1, 'the event');
    issuer.disconnect();
    await until(() => timers.delays().length === 1, 'the reconnection');
    expect(timers.delays()).toEqual([1000]);
    timers.fire();
    await connected(observer, 2);
    const streams = issuer.requests.filter((r) => r.path.endsWith('/events/stream'));
    expect(streams.at(-1)!.headers['last-event-id']).toBe('evt-41');
    expect(streams[0]!.headers['last-event-id']).toBeUndefined();
    expect(issuer.tokensIssued).toBe(1);
  });

  it('a retry: field from the server replaces the 1 s base delay', async () => {
    const timers = manualTimers();
    const { issuer, observer } = await started({}, { timers });
    await issuer.sendRaw(': heartbeat\nretry: 5000\n\n');
    await issuer.push('gap', {});
    await until(() => observer.events.length === 1, 'the frame');
    issuer.disconnect();
    await until(() => timers.delays().length === 1, 'the reconnection');
    expect(timers.delays()).toEqual([5000]);
  });

  it('jitters each delay by ± 25 %', async () => {
    for (const [random, expected] of [
      [0, 750],
      [0.999_999, 1250],
    ] as const) {
      const timers = manualTimers();
      const { issuer, auth } = await setup({}, { timers, random: () => random });
      issuer.failStreams(503);
      await auth.start();
      await until(() => timers.delays().length === 1, 'the backoff');
      expect(timers.delays()).toEqual([expected]);
      await auth.close();
      await issuer.close();
    }
  });

  it('a 401 on the stream fetches a new service token once, right away; a second 401 backs off', async () => {
    const timers = manualTimers();
    const { issuer, observer } = await started({}, { timers });
    issuer.expireServiceTokens();
    issuer.disconnect();
    await until(() => timers.delays().length === 1, 'the reconnection');
    timers.fire();
    // 401 with the old token → a new token at once (no timer) → connected.
    await connected(observer, 2);
    expect(issuer.tokensIssued).toBe(2);
    issuer.failStreams(401, 2);
    issuer.disconnect();
    await until(() => timers.delays().length === 1, 'the reconnection');
    timers.fire();
    await until(() => timers.delays().length === 1, 'the backoff after a second 401');
    expect(issuer.tokensIssued).toBe(3);
    expect(observer.connected.filter(Boolean)).toHaveLength(2);
  });

  it('a refused service token (401) backs off and warns about the credentials', async () => {
    const timers = manualTimers();
    const { issuer, auth, sink } = await setup({}, { timers });
    issuer.failTokens(401);
    await auth.start();
    await until(() => timers.delays().length === 1, 'the backoff');
    expect(issuer.requests.some((r) => r.path.endsWith('/events/stream'))).toBe(false);
    expect(sink.lines().some((l) => String(l.msg).includes('service token refused'))).toBe(true);
    expect(sink.text()).not.toContain(PRIVATE_API_SECRET);
    timers.fire();
    await until(() => issuer.streamConnections === 1, 'the stream');
  });
});

describe('event stream: hybrid mode', () => {
  it('refuses a pushed revoked jti locally, never asking the issuer', async () => {
    const { issuer, app, observer } = await started({ TOKEN_MODE: 'hybrid' });
    const token = mintToken(keys, { sub: SUB });
    const sibling = mintToken(keys, { sub: SUB });
    await getUser(app, token).expect(200);
    await issuer.push('session-revoked', { user_id: SUB, jti: decodeJwt(token).jti });
    await until(() => observer.events.length === 1, 'the event');
    const res = await getUser(app, token);
    expect(res.status).toBe(401);
    expect(res.body.detail).toBe('Token has been revoked.');
    await getUser(app, sibling).expect(200);
    expect(issuer.revocationChecks).toBe(0);
  });

  it('user-deleted refuses the tokens the user held before the event', async () => {
    const { issuer, app, observer } = await started({ TOKEN_MODE: 'hybrid' });
    const before = mintToken(keys, { sub: SUB, iat: Math.floor(Date.now() / 1000) - 60 });
    await getUser(app, before).expect(200);
    await issuer.push('user-deleted', { user_id: SUB });
    await until(() => observer.events.length === 1, 'the event');
    await getUser(app, before).expect(401);
    expect(issuer.revocationChecks).toBe(0);
  });
});
