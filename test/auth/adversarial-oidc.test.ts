import { createHmac, generateKeyPairSync } from 'node:crypto';
import express from 'express';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthDeps, buildAuthDeps } from '../../src/auth/index.js';
import type { Settings } from '../../src/settings/types.js';
import {
  generateKeys,
  type JwksServer,
  keysFromPrivateKey,
  mintToken,
  startJwksServer,
  type TestKeys,
  testSettings,
} from '../../src/testing/index.js';
import { createLogSink, type LogSink } from '../support/log-sink.js';
import { authGet } from './helpers.js';

/**
 * The attacks of adversarial.test.ts (fa-auth-m8), run against the oidc profile: one issuer, several issuers
 * each with its own key set, and several issuers found by discovery with an algorithm list.
 */
const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');

interface Setup {
  readonly name: string;
  readonly build: () => Promise<{
    settings: Settings;
    issuers: string[];
    keys: TestKeys[];
    servers: JwksServer[];
  }>;
}

const SETUPS: readonly Setup[] = [
  {
    name: 'oidc, one issuer',
    build: async () => {
      const keys = [await generateKeys('RS256', { kid: 'k1' })];
      const server = await startJwksServer(keys);
      const issuers = ['https://one.example.com'];
      return {
        settings: settingsFor({ JWKS_URI: server.url, TOKEN_ISSUER: issuers.join(',') }),
        issuers,
        keys,
        servers: [server],
      };
    },
  },
  {
    name: 'oidc, two issuers with their own key sets',
    build: async () => {
      const keys = [await generateKeys('RS256', { kid: 'k1' }), await generateKeys('RS256', { kid: 'k2' })];
      const servers = await Promise.all(keys.map((k) => startJwksServer(k)));
      const issuers = ['https://a.example.com', 'https://b.example.com/v2.0'];
      const settings = settingsFor({
        JWKS_URI: servers.map((s) => s.url).join(','),
        TOKEN_ISSUER: issuers.join(','),
      });
      return { settings, issuers, keys, servers };
    },
  },
  {
    name: 'oidc, two issuers by discovery, RS256 and ES256',
    build: async () => {
      const keys = [await generateKeys('RS256', { kid: 'k1' }), await generateKeys('ES256', { kid: 'k2' })];
      const servers = await Promise.all(
        keys.map((k, i) => startJwksServer(k, { issuerPath: `/realms/r${i}` })),
      );
      const issuers = servers.map((s) => s.issuer);
      const settings = settingsFor({
        OIDC_DISCOVERY: true,
        TOKEN_ISSUER: issuers.join(','),
        ACCESS_TOKEN_ALGORITHM: 'RS256,ES256',
      });
      return { settings, issuers, keys, servers };
    },
  },
];

function settingsFor(over: Record<string, string | boolean>): Settings {
  return testSettings({
    TOKEN_PROFILE: 'oidc',
    ACCESS_TOKEN_ALGORITHM: 'RS256',
    ACCESS_SECRET_KEY: undefined,
    ...over,
  });
}

describe.each(SETUPS)('$name', (setup) => {
  let auth: AuthDeps;
  let app: express.Express;
  let issuers: string[];
  let keys: TestKeys[];
  let servers: JwksServer[];
  let sink: LogSink;
  beforeAll(async () => {
    const built = await setup.build();
    ({ issuers, keys, servers } = built);
    sink = createLogSink({ level: 'debug' });
    auth = buildAuthDeps(built.settings, { logger: sink.logger });
    await auth.start();
    app = express();
    app.get('/user', auth.requireUser, (req, res) => void res.json({ id: req.user?.id }));
  });
  afterAll(async () => {
    await auth.close();
    await Promise.all(servers.map((s) => s.close()));
  });

  const genuine = (i = 0, claims: Record<string, unknown> = {}, header?: Record<string, unknown>) =>
    mintToken(
      keys[i]!,
      { sub: `user-${i}`, ...claims },
      { profile: 'google', issuer: issuers[i]!, ...(header ? { header } : {}) },
    );
  const status = async (token: string) => (await authGet(app, '/user', token)).status;
  async function refusal(token: string): Promise<string> {
    const before = sink.lines().length;
    const code = await status(token);
    const line = sink
      .lines()
      .slice(before)
      .find((l) => l.event === 'auth_failure');
    return line === undefined ? String(code) : `${code} ${String(line.reason)}`;
  }
  const fetches = () => servers.reduce((n, s) => n + s.requestCount, 0);

  it('accepts each issuer its own genuine token', async () => {
    for (let i = 0; i < keys.length; i++) expect(await status(genuine(i))).toBe(200);
  });

  it('refuses alg none in every casing', async () => {
    const payload = genuine().split('.')[1]!;
    for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
      expect(await refusal(`${b64({ alg, typ: 'JWT' })}.${payload}.AAAA`), alg).toBe('401 bad_algorithm');
    }
  });

  it('refuses HS256 signed with the public key (PEM, DER, JWK) as the secret', async () => {
    const [, payload] = genuine().split('.');
    const pub = keys[0]!.publicKey;
    for (const secret of [
      keys[0]!.publicPem,
      pub.export({ format: 'der', type: 'spki' }),
      JSON.stringify(keys[0]!.publicJwk),
    ]) {
      const input = `${b64({ alg: 'HS256', typ: 'JWT', kid: keys[0]!.kid })}.${payload}`;
      const token = `${input}.${createHmac('sha256', secret).update(input).digest('base64url')}`;
      expect(await refusal(token)).toBe('401 bad_algorithm');
    }
  });

  it('never honours or fetches embedded keys (jwk, jku, x5u, x5c)', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const attacker = keysFromPrivateKey('RS256', privateKey, keys[0]!.kid);
    const jku = await startJwksServer(attacker);
    try {
      const jwk = publicKey.export({ format: 'jwk' });
      for (const header of [
        { jwk },
        { jku: jku.url },
        { x5u: jku.url },
        { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] },
      ]) {
        const forged = mintToken(
          attacker,
          { sub: 'evil' },
          { profile: 'google', issuer: issuers[0]!, header },
        );
        expect(await status(forged)).toBe(401);
      }
      expect(await status(genuine(0, {}, { jku: jku.url, x5u: jku.url }))).toBe(200);
      expect(jku.requestCount).toBe(0);
    } finally {
      await jku.close();
    }
  });

  it('refuses any crit header and a token over 8 KiB', async () => {
    for (const header of [{ crit: ['x'], x: 1 }, { crit: [] }, { crit: ['b64'], b64: false }]) {
      expect(await refusal(genuine(0, {}, header))).toBe('401 bad_header');
    }
    expect(await refusal(genuine(0, { pad: 'x'.repeat(9000) }))).toBe('401 token_too_large');
  });

  it("refuses a token signed by one issuer's key naming another issuer (or no issuer)", async () => {
    const other = issuers.length > 1 ? issuers[1]! : 'https://other.example.com';
    const crossed = mintToken(keys[0]!, { sub: 'u' }, { profile: 'google', issuer: other });
    expect(await status(crossed)).toBe(401);
    const before = fetches();
    expect(
      await refusal(
        mintToken(keys[0]!, { sub: 'u' }, { profile: 'google', issuer: 'https://evil.example.com' }),
      ),
    ).toBe('401 bad_issuer');
    expect(await refusal(mintToken(keys[0]!, { sub: 'u' }, { profile: 'google', issuer: null }))).toBe(
      '401 missing_claim',
    );
    expect(fetches()).toBe(before);
  });

  it('refuses hostile kids with at most one refetch', async () => {
    const before = fetches();
    for (const kid of ['../../etc/passwd', '__proto__', 'constructor', 'toString']) {
      expect(await status(genuine(0, {}, { kid })), kid).toBe(401);
    }
    // Discovery set-ups spend an attempt on the document plus the key set.
    expect(fetches() - before).toBeLessThanOrEqual(2);
    const after = fetches();
    expect(await refusal(genuine(0, {}, { kid: 'k'.repeat(1024) }))).toBe('401 bad_header');
    expect(await refusal(genuine(0, {}, { kid: 42 }))).toBe('401 bad_header');
    expect(fetches()).toBe(after);
  });

  it('never answers a 5xx to any Authorization value', async () => {
    const token = genuine();
    const segment = fc.stringMatching(/^[A-Za-z0-9_=+/.-]{0,40}$/);
    const headerValue = fc.oneof(
      fc.string({ maxLength: 120 }),
      fc
        .tuple(fc.constantFrom('Bearer ', 'bearer  ', 'Basic '), segment, segment, segment)
        .map(([s, a, b, c]) => `${s}${a}.${b}.${c}`),
      fc
        .tuple(fc.nat(token.length), fc.string({ maxLength: 4 }))
        .map(([i, junk]) => `Bearer ${token.slice(0, i)}${junk}${token.slice(i)}`),
      fc.jsonValue().map((v) => `Bearer ${b64(v as object)}.${token.split('.')[1]}.${token.split('.')[2]}`),
      fc.jsonValue().map((v) => `Bearer ${token.split('.')[0]}.${b64(v as object)}.${token.split('.')[2]}`),
    );
    await fc.assert(
      fc.asyncProperty(headerValue, async (value) => {
        const cleaned = value.replace(/[\r\n\0]/g, '').trim();
        const res = await request(app).get('/user').set('Authorization', cleaned);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 150 },
    );
  });
});
