import { randomUUID } from 'node:crypto';
import express from 'express';
import { buildAuthDeps, createApp } from 'express-m8';
import {
  generateKeys,
  mintToken,
  startRevocationServer,
  TEST_ACCESS_SECRET_KEY,
  testSettings,
} from 'express-m8/testing';
import request from 'supertest';
import { afterAll, describe, expect, it } from 'vitest';
import { createLogSink } from '../support/log-sink.js';
import { bearer, PRIVATE_API_SECRET } from './helpers.js';

const keys = await generateKeys('HS256', { secret: TEST_ACCESS_SECRET_KEY });
const issuer = await startRevocationServer();
afterAll(() => issuer.close());

/** An app whose health detail is shown to superusers, as docs/health.md shows. */
async function healthApp(stateful: boolean) {
  const settings = testSettings(
    stateful ? { TOKEN_MODE: 'stateful', INTROSPECTION_URL: issuer.url, PRIVATE_API_SECRET } : {},
  );
  const sink = createLogSink({ level: 'debug' });
  const auth = buildAuthDeps(settings, { logger: sink.logger });
  const app = createApp(settings, express.Router(), {
    lifecycle: { auth },
    health: { detailAuthorizer: async (req) => (await auth.verify(req))?.isSuperuser === true },
  });
  await app.start();
  return { app, auth, sink };
}

const superuser = () => mintToken(keys, { role: 'superadmin' });

describe('auth.verify(req) in a health detailAuthorizer', () => {
  it('shows the detail to a superuser and the public answer to everyone else, never refusing', async () => {
    const { app, sink } = await healthApp(false);
    try {
      const detail = await request(app)
        .get('/api/health/')
        .set(...bearer(superuser()))
        .expect(200);
      expect(detail.body).toHaveProperty('checks');
      for (const token of [
        undefined,
        mintToken(keys, { role: 'admin' }),
        mintToken(keys, { role: 'superadmin', is_active: false }),
        mintToken(keys, { role: 'superadmin' }, { expiresInSeconds: -60 }),
        'not.a.jwt',
      ]) {
        const req = request(app).get('/api/health/');
        const res = await (token === undefined ? req : req.set(...bearer(token))).expect(200);
        expect(res.body).toEqual({ status: 'ok' });
        expect(res.headers['www-authenticate']).toBeUndefined();
      }
      const levels = sink
        .lines()
        .filter((l) => l.event === 'auth_verify_refused')
        .map((l) => l.level);
      expect(levels.length).toBeGreaterThanOrEqual(3);
      expect(new Set(levels)).toEqual(new Set([20]));
      expect(sink.lines().some((l) => l.event === 'auth_failure')).toBe(false);
    } finally {
      await app.stop();
    }
  });

  it('asks the issuer in stateful mode: a revoked superuser token gets the public answer', async () => {
    const { app } = await healthApp(true);
    try {
      const jti = randomUUID();
      const token = mintToken(keys, { role: 'superadmin', jti });
      const before = issuer.requestCount;
      expect(
        (
          await request(app)
            .get('/api/health/')
            .set(...bearer(token))
            .expect(200)
        ).body,
      ).toHaveProperty('checks');
      expect(issuer.requestCount).toBe(before + 1);
      issuer.revoke(jti);
      const revoked = await request(app)
        .get('/api/health/')
        .set(...bearer(token))
        .expect(200);
      expect(revoked.body).toEqual({ status: 'ok' });
    } finally {
      await app.stop();
    }
  });

  it('resolves null, never rejects, when the issuer is unreachable', async () => {
    const { app, auth } = await healthApp(true);
    try {
      issuer.setPolicy({ status: 500 });
      const res = await request(app)
        .get('/api/health/')
        .set(...bearer(superuser()))
        .expect(200);
      expect(res.body).toEqual({ status: 'ok' });
      const fake = { headers: {}, rawHeaders: [] } as unknown as Parameters<typeof auth.verify>[0];
      await expect(auth.verify(fake)).resolves.toBeNull();
    } finally {
      issuer.setPolicy(undefined);
      await app.stop();
    }
  });
});
