import { generateKeys, mintToken, testSettings } from 'express-m8/testing';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildMinimalApp } from './app.js';

describe('the minimal example service', () => {
  const settings = testSettings({ METRICS_ENABLED: true });
  const app = buildMinimalApp(settings);
  let userToken: string;
  let adminToken: string;

  beforeAll(async () => {
    await app.start();
    const keys = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY });
    userToken = mintToken(keys, { role: 'user', email: 'dev@example.com' });
    adminToken = mintToken(keys, { role: 'admin' });
  });
  afterAll(() => app.stop());

  it('answers the public route and health', async () => {
    await request(app).get('/hello').expect(200, { message: 'hello, anonymous caller' });
    await request(app).get('/api/health/').expect(200, { status: 'ok' });
  });

  it('refuses the protected route without a token and serves it with one', async () => {
    const refused = await request(app).get('/me').expect(401);
    expect(refused.headers['www-authenticate']).toBe('Bearer');
    const ok = await request(app).get('/me').set('Authorization', `Bearer ${userToken}`).expect(200);
    expect(ok.body).toMatchObject({ email: 'dev@example.com', role: 'user' });
  });

  it('keeps the admin route for admins', async () => {
    await request(app).delete('/admin/cache').set('Authorization', `Bearer ${userToken}`).expect(403);
    await request(app).delete('/admin/cache').set('Authorization', `Bearer ${adminToken}`).expect(204);
  });

  it('serves the API docs from installed packages', async () => {
    const page = await request(app).get('/api/docs').expect(200);
    expect(page.text).not.toMatch(/https?:\/\/(cdn|unpkg|jsdelivr)/);
    await request(app).get('/api/openapi.json').expect(200);
  });
});
