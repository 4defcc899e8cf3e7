import request from 'supertest';
import { describe, expect, it } from 'vitest';
import { createRequestId } from '../../src/security/index.js';
import { tinyApp } from '../http/helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const app = tinyApp([
  createRequestId(),
  (req, res, next) => {
    if (req.path === '/id') res.json({ id: req.id });
    else next();
  },
]);

describe('request id', () => {
  it('keeps a sane caller X-Request-ID on the response and in req.id', async () => {
    const id = 'abc-DEF_1.2:3';
    const res = await request(app).get('/id').set('X-Request-ID', id);
    expect(res.headers['x-request-id']).toBe(id);
    expect(res.body).toEqual({ id });
  });

  it('accepts exactly 128 characters and replaces 129', async () => {
    const max = 'a'.repeat(128);
    expect((await request(app).get('/ok').set('X-Request-ID', max)).headers['x-request-id']).toBe(max);
    const over = (await request(app).get('/ok').set('X-Request-ID', `${max}a`)).headers['x-request-id'];
    expect(over).toMatch(UUID);
  });

  it('replaces an id with forbidden characters by a new UUID', async () => {
    for (const bad of ['has space', 'semi;colon', 'new\tline', 'ünïcode', '<script>']) {
      const res = await request(app).get('/id').set('X-Request-ID', bad);
      expect(res.headers['x-request-id'], bad).toMatch(UUID);
      expect(res.body.id).toBe(res.headers['x-request-id']);
    }
  });

  it('generates a fresh UUID per request when none is sent, on 404s too', async () => {
    const a = (await request(app).get('/ok')).headers['x-request-id'];
    const b = (await request(app).get('/missing')).headers['x-request-id'];
    expect(a).toMatch(UUID);
    expect(b).toMatch(UUID);
    expect(a).not.toBe(b);
  });
});
