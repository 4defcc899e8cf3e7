import express from 'express';
import { createApp, type M8App } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import type pino from 'pino';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { createLogSink } from '../support/log-sink.js';

const apps: M8App[] = [];
afterEach(async () => {
  await Promise.allSettled(apps.splice(0).map((app) => app.stop()));
});

async function eventually(predicate: () => boolean): Promise<void> {
  const deadline = Date.now() + 2000;
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}

/** Every planted secret contains `SECRET-` or `SECRETsig` (`ACCESS_SECRET_KEY` in the startup summary does not). */
const LEAK = /SECRET-|SECRETsig/;

const JWT = 'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJTRUNSRVQtU1VCIn0.SECRETsigSECRETsigSECRETsig';

/** An error shaped like an axios error from an upstream call that failed with 401. */
function upstreamError(): Error {
  return Object.assign(new Error('Request failed with status code 401'), {
    name: 'AxiosError',
    code: 'ERR_BAD_REQUEST',
    config: {
      url: 'https://svc-user:SECRET-URL-PW@upstream.internal/v1/items',
      method: 'get',
      headers: {
        Accept: 'application/json',
        Authorization: 'Bearer SECRET-UPSTREAM-BEARER',
        'X-Internal-Token': 'SECRET-INTERNAL',
        'x-api-key': 'SECRET-API-KEY',
      },
      auth: { username: 'svc', password: 'SECRET-AUTH-PW' },
    },
    input: 'postgres://app:SECRET-DSN-PW@db:5432/app',
    response: {
      status: 401,
      headers: { 'set-cookie': ['sid=SECRET-COOKIE'] },
      data: { error: 'invalid_token', detail: `token ${JWT} expired` },
    },
  });
}

function appWith(router: express.Router, logger: pino.Logger, extras?: () => Promise<void>): M8App {
  const app = createApp(testSettings(), router, {
    logger,
    lifecycle: extras === undefined ? {} : { lifespanExtras: async () => extras },
  });
  apps.push(app);
  return app;
}

describe('error log lines', () => {
  it('scrub every property of an upstream client error in the 500 line: headers, URL userinfo, input, response data', async () => {
    const { logger, lines, text } = createLogSink({ level: 'info' });
    const router = express.Router();
    router.get('/upstream', () => {
      throw upstreamError();
    });
    const res = await request(appWith(router, logger)).get('/upstream');
    expect(res.status).toBe(500);
    await eventually(() => lines().some((l) => l.msg === 'unhandled error'));
    expect(text()).not.toMatch(LEAK);
    const err = lines().find((l) => l.msg === 'unhandled error')?.err as {
      type: string;
      message: string;
      code: string;
      config: { url: string; headers: Record<string, string>; auth: Record<string, string> };
      input: string;
      response: { status: number; headers: Record<string, string> };
    };
    expect(err).toMatchObject({ message: 'Request failed with status code 401', code: 'ERR_BAD_REQUEST' });
    expect(err.config.headers).toEqual({
      Accept: 'application/json',
      Authorization: 'REDACTED',
      'X-Internal-Token': 'REDACTED',
      'x-api-key': 'REDACTED',
    });
    expect(err.config.url).toBe('https://***:***@upstream.internal/v1/items');
    expect(err.config.auth).toEqual({ username: 'svc', password: 'REDACTED' });
    expect(err.input).toBe('postgres://***:***@db:5432/app');
    expect(err.response.status).toBe(401);
    expect(err.response.headers).toEqual({ 'set-cookie': 'REDACTED' });
  });

  it('scrub the properties of causes and of the errors of an AggregateError', async () => {
    const { logger, lines, text } = createLogSink({ level: 'info' });
    const router = express.Router();
    router.get('/nested', () => {
      const inner = new AggregateError(
        [upstreamError(), Object.assign(new Error('replica'), { dsn: 'mysql://r:SECRET-R@replica/db' })],
        'all upstreams failed',
      );
      throw new Error('checkout failed', { cause: inner });
    });
    await request(appWith(router, logger)).get('/nested').expect(500);
    await eventually(() => lines().some((l) => l.msg === 'unhandled error'));
    expect(text()).not.toMatch(LEAK);
    const err = lines().find((l) => l.msg === 'unhandled error')?.err as {
      cause: { message: string; aggregateErrors: { config?: { headers: Record<string, string> } }[] };
    };
    expect(err.cause.message).toBe('all upstreams failed');
    expect(err.cause.aggregateErrors[0]?.config?.headers.Authorization).toBe('REDACTED');
  });

  it('scrub a teardown failure logged at stop()', async () => {
    const { logger, lines, text } = createLogSink({ level: 'info' });
    const app = appWith(express.Router(), logger, async () => {
      throw upstreamError();
    });
    await app.start();
    await expect(app.stop()).rejects.toMatchObject({ code: 'ERR_LIFECYCLE_TEARDOWN' });
    const failed = lines().find((l) => String(l.msg).startsWith('teardown step'));
    expect(failed).toBeDefined();
    expect(text()).not.toMatch(LEAK);
    expect(failed?.err).toMatchObject({ config: { headers: { Authorization: 'REDACTED' } } });
  });
});

describe('secret query values in the 500 line and the request line', () => {
  it.each([
    ['token', 'SECRET-QUERY-TOKEN'],
    ['access_token', 'SECRET-ACCESS-TOKEN'],
    ['jwt', 'SECRET-JWT-VALUE'],
    ['key', 'SECRET-KEY-VALUE'],
    ['%74oken', 'SECRET-ENCODED-NAME'],
    ['access%5Ftoken', 'SECRET-ENCODED-UNDERSCORE'],
  ])('never log the value of ?%s= anywhere, for a route that throws', async (name, secret) => {
    const { logger, lines, text } = createLogSink({ level: 'info' });
    const router = express.Router();
    router.get('/throws', () => {
      throw new Error('handler bug');
    });
    await request(appWith(router, logger)).get(`/throws?page=2&${name}=${secret}&q=x`).expect(500);
    await eventually(() => lines().some((l) => l.msg === 'request completed'));
    expect(text()).not.toContain(secret);
    const redactedUrl = `/throws?page=2&${name}=[REDACTED]&q=x`;
    expect(lines().find((l) => l.msg === 'unhandled error')).toMatchObject({ url: redactedUrl });
    expect(lines().find((l) => l.msg === 'request completed')).toMatchObject({
      url: redactedUrl,
      status: 500,
    });
  });

  it('never logs a JWT-shaped path segment', async () => {
    const { logger, lines, text } = createLogSink({ level: 'info' });
    const router = express.Router();
    router.get('/reset/:token', () => {
      throw new Error('reset failed');
    });
    await request(appWith(router, logger)).get(`/reset/${JWT}`).expect(500);
    await eventually(() => lines().some((l) => l.msg === 'request completed'));
    expect(text()).not.toMatch(LEAK);
    expect(text()).not.toContain(JWT.slice(0, 20));
    expect(lines().find((l) => l.msg === 'unhandled error')).toMatchObject({ url: '/reset/[REDACTED]' });
    expect(lines().find((l) => l.msg === 'request completed')).toMatchObject({ url: '/reset/[REDACTED]' });
  });
});
