import { testSettings } from 'express-m8/testing';
import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createCors } from '../../src/security/index.js';
import { tinyApp } from '../http/helpers.js';

const APP = 'https://app.example.com';
const settings = testSettings({
  FRONTEND_HOST: 'https://app.example.com/',
  BACKEND_CORS_ORIGINS: ['https://admin.example.com/', 'http://localhost:5173'],
});
const app = tinyApp([createCors(settings)]);

describe('CORS', () => {
  it('reflects an allowed origin with credentials and Vary: Origin', async () => {
    const res = await request(app).get('/ok').set('Origin', APP);
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers.vary).toBe('Origin');
  });

  it('matches an origin configured with a trailing slash', async () => {
    const res = await request(app).get('/ok').set('Origin', 'https://admin.example.com');
    expect(res.headers['access-control-allow-origin']).toBe('https://admin.example.com');
  });

  it('does not accept a request origin with a trailing slash (origins are exact)', async () => {
    const res = await request(app).get('/ok').set('Origin', `${APP}/`);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
  });

  it('gives a disallowed origin no Access-Control-Allow-* header but still Vary: Origin', async () => {
    const res = await request(app).get('/ok').set('Origin', 'https://evil.example.com');
    expect(res.status).toBe(200);
    expect(res.headers['access-control-allow-origin']).toBeUndefined();
    expect(res.headers['access-control-allow-credentials']).toBeUndefined();
    expect(res.headers.vary).toBe('Origin');
  });

  it('sends Vary: Origin even without an Origin header, on 404s too', async () => {
    expect((await request(app).get('/ok')).headers.vary).toBe('Origin');
    expect((await request(app).get('/missing')).headers.vary).toBe('Origin');
  });

  it('answers a preflight from an allowed origin with 204 and the fixed methods, headers and max-age', async () => {
    const res = await request(app)
      .options('/ok')
      .set('Origin', APP)
      .set('Access-Control-Request-Method', 'PATCH')
      .set('Access-Control-Request-Headers', 'authorization,content-type');
    expect(res.status).toBe(204);
    expect(res.text).toBe('');
    expect(res.headers['access-control-allow-origin']).toBe(APP);
    expect(res.headers['access-control-allow-credentials']).toBe('true');
    expect(res.headers['access-control-allow-methods']).toBe('GET,POST,PUT,PATCH,DELETE,OPTIONS');
    expect(res.headers['access-control-allow-headers']).toBe(
      'Authorization,Content-Type,X-Requested-With,X-API-Key,X-Request-ID',
    );
    expect(res.headers['access-control-max-age']).toBe('3600');
    expect(res.headers.vary).toBe('Origin');
  });

  it('answers a preflight from a disallowed origin with 204 and no Access-Control-Allow-* header', async () => {
    const res = await request(app)
      .options('/ok')
      .set('Origin', 'https://evil.example.com')
      .set('Access-Control-Request-Method', 'DELETE');
    expect(res.status).toBe(204);
    expect(Object.keys(res.headers).filter((h) => h.startsWith('access-control-'))).toEqual([]);
  });

  it('leaves an OPTIONS without Origin to the routes', async () => {
    const res = await request(app).options('/ok');
    expect(res.status).toBe(404);
    expect(res.body).toMatchObject({ code: 'ERR_HTTP_NOT_FOUND' });
  });

  it('adds Origin to a Vary header set earlier instead of replacing it', async () => {
    const withVary = tinyApp([
      (_req, res, next) => {
        res.setHeader('Vary', 'Accept-Encoding');
        next();
      },
      createCors(settings),
    ]);
    expect((await request(withVary).get('/ok')).headers.vary).toBe('Accept-Encoding, Origin');
  });
});
