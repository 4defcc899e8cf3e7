import fc from 'fast-check';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { type HealthCheck, isSecretKey, scrubMeta, scrubText } from '../../src/health/index.js';
import { healthApp } from './helpers.js';

const JWT =
  'eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ.SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c';

describe('scrubText', () => {
  it.each([
    ['postgres://app:s3cret@db:5432/app', 'postgres://***:***@db:5432/app'],
    [
      'connect mysql://root:p@ss:w0rd@127.0.0.1:3306/test failed',
      'connect mysql://***:***@127.0.0.1:3306/test failed',
    ],
    ['redis://:onlypass@cache:6379', 'redis://***:***@cache:6379'],
    ['amqp://justuser@mq/vhost', 'amqp://***:***@mq/vhost'],
    ['https://u:p@example.com/x?y=1', 'https://***:***@example.com/x?y=1'],
    ['see https://example.com/a@b', 'see https://example.com/a@b'],
    ['mail me@example.com now', 'mail me@example.com now'],
  ])('masks URL userinfo in %j', (input, expected) => {
    expect(scrubText(input)).toBe(expected);
  });

  it.each([
    ['GET /x?user=a&password=hunter2&b=1', 'GET /x?user=a&password=***&b=1'],
    ['host=db user=app PASSWORD=hunter2 dbname=x', 'host=db user=app PASSWORD=*** dbname=x'],
    ['Server=db;Uid=app;Pwd=hunter2;Database=x', 'Server=db;Uid=app;Pwd=***;Database=x'],
    ['passwd=hunter2', 'passwd=***'],
    ['DB_PASSWORD=hunter2 next', 'DB_PASSWORD=*** next'],
    ["host=db password='hunter two' port=5432", 'host=db password=*** port=5432'],
    ['?access_token=abc.def&x=1', '?access_token=***&x=1'],
    ['api_key=k1 apiKey=k2 api-key=k3', 'api_key=*** apiKey=*** api-key=***'],
    ['user=app', 'user=app'],
  ])('masks secret key=value pairs in %j', (input, expected) => {
    expect(scrubText(input)).toBe(expected);
  });

  it.each([
    ['Authorization: Bearer abc.def-ghi', 'Authorization: Bearer ***'],
    ['token was bearer abcDEF123+/=', 'token was bearer ***'],
    ['authorization: Basic dXNlcjpwYXNz', 'authorization: Basic ***'],
    ['{"authorization":"Bearer abc"}', '{"authorization":"***"}'],
    ['{"password": "hunter2", "user": "app"}', '{"password": "***", "user": "app"}'],
    [`token ${JWT} rejected`, 'token *** rejected'],
    [`Bearer ${JWT}`, 'Bearer ***'],
  ])('masks bearer tokens, authorization values, JSON pairs and JWTs in %j', (input, expected) => {
    expect(scrubText(input)).toBe(expected);
  });

  it('leaves ordinary messages alone', () => {
    for (const s of ['connect ECONNREFUSED 127.0.0.1:5432', 'basic validation failed', 'timeout 500ms', '']) {
      expect(scrubText(s)).toBe(s);
    }
  });

  const password = fc
    .string({ minLength: 6, maxLength: 24, unit: 'grapheme-ascii' })
    .filter((s) => /^[\x21-\x7e]+$/.test(s) && !/[/"'`<>\\&;]/.test(s));
  const user = fc.stringMatching(/^[a-z][a-z0-9]{0,10}$/);
  const scheme = fc.constantFrom('postgres', 'postgresql', 'mysql', 'redis', 'amqp', 'https', 'mongodb+srv');

  it('never returns a password planted in a URL (property)', () => {
    fc.assert(
      fc.property(scheme, user, password, (s, u, p) => {
        const out = scrubText(`failed: ${s}://${u}:${p}@db.internal:5432/app?sslmode=require`);
        expect(out).not.toContain(p);
        expect(out).toContain(`${s}://***:***@db.internal:5432/app`);
      }),
    );
  });

  it('never returns a password planted as a key=value pair (property)', () => {
    const key = fc.constantFrom(
      'password',
      'PASSWORD',
      'Pwd',
      'passwd',
      'db_password',
      'dbPassword',
      'client_secret',
    );
    const sep = fc.constantFrom('&', ';', ' ', '\n');
    const valueChars = password.filter((p) => !/\s/.test(p));
    fc.assert(
      fc.property(key, valueChars, sep, (k, p, s) => {
        const out = scrubText(`host=db${s}${k}=${p}${s}port=5432`);
        expect(out).not.toContain(p);
        expect(out).toContain(`${k}=***`);
      }),
    );
  });

  it('never returns a bearer token (property)', () => {
    const token = fc.stringMatching(/^[A-Za-z0-9\-._~+/]{8,40}=*$/);
    fc.assert(
      fc.property(token, fc.constantFrom('Bearer', 'bearer', 'BEARER'), (t, b) => {
        expect(scrubText(`rejected ${b} ${t} at gateway`)).toBe(`rejected ${b} *** at gateway`);
      }),
    );
  });
});

describe('scrubMeta', () => {
  it('recognises secret keys in snake, camel, kebab, upper and dotted case', () => {
    for (const k of [
      'password',
      'DB_PASSWORD',
      'dbPassword',
      'api_key',
      'apiKey',
      'x-api-key',
      'API-KEY',
      'Authorization',
      'client_secret',
      'clientSecret',
      'private_key',
      'privateKey',
      'accessKeyId',
      'aws.access.key',
      'credentials',
      'Cookie',
      'set-cookie',
      'sessionId',
      'refresh-token',
    ]) {
      expect(isSecretKey(k), k).toBe(true);
    }
    for (const k of ['host', 'port', 'pool', 'version', 'user', 'latency', 'database'])
      expect(isSecretKey(k), k).toBe(false);
  });

  it('redacts secret keys at any depth, inside arrays too, and scrubs string values', () => {
    const input = {
      host: 'db',
      password: 'hunter2',
      nested: {
        apiKey: 'k',
        'x-api-key': 'k',
        list: [{ client_secret: 's', url: 'postgres://a:b@h/db' }, 'Bearer abc'],
      },
      count: 3,
      ok: true,
      nothing: null,
    };
    expect(scrubMeta(input)).toEqual({
      host: 'db',
      password: 'REDACTED',
      nested: {
        apiKey: 'REDACTED',
        'x-api-key': 'REDACTED',
        list: [{ client_secret: 'REDACTED', url: 'postgres://***:***@h/db' }, 'Bearer ***'],
      },
      count: 3,
      ok: true,
      nothing: null,
    });
    expect(input.password).toBe('hunter2');
  });

  it('redacts a secret key whatever its value type', () => {
    expect(scrubMeta({ token: { a: 1 }, secret: [1, 2], pwd: 5 })).toEqual({
      token: 'REDACTED',
      secret: 'REDACTED',
      pwd: 'REDACTED',
    });
  });

  it('survives cycles and stops at the depth limit', () => {
    const a: Record<string, unknown> = { name: 'a' };
    a.self = a;
    a.list = [a];
    expect(scrubMeta(a)).toEqual({ name: 'a', self: '[Circular]', list: ['[Circular]'] });
    const shared = { v: 1 };
    expect(scrubMeta({ x: shared, y: shared })).toEqual({ x: { v: 1 }, y: { v: 1 } });
    let deep: Record<string, unknown> = { leaf: true };
    for (let i = 0; i < 20; i++) deep = { d: deep };
    const out = JSON.stringify(scrubMeta(deep));
    expect(out).toContain('[Truncated]');
    expect(out).not.toContain('leaf');
  });

  it('turns non-JSON values into JSON-safe ones', () => {
    const out = scrubMeta({
      when: new Date(0),
      big: 10n,
      fn: () => 1,
      undef: undefined,
      nan: Number.NaN,
      buf: Buffer.from('abc'),
      err: new Error('bad password=x'),
      map: new Map([['token', 't']]),
      arr: [undefined, () => 1],
    });
    expect(out).toEqual({
      when: '1970-01-01T00:00:00.000Z',
      big: '10',
      nan: 'NaN',
      buf: '[binary 3 bytes]',
      err: { name: 'Error', message: 'bad password=***' },
      map: { token: 'REDACTED' },
      arr: [null, null],
    });
  });

  it('never returns a value stored under a secret key (property)', () => {
    const secretKey = fc
      .tuple(
        fc.constantFrom('', 'db', 'x', 'client'),
        fc.constantFrom('password', 'secret', 'token', 'apiKey', 'api_key'),
      )
      .map(([p, k]) => (p ? `${p}_${k}` : k));
    const secret = fc.string({ minLength: 8, maxLength: 20 }).map((s) => `S3CR3T${s}`);
    fc.assert(
      fc.property(
        fc.array(fc.tuple(secretKey, secret), { minLength: 1, maxLength: 5 }),
        fc.nat(4),
        (pairs, depth) => {
          let obj: unknown = Object.fromEntries(pairs);
          for (let i = 0; i < depth; i++) obj = i % 2 ? { nested: obj } : [obj];
          const out = JSON.stringify(scrubMeta(obj));
          for (const [, s] of pairs) expect(out).not.toContain(s);
        },
      ),
    );
  });
});

describe('scrubbing in health answers', () => {
  const leaky: HealthCheck[] = [
    async function db() {
      throw new Error('connect postgres://app:hunter2@db:5432/app failed; password=hunter2');
    },
    async function upstream() {
      return { name: 'upstream', status: 'fail', error: `401 with Authorization: Bearer ${JWT}` };
    },
    async function pool() {
      return {
        name: 'pool',
        status: 'ok',
        meta: {
          dsn: 'mysql://root:hunter2@h/db',
          replicas: [
            { host: 'r1', dbPassword: 'hunter2', 'api-key': 'hunter2', nested: { client_secret: 'hunter2' } },
          ],
          note: 'token=hunter2',
        },
      };
    },
  ];

  it('scrubs check errors and meta in the detailed body', async () => {
    const { app } = healthApp({ health: { detailPublic: true, checks: leaky } });
    const res = await request(app).get('/api/health');
    expect(res.text).not.toContain('hunter2');
    expect(res.text).not.toContain(JWT);
    const [db, upstream, pool] = res.body.checks;
    expect(db.error).toBe('connect postgres://***:***@db:5432/app failed; password=***');
    expect(upstream.error).toBe('401 with Authorization: Bearer ***');
    expect(pool.meta).toEqual({
      dsn: 'REDACTED',
      replicas: [
        { host: 'r1', dbPassword: 'REDACTED', 'api-key': 'REDACTED', nested: { client_secret: 'REDACTED' } },
      ],
      note: 'token=***',
    });
  });

  it('cuts very long error messages after scrubbing', async () => {
    const long = `postgres://u:hunter2@h/db ${'x'.repeat(2000)}`;
    const { app } = healthApp({
      health: {
        detailPublic: true,
        checks: [
          async function big() {
            throw new Error(long);
          },
        ],
      },
    });
    const res = await request(app).get('/api/health');
    expect(res.body.checks[0].error).toHaveLength(500);
    expect(res.body.checks[0].error.startsWith('postgres://***:***@h/db')).toBe(true);
    expect(res.body.checks[0].error.endsWith('…')).toBe(true);
  });
});
