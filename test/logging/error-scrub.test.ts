import { testSettings } from 'express-m8/testing';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../../src/logging/index.js';
import { createLogSink, type LogSink } from '../support/log-sink.js';

function loggerTo(sink: LogSink) {
  return createLogger(testSettings({ LOG_LEVEL: 'info' }), { destination: sink.stream, isTTY: false });
}

/** Logs `err` and returns the serialised `err` of the one line. */
function logged(err: unknown): { text: string; err: Record<string, unknown> } {
  const sink = createLogSink();
  loggerTo(sink).error({ err }, 'failed');
  const lines = sink.lines();
  expect(lines).toHaveLength(1);
  return { text: sink.text(), err: lines[0]?.err as Record<string, unknown> };
}

describe('logged errors', () => {
  it('redact keys naming secrets in any case style, at any depth and inside arrays', () => {
    const err = Object.assign(new Error('upstream refused'), {
      request: {
        headers: [
          { name: 'authorization', value: 'ok-looking' },
          { 'x-internal-token': 'SECRET-1', Cookie: 'sid=SECRET-2', 'set-cookie': ['a=SECRET-3'] },
        ],
        body: { client_secret: 'SECRET-4', refreshToken: 'SECRET-5', 'private-key': 'SECRET-6' },
      },
      apiKey: 'SECRET-7',
      API_KEY: 'SECRET-8',
      PrivateKey: 'SECRET-9',
      attempts: [{ url: 'redis://:SECRET-10@cache:6379' }, { note: 'jwt=SECRET-11&x=1' }],
    });
    const { text, err: out } = logged(err);
    expect(text).not.toMatch(/SECRET-/);
    expect(out).toMatchObject({
      type: 'Error',
      message: 'upstream refused',
      apiKey: 'REDACTED',
      API_KEY: 'REDACTED',
      PrivateKey: 'REDACTED',
      request: {
        headers: [
          { name: 'authorization', value: 'ok-looking' },
          { 'x-internal-token': 'REDACTED', Cookie: 'REDACTED', 'set-cookie': 'REDACTED' },
        ],
        body: { client_secret: 'REDACTED', refreshToken: 'REDACTED', 'private-key': 'REDACTED' },
      },
      attempts: [{ url: 'redis://***:***@cache:6379' }, { note: 'jwt=***&x=1' }],
    });
  });

  it('scrub a cause chain given with { cause }, properties of each cause included', () => {
    const root = Object.assign(new Error('password authentication failed'), { password: 'SECRET-ROOT' });
    const middle = new Error('connect postgres://app:SECRET-MID@db/app', { cause: root });
    const { text, err } = logged(new Error('startup failed', { cause: middle }));
    expect(text).not.toMatch(/SECRET-/);
    expect(err).toMatchObject({
      message: 'startup failed',
      cause: {
        message: 'connect postgres://***:***@db/app',
        cause: { message: 'password authentication failed', password: 'REDACTED' },
      },
    });
  });

  it('never throws: a getter that throws, a hostile Proxy and a cycle are all shown as markers', () => {
    const err = new Error('odd error') as Error & Record<string, unknown>;
    Object.defineProperty(err, 'details', {
      enumerable: true,
      get() {
        throw new Error('getter exploded');
      },
    });
    err.proxy = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap exploded');
        },
      },
    );
    const config: Record<string, unknown> = { url: 'https://u:SECRET-CYCLE@h' };
    config.self = config;
    err.config = config;
    err.again = err;
    const { text, err: out } = logged(err);
    expect(text).not.toMatch(/SECRET-/);
    expect(out).toMatchObject({
      message: 'odd error',
      details: '[Unreadable]',
      proxy: '[Unreadable]',
      config: { url: 'https://***:***@h', self: '[Circular]' },
      again: '[Circular]',
    });
  });

  it('bound very large and very deep errors, and never show a secret past the bound', () => {
    const err = new Error(`${'x'.repeat(100_000)} password=SECRET-AT-THE-END`) as Error &
      Record<string, unknown>;
    const wide: Record<string, string> = {};
    for (let i = 0; i < 10_000; i++) wide[`k${i}`] = `value ${i}`;
    err.wide = wide;
    err.long = Array.from({ length: 10_000 }, (_, i) => i);
    let deep: Record<string, unknown> = { token: 'SECRET-DEEP' };
    for (let i = 0; i < 50; i++) deep = { next: deep };
    err.deep = deep;
    // A secret straddling the string limit: neither half may survive.
    err.straddle = `${'y'.repeat(16 * 1024 - 20)} postgres://app:SECRET-STRADDLE@db/app`;
    const { text, err: out } = logged(err);
    expect(text.length).toBeLessThan(200_000);
    expect(text).not.toMatch(/SECRET-/);
    expect(text).not.toContain('SECRET');
    expect(Object.keys(out.wide as object).length).toBeLessThanOrEqual(101);
    expect((out.long as unknown[]).length).toBeLessThanOrEqual(101);
    expect(JSON.stringify(out.deep)).toContain('[Truncated]');
    expect(String(out.message)).toMatch(/truncated \d+ chars/);
  });

  it('never mutate the logged error', () => {
    const headers = { Authorization: 'Bearer SECRET-KEEP' };
    const cause = new Error('inner token=SECRET-INNER');
    const err = Object.assign(new Error('outer', { cause }), { config: { headers } });
    const before = Reflect.ownKeys(err);
    logged(err);
    expect(Reflect.ownKeys(err)).toEqual(before);
    expect(err.config.headers).toBe(headers);
    expect(headers.Authorization).toBe('Bearer SECRET-KEEP');
    expect(cause.message).toBe('inner token=SECRET-INNER');
    expect(Object.getOwnPropertySymbols(cause)).toEqual([]);
  });

  it('scrub a value logged under err that is not an Error', () => {
    const { text, err } = logged({ message: 'weird', headers: { cookie: 'SECRET-PLAIN' } });
    expect(text).not.toMatch(/SECRET-/);
    expect(err).toEqual({ message: 'weird', headers: { cookie: 'REDACTED' } });
  });
});
