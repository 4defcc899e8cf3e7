import express from 'express';
import { createApp, HttpError, M8Error } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';

function appThrowing(make: () => Error) {
  const router = express.Router().get('/boom', () => {
    throw make();
  });
  return createApp(testSettings(), router);
}

describe('HttpError', () => {
  it("answers the consumer's own code, headers and extension members as problem+json", async () => {
    const app = appThrowing(
      () =>
        new HttpError(409, 'The order is already closed.', {
          code: 'ERR_ORDER_CLOSED',
          headers: { 'Retry-After': '30' },
          extensions: { orderId: 'o-42', balance: { amount: 12.5, currency: 'EUR' }, errors: ['a', 'b'] },
        }),
    );
    const res = await request(app).get('/boom').expect(409);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.headers['retry-after']).toBe('30');
    expect(JSON.parse(res.text)).toEqual({
      type: 'about:blank',
      title: 'Conflict',
      status: 409,
      detail: 'The order is already closed.',
      code: 'ERR_ORDER_CLOSED',
      orderId: 'o-42',
      balance: { amount: 12.5, currency: 'EUR' },
      errors: ['a', 'b'],
    });
  });

  it('defaults the code from the status', async () => {
    const cases: [number, string][] = [
      [400, 'ERR_HTTP_BAD_REQUEST'],
      [404, 'ERR_HTTP_NOT_FOUND'],
      [422, 'ERR_HTTP_CLIENT_ERROR'],
      [503, 'ERR_HTTP_UNAVAILABLE'],
      [502, 'ERR_HTTP_INTERNAL'],
    ];
    for (const [status, code] of cases) {
      const error = new HttpError(status, 'x');
      expect(error.code).toBe(code);
      expect(error).toBeInstanceOf(M8Error);
      const res = await request(appThrowing(() => error))
        .get('/boom')
        .expect(status);
      expect(res.body.code).toBe(code);
    }
  });

  it('keeps the 0.1.0 form new HttpError(code, status, message)', async () => {
    const error = new HttpError('ERR_HTTP_BAD_REQUEST', 400, 'Bad id.');
    expect(error).toMatchObject({ code: 'ERR_HTTP_BAD_REQUEST', status: 400, message: 'Bad id.' });
    const res = await request(appThrowing(() => error))
      .get('/boom')
      .expect(400);
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_BAD_REQUEST', detail: 'Bad id.' });
  });

  it.each(['ORDER_CLOSED', 'ERR_order', 'ERR_', 'ERR-X', ''])(
    'throws a TypeError naming the bad code %j at construction',
    (code) => {
      expect(() => new HttpError(409, 'x', { code: code as 'ERR_X' })).toThrow(
        new TypeError(`HttpError code must match ^ERR_[A-Z0-9_]+$ (got ${JSON.stringify(code)})`),
      );
    },
  );

  it.each(['type', 'title', 'status', 'detail', 'instance', 'code'])(
    'refuses an extension %j that would replace a standard member',
    (name) => {
      expect(() => new HttpError(409, 'x', { extensions: { [name]: 'spoof' } })).toThrow(
        new RegExp(`^HttpError extension "${name}" would replace a standard problem member`),
      );
    },
  );

  it('refuses a status outside 400–599, a bad header and extensions that are not JSON', () => {
    expect(() => new HttpError(302, 'x')).toThrow(/status must be an integer from 400 to 599 \(got 302\)/);
    expect(() => new HttpError(400.5, 'x')).toThrow(TypeError);
    expect(() => new HttpError(400, 'x', { headers: { 'X-A': 'a\r\nSet-Cookie: x=1' } })).toThrow(
      /header "X-A"/,
    );
    expect(() => new HttpError(400, 'x', { extensions: { n: 10n } })).toThrow(/JSON-serialisable/);
  });

  it('keeps a __proto__ extension a plain member, never the prototype', async () => {
    const extensions = JSON.parse('{"__proto__": {"polluted": true}, "toString": "t"}') as Record<
      string,
      unknown
    >;
    const res = await request(appThrowing(() => new HttpError(400, 'x', { extensions })))
      .get('/boom')
      .expect(400);
    const body = JSON.parse(res.text) as Record<string, unknown>;
    expect(Object.hasOwn(body, '__proto__')).toBe(true);
    expect(body.toString).toBe('t');
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });
});
