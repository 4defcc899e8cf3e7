import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { AuthError, HttpError } from 'express-m8';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createErrorHandler, jsonBodyParser, problemBody, sendProblem } from '../../src/http/index.js';
import { createRequestId } from '../../src/security/index.js';
import { createLogSink } from '../support/log-sink.js';
import { sinkLogger, tinyApp } from './helpers.js';

describe('problem+json', () => {
  it('answers unknown routes with a 404 problem+json body and no echo of the path', async () => {
    const res = await request(tinyApp([])).get('/nowhere/<script>');
    expect(res.status).toBe(404);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toEqual({
      type: 'about:blank',
      title: 'Not Found',
      status: 404,
      detail: 'Not Found',
      code: 'ERR_HTTP_NOT_FOUND',
    });
    expect(res.text).not.toContain('script');
  });

  it('serialises a prepared body once and sends it with Content-Length and extra headers', async () => {
    const prepared = problemBody({
      status: 503,
      code: 'ERR_HTTP_UNAVAILABLE',
      detail: 'Starting — please wait',
      headers: { 'Retry-After': '5' },
    });
    expect(prepared.contentLength).toBe(String(Buffer.byteLength(prepared.body)));
    const app = express();
    app.get('/p', (_req, res) => sendProblem(res, prepared));
    app.get('/i', (_req, res) =>
      sendProblem(res, { status: 418, code: 'ERR_HTTP_CLIENT_ERROR', title: 'Teapot', detail: 'no' }),
    );
    const res = await request(app).get('/p');
    expect(res.status).toBe(503);
    expect(res.headers['retry-after']).toBe('5');
    expect(res.headers['content-length']).toBe(prepared.contentLength);
    expect(res.body).toMatchObject({
      title: 'Service Unavailable',
      detail: 'Starting — please wait',
      status: 503,
    });
    const inline = await request(app).get('/i');
    expect(inline.status).toBe(418);
    expect(inline.body).toEqual({
      type: 'about:blank',
      title: 'Teapot',
      status: 418,
      detail: 'no',
      code: 'ERR_HTTP_CLIENT_ERROR',
    });
  });
});

describe('error handler', () => {
  it('answers 500 without leaking the message or stack and logs the error in full with the request id', async () => {
    const sink = createLogSink();
    const app = express();
    app.use(createRequestId());
    app.get('/secret', () => {
      throw new Error('db password is hunter2-SECRET');
    });
    app.use(createErrorHandler(sinkLogger(sink)));
    const res = await request(app).get('/secret').set('X-Request-ID', 'req-500');
    expect(res.status).toBe(500);
    expect(res.body).toEqual({
      type: 'about:blank',
      title: 'Internal Server Error',
      status: 500,
      detail: 'Internal Server Error',
      code: 'ERR_HTTP_INTERNAL',
    });
    expect(res.text).not.toContain('hunter2');
    expect(res.text).not.toContain('at ');
    const line = sink.lines().find((l) => l.msg === 'unhandled error');
    expect(line).toMatchObject({ level: 50, reqId: 'req-500', method: 'GET', url: '/secret' });
    expect(JSON.stringify(line)).toContain('hunter2-SECRET');
    expect((line?.err as { stack?: string } | undefined)?.stack).toContain('problem.test');
  });

  it('answers a malformed JSON body with 400 ERR_HTTP_BAD_REQUEST', async () => {
    const res = await request(tinyApp([]))
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send('{"a": ');
    expect(res.status).toBe(400);
    expect(res.headers['content-type']).toBe('application/problem+json');
    expect(res.body).toMatchObject({
      code: 'ERR_HTTP_BAD_REQUEST',
      detail: 'Request body is not valid JSON.',
    });
    expect(res.text).not.toContain('Unexpected');
  });

  it('answers a body over the limit with 413 ERR_HTTP_PAYLOAD_TOO_LARGE', async () => {
    const res = await request(tinyApp([]))
      .post('/echo')
      .set('Content-Type', 'application/json')
      .send(JSON.stringify({ a: 'x'.repeat(2000) }));
    expect(res.status).toBe(413);
    expect(res.body).toMatchObject({ status: 413, code: 'ERR_HTTP_PAYLOAD_TOO_LARGE' });
  });

  it('accepts a body under the default 1mb limit of jsonBodyParser', async () => {
    const app = express();
    app.use(jsonBodyParser());
    app.post('/echo', (req, res) => res.json({ length: (req.body as { a: string }).a.length }));
    const res = await request(app)
      .post('/echo')
      .send({ a: 'x'.repeat(500_000) });
    expect(res.body).toEqual({ length: 500_000 });
  });

  it('answers an unsupported charset with 415', async () => {
    const res = await request(tinyApp([]))
      .post('/echo')
      .set('Content-Type', 'application/json; charset=klingon')
      .send('{}');
    expect(res.status).toBe(415);
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_UNSUPPORTED_MEDIA_TYPE' });
  });

  it('answers HttpError and AuthError with their status, code, message and headers', async () => {
    const app = express();
    app.get('/http', () => {
      throw new HttpError('ERR_HTTP_UNAVAILABLE', 503, 'Service is starting.');
    });
    app.get('/auth', () => {
      const err = new AuthError('ERR_AUTH_INACTIVE_USER', 403, 'Inactive user');
      throw Object.assign(err, { headers: { 'WWW-Authenticate': 'Bearer error="insufficient_scope"' } });
    });
    app.use(createErrorHandler(sinkLogger(createLogSink())));
    const http = await request(app).get('/http');
    expect(http.status).toBe(503);
    expect(http.body).toMatchObject({
      code: 'ERR_HTTP_UNAVAILABLE',
      detail: 'Service is starting.',
      title: 'Service Unavailable',
    });
    const auth = await request(app).get('/auth');
    expect(auth.status).toBe(403);
    expect(auth.headers['www-authenticate']).toBe('Bearer error="insufficient_scope"');
    expect(auth.body).toMatchObject({ code: 'ERR_AUTH_INACTIVE_USER', detail: 'Inactive user' });
  });

  it('keeps the status of other http-errors 4xx with ERR_HTTP_CLIENT_ERROR', async () => {
    const app = express();
    app.get('/forbidden', () => {
      throw Object.assign(new Error('Forbidden here'), { status: 403, expose: true });
    });
    app.get('/hidden', () => {
      throw Object.assign(new Error('internal detail'), { status: 403, expose: false });
    });
    app.use(createErrorHandler(sinkLogger(createLogSink())));
    const res = await request(app).get('/forbidden');
    expect(res.status).toBe(403);
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_CLIENT_ERROR', detail: 'Forbidden here' });
    // `expose: false` hides the message, not the status (http-errors semantics).
    const hidden = await request(app).get('/hidden');
    expect(hidden.status).toBe(403);
    expect(hidden.body).toMatchObject({ code: 'ERR_HTTP_CLIENT_ERROR', detail: 'Forbidden' });
    expect(hidden.text).not.toContain('internal detail');
  });

  it('destroys the connection when the error comes after the headers were sent', async () => {
    const app = express();
    app.get('/half', (_req, res, next) => {
      res.writeHead(200, { 'Content-Type': 'text/plain' });
      res.write('partial');
      next(new Error('late failure'));
    });
    app.use(createErrorHandler(sinkLogger(createLogSink())));
    const server = createServer(app).listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    try {
      const { port } = server.address() as AddressInfo;
      const outcome = await fetch(`http://127.0.0.1:${port}/half`)
        .then((r) => r.text())
        .then(
          () => 'complete',
          () => 'aborted',
        );
      expect(outcome).toBe('aborted');
    } finally {
      server.close();
    }
  });
});
