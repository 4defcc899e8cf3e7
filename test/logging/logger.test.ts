import express from 'express';
import { testSettings } from 'express-m8/testing';
import pino from 'pino';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import {
  createLogger,
  createRequestLogger,
  logStartupSummary,
  REDACTED,
  scrubUrl,
} from '../../src/logging/index.js';
import { createRequestId } from '../../src/security/index.js';
import { eventually } from '../http/helpers.js';
import { createLogSink, type LogSink } from '../support/log-sink.js';

const SECRETS = {
  bearer: 'Bearer eyJhbGciOi.SECRET-JWT.sig',
  cookie: 'session=SECRET-COOKIE',
  internal: 'SECRET-INTERNAL-TOKEN',
  apiKey: 'SECRET-API-KEY',
  password: 'SECRET-PASSWORD-hunter2',
  queryToken: 'SECRET-QUERY-TOKEN',
};

function loggerTo(sink: LogSink, overrides: Parameters<typeof testSettings>[0] = {}) {
  return createLogger(testSettings({ LOG_LEVEL: 'trace', ...overrides }), {
    destination: sink.stream,
    isTTY: false,
  });
}

function loggedApp(sink: LogSink, routeOf?: (req: express.Request) => string | undefined) {
  const logger = loggerTo(sink);
  const app = express();
  app.use(createRequestId());
  app.use(createRequestLogger(logger, routeOf ? { routeOf } : {}));
  const items = express.Router();
  items.get('/:id', (req, res) => {
    (req as { user?: { id: string } }).user = { id: 'user-42' };
    res.json({ id: req.params.id });
  });
  app.use('/items', items);
  app.get('/fail', (_req, res) => {
    res.status(503).json({});
  });
  app.use((_req, res) => {
    res.status(404).json({});
  });
  return { app, logger };
}

describe('logger', () => {
  it('writes JSON lines with the level, service and environment', () => {
    const sink = createLogSink();
    const logger = createLogger(testSettings({ LOG_LEVEL: 'info', PROJECT_NAME: 'orders' }), {
      destination: sink.stream,
      isTTY: false,
    });
    logger.debug('hidden');
    logger.info({ a: 1 }, 'shown');
    const lines = sink.lines();
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 30, msg: 'shown', a: 1, service: 'orders', env: 'local' });
  });

  it('uses serviceName over PROJECT_NAME, and a given logger with its bindings, level and destination', () => {
    const sink = createLogSink();
    const logger = createLogger(testSettings({ LOG_LEVEL: 'info' }), {
      destination: sink.stream,
      serviceName: 'billing',
    });
    logger.info('x');
    expect(sink.lines()[0]).toMatchObject({ service: 'billing' });
    const given = createLogger(testSettings({ LOG_LEVEL: 'trace', PROJECT_NAME: 'other' }), { logger });
    expect(given).toBe(logger);
    const consumerSink = createLogSink();
    const consumer = pino({ level: 'warn', base: { app: 'mine' } }, consumerSink.stream);
    const wrapped = createLogger(testSettings({ LOG_LEVEL: 'trace' }), { logger: consumer });
    wrapped.info('hidden');
    wrapped.warn('shown');
    consumer.level = 'info';
    wrapped.info('now shown');
    expect(consumerSink.lines().map((l) => [l.msg, l.app])).toEqual([
      ['shown', 'mine'],
      ['now shown', 'mine'],
    ]);
  });

  it('redacts secret headers and secret-named fields anywhere in the output', () => {
    const sink = createLogSink();
    const logger = loggerTo(sink);
    logger.info(
      {
        req: {
          headers: {
            authorization: SECRETS.bearer,
            cookie: SECRETS.cookie,
            'x-internal-token': SECRETS.internal,
            'x-api-key': SECRETS.apiKey,
            accept: 'application/json',
          },
        },
        res: { headers: { 'set-cookie': SECRETS.cookie } },
        password: SECRETS.password,
        user: { password: SECRETS.password, name: 'ann' },
        config: { token: SECRETS.internal, ACCESS_SECRET_KEY: SECRETS.apiKey },
        body: { password: SECRETS.password, refresh_token: SECRETS.queryToken },
      },
      'with secrets',
    );
    const text = sink.text();
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret.split('=').pop());
    const line = sink.lines()[0] as {
      req: { headers: Record<string, string> };
      user: Record<string, string>;
    };
    expect(line.req.headers.authorization).toBe(REDACTED);
    expect(line.req.headers.accept).toBe('application/json');
    expect(line.user).toEqual({ password: REDACTED, name: 'ann' });
  });

  it('pretty-prints on local with a TTY when pino-pretty is installed', () => {
    const sink = createLogSink();
    const logger = createLogger(testSettings({ LOG_LEVEL: 'info' }), {
      destination: sink.stream,
      isTTY: true,
    });
    logger.info('pretty line');
    expect(sink.text()).toContain('pretty line');
    expect(() => JSON.parse(sink.text().trim())).toThrow();
  });

  it('falls back to JSON when pino-pretty is missing, and never pretty-prints outside local', () => {
    const missing = createLogSink();
    createLogger(testSettings({ LOG_LEVEL: 'info' }), {
      destination: missing.stream,
      isTTY: true,
      prettyModule: 'pino-pretty-not-installed',
    }).info('json line');
    expect(missing.lines()[0]).toMatchObject({ msg: 'json line' });
    const dev = createLogSink();
    createLogger(testSettings({ LOG_LEVEL: 'info', ENVIRONMENT: 'development' }), {
      destination: dev.stream,
      isTTY: true,
    }).info('dev line');
    expect(dev.lines()[0]).toMatchObject({ msg: 'dev line' });
  });

  it('logs a redacted startup summary', () => {
    const sink = createLogSink();
    const settings = testSettings({
      LOG_LEVEL: 'info',
      HEALTH_DETAIL_CREDENTIAL: 'SECRET-HEALTH-Credential-1!',
    });
    logStartupSummary(createLogger(settings, { destination: sink.stream }), {
      settings,
      version: '1.2.3',
      extra: { port: 8000 },
    });
    const text = sink.text();
    expect(text).not.toContain(settings.ACCESS_SECRET_KEY);
    expect(text).not.toContain('SECRET-HEALTH-Credential');
    const line = sink.lines()[0] as {
      msg: string;
      version: string;
      port: number;
      configuration: Record<string, unknown>;
    };
    expect(line).toMatchObject({
      msg: 'configuration',
      version: '1.2.3',
      port: 8000,
      service: 'test-service',
    });
    expect(line.configuration.API_PREFIX).toBe('/api');
    // An unset secret stays visibly unset; a set one is masked.
    expect(line.configuration.REFRESH_SECRET_KEY).toBeUndefined();
    expect(line.configuration.HEALTH_DETAIL_CREDENTIAL).toBe('***');
    // One `service` key, from the logger's bindings.
    expect(text.match(/"service":/g)).toHaveLength(1);
  });

  it('scrubs credentials from error messages and stacks, causes included', () => {
    const sink = createLogSink();
    const logger = createLogger(testSettings({ LOG_LEVEL: 'info' }), { destination: sink.stream });
    const cause = new Error('auth failed for password=hunter2-cause');
    logger.error(
      { err: new Error('connect postgres://app:s3cret-pw@db:5432/app failed', { cause }) },
      'boom',
    );
    const text = sink.text();
    expect(text).not.toContain('s3cret-pw');
    expect(text).not.toContain('hunter2-cause');
    expect(text).toContain('postgres://***:***@db:5432/app');
  });
});

describe('request logger', () => {
  it('logs one line per request with method, url, route template, status, duration, request id and user id', async () => {
    const sink = createLogSink();
    const { app } = loggedApp(sink);
    await request(app).get('/items/7?x=1').set('X-Request-ID', 'rid-1').expect(200);
    await eventually(() => sink.lines().length === 1);
    const line = sink.lines()[0];
    expect(line).toMatchObject({
      level: 30,
      msg: 'request completed',
      reqId: 'rid-1',
      method: 'GET',
      url: '/items/7?x=1',
      route: '/items/:id',
      status: 200,
      userId: 'user-42',
    });
    expect(typeof line?.durationMs).toBe('number');
    expect(line).not.toHaveProperty('headers');
    expect(line).not.toHaveProperty('aborted');
  });

  it('uses info for 4xx and error for 5xx, and omits route and user when unknown', async () => {
    const sink = createLogSink();
    const { app } = loggedApp(sink);
    await request(app).get('/nowhere');
    await request(app).get('/fail');
    await eventually(() => sink.lines().length === 2);
    const [notFound, failed] = sink.lines();
    expect(notFound).toMatchObject({ level: 30, status: 404, url: '/nowhere' });
    expect(notFound).not.toHaveProperty('route');
    expect(notFound).not.toHaveProperty('userId');
    expect(failed).toMatchObject({ level: 50, status: 503, route: '/fail' });
  });

  it('asks routeOf for the route when given', async () => {
    const sink = createLogSink();
    const { app } = loggedApp(sink, () => '/resolved/:template');
    await request(app).get('/items/9');
    await eventually(() => sink.lines().length === 1);
    expect(sink.lines()[0]).toMatchObject({ route: '/resolved/:template' });
  });

  it('scrubs secret query values and never logs request headers', async () => {
    const sink = createLogSink();
    const { app } = loggedApp(sink);
    await request(app)
      .get(`/items/1?token=${SECRETS.queryToken}&page=2&password=${SECRETS.password}`)
      .set('Authorization', SECRETS.bearer)
      .set('Cookie', SECRETS.cookie)
      .set('X-API-Key', SECRETS.apiKey);
    await eventually(() => sink.lines().length === 1);
    const text = sink.text();
    for (const secret of Object.values(SECRETS)) expect(text).not.toContain(secret.split('=').pop());
    expect(sink.lines()[0]).toMatchObject({ url: `/items/1?token=${REDACTED}&page=2&password=${REDACTED}` });
  });

  it('computes nothing when the level is disabled', async () => {
    const sink = createLogSink();
    const logger = createLogger(testSettings({ LOG_LEVEL: 'error' }), { destination: sink.stream });
    const app = express();
    app.use(createRequestLogger(logger));
    app.get('/ok', (_req, res) => res.json({}));
    app.get('/bad', (_req, res) => res.status(500).json({}));
    await request(app).get('/ok');
    await request(app).get('/bad');
    await eventually(() => sink.lines().length === 1);
    expect(sink.lines()[0]).toMatchObject({ status: 500 });
  });
});

describe('request logger on aborted requests', () => {
  it('still logs one line, marked aborted, when the client goes away first', async () => {
    const sink = createLogSink();
    const app = express();
    app.use(createRequestLogger(loggerTo(sink)));
    let arrived!: () => void;
    const reached = new Promise<void>((r) => {
      arrived = r;
    });
    app.get('/hang', () => arrived());
    const server = app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as import('node:net').AddressInfo;
      const controller = new AbortController();
      const pending = fetch(`http://127.0.0.1:${port}/hang`, { signal: controller.signal }).catch(
        () => 'aborted',
      );
      await reached;
      controller.abort();
      expect(await pending).toBe('aborted');
      await eventually(() => sink.lines().length === 1);
      expect(sink.lines()[0]).toMatchObject({ url: '/hang', aborted: true });
    } finally {
      server.closeAllConnections();
      server.close();
    }
  });
});

describe('scrubUrl', () => {
  it('redacts secret-looking query values and leaves the rest', () => {
    expect(scrubUrl('/a/b')).toBe('/a/b');
    expect(scrubUrl('/cb?code=abc&state=1')).toBe(`/cb?code=${REDACTED}&state=1`);
    expect(scrubUrl('/x?access_token=t&API_KEY=k&q=ok')).toBe(
      `/x?access_token=${REDACTED}&API_KEY=${REDACTED}&q=ok`,
    );
  });

  it('redacts jwt= and key= values', () => {
    expect(scrubUrl('/x?jwt=abc&key=k1&page=2')).toBe(`/x?jwt=${REDACTED}&key=${REDACTED}&page=2`);
  });

  it('redacts values of percent-encoded secret names, and leaves malformed escapes alone', () => {
    expect(scrubUrl('/x?%74oken=abc&q=%20')).toBe(`/x?%74oken=${REDACTED}&q=%20`);
    expect(scrubUrl('/x?access%5Ftoken=abc&page=1')).toBe(`/x?access%5Ftoken=${REDACTED}&page=1`);
    expect(scrubUrl('/x?%50ASSWORD=abc')).toBe(`/x?%50ASSWORD=${REDACTED}`);
    expect(scrubUrl('/x?q=%E0%A4%A&page=%zz')).toBe('/x?q=%E0%A4%A&page=%zz');
  });

  it('redacts JWT-shaped path segments and values whatever their name', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.c2lnbmF0dXJl';
    expect(scrubUrl(`/reset/${jwt}`)).toBe(`/reset/${REDACTED}`);
    expect(scrubUrl(`/reset/${jwt}/confirm?x=1`)).toBe(`/reset/${REDACTED}/confirm?x=1`);
    expect(scrubUrl(`/cb?state=${jwt}&page=2`)).toBe(`/cb?state=${REDACTED}&page=2`);
  });

  it('returns ordinary URLs unchanged', () => {
    for (const url of ['/', '/items/7', '/items?page=2&sort=asc', '/search?q=caf%C3%A9', '/a?flag', '/eyJ']) {
      expect(scrubUrl(url)).toBe(url);
    }
  });
});
