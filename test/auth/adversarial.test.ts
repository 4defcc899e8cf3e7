import { createHmac, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import request from 'supertest';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type AuthDeps, buildAuthDeps } from '../../src/auth/index.js';
import {
  generateKeys,
  type JwksServer,
  keysFromPrivateKey,
  mintToken,
  startJwksServer,
  testSettings,
} from '../../src/testing/index.js';
import { createLogSink, type LogSink } from '../support/log-sink.js';
import { authGet, guardedApp, recordingObserver } from './helpers.js';

const RSA_PUBLIC_FILE = 'test/fixtures/keys/rsa-public.pem';
const rsaPem = readFileSync(RSA_PUBLIC_FILE, 'utf8');
const rsa = keysFromPrivateKey('RS256', readFileSync('test/fixtures/keys/rsa-private.pem', 'utf8'), 'rsa-1');
const hsSettings = testSettings();
const hs = await generateKeys('HS256', { secret: hsSettings.ACCESS_SECRET_KEY! });
const es = await generateKeys('ES256', { kid: 'es-1' });

const b64 = (v: unknown) => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v)).toString('base64url');
const now = () => Math.floor(Date.now() / 1000);

/** Claims fa-auth-m8 would mint, taken from a real minted token so only header/signature differ. */
function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString()) as Record<string, unknown>;
}

function hmacToken(
  alg: 'HS256' | 'HS384' | 'HS512',
  secret: string | Buffer,
  header: Record<string, unknown> = {},
) {
  const input = `${b64({ alg, typ: 'JWT', ...header })}.${b64(claimsOf(mintToken(hs)))}`;
  const hash = `sha${alg.slice(2)}`;
  return `${input}.${createHmac(hash, secret).update(input).digest('base64url')}`;
}

const deps: AuthDeps[] = [];
const sinks = new Map<ReturnType<typeof guardedApp>, LogSink>();
const observers: ReturnType<typeof recordingObserver>[] = [];
let jwks: JwksServer;
let rsApp: ReturnType<typeof guardedApp>;
let hsApp: ReturnType<typeof guardedApp>;
let esApp: ReturnType<typeof guardedApp>;
let esObserver: ReturnType<typeof recordingObserver>;

beforeAll(async () => {
  jwks = await startJwksServer(es);
  const build = (settings: ReturnType<typeof testSettings>) => {
    const observer = recordingObserver();
    const sink = createLogSink({ level: 'debug' });
    const auth = buildAuthDeps(settings, { observer, logger: sink.logger });
    deps.push(auth);
    observers.push(observer);
    const app = guardedApp(auth);
    sinks.set(app, sink);
    return { app, observer };
  };
  rsApp = build(
    testSettings({ ACCESS_TOKEN_ALGORITHM: 'RS256', ACCESS_PUBLIC_KEY_FILE: RSA_PUBLIC_FILE }),
  ).app;
  hsApp = build(hsSettings).app;
  const esBuilt = build(testSettings({ ACCESS_TOKEN_ALGORITHM: 'ES256', JWKS_URI: jwks.url }));
  esApp = esBuilt.app;
  esObserver = esBuilt.observer;
  await Promise.all(deps.map((d) => d.start()));
});
afterAll(async () => {
  await Promise.all(deps.map((d) => d.close()));
  await jwks.close();
});

const status = async (app: ReturnType<typeof guardedApp>, token: string) =>
  (await authGet(app, '/user', token)).status;

/** `"<status> <reason>"`: the status and the `reason` of the refusal's own log line (`"200"` when accepted). */
async function refusal(app: ReturnType<typeof guardedApp>, token: string): Promise<string> {
  const sink = sinks.get(app)!;
  const before = sink.lines().length;
  const code = await status(app, token);
  const line = sink
    .lines()
    .slice(before)
    .find((l) => l.event === 'auth_failure');
  return line === undefined ? String(code) : `${code} ${String(line.reason)}`;
}

describe('algorithm attacks', () => {
  it('sanity: each deployment accepts its own genuine token', async () => {
    expect(await status(rsApp, mintToken(rsa))).toBe(200);
    expect(await status(hsApp, mintToken(hs))).toBe(200);
    expect(await status(esApp, mintToken(es))).toBe(200);
  });

  it('refuses alg none in every casing, with and without a signature', async () => {
    const payload = b64(claimsOf(mintToken(hs)));
    for (const alg of ['none', 'None', 'NONE', 'nOnE', 'NoNe']) {
      for (const sig of ['', 'AAAA']) {
        const token = `${b64({ alg, typ: 'JWT' })}.${payload}.${sig}`;
        // An empty signature segment is not a compact JWS at all; with one, the alg itself is refused.
        for (const app of [rsApp, hsApp, esApp])
          expect(await refusal(app, token), `${alg}/${sig}`).toBe(
            sig === '' ? '401 malformed' : '401 bad_algorithm',
          );
      }
    }
  });

  it('refuses RS256→HS256 confusion with the public key as the HMAC secret (PEM, DER, JWK JSON)', async () => {
    const pub = createPublicKey(rsaPem);
    const secrets: (string | Buffer)[] = [
      rsaPem,
      rsaPem.trim(),
      `${rsaPem}\n`,
      pub.export({ format: 'der', type: 'spki' }),
      pub.export({ format: 'der', type: 'pkcs1' }),
      JSON.stringify(pub.export({ format: 'jwk' })),
      JSON.stringify(rsa.publicJwk),
    ];
    for (const secret of secrets)
      expect(await refusal(rsApp, hmacToken('HS256', secret, { kid: 'rsa-1' }))).toBe('401 bad_algorithm');
    const esPub = es.publicKey;
    for (const secret of [esPub.export({ format: 'pem', type: 'spki' }), JSON.stringify(es.publicJwk)]) {
      expect(await refusal(esApp, hmacToken('HS256', secret, { kid: 'es-1' }))).toBe('401 bad_algorithm');
    }
  });

  it('refuses HS384 and HS512 tokens signed with the right secret on an HS256 deployment', async () => {
    expect(await refusal(hsApp, hmacToken('HS384', hsSettings.ACCESS_SECRET_KEY!))).toBe('401 bad_algorithm');
    expect(await refusal(hsApp, hmacToken('HS512', hsSettings.ACCESS_SECRET_KEY!))).toBe('401 bad_algorithm');
    expect(await status(hsApp, hmacToken('HS256', hsSettings.ACCESS_SECRET_KEY!))).toBe(200);
  });

  it('refuses ES256 tokens on RS256 and RS256 tokens on ES256, whatever the header claims', async () => {
    const otherEs = await generateKeys('ES256', { kid: 'rsa-1' });
    expect(await refusal(rsApp, mintToken(otherEs))).toBe('401 bad_algorithm');
    expect(await refusal(esApp, mintToken({ ...rsa, kid: 'es-1' }))).toBe('401 bad_algorithm');
    // An RS256 signature under an ES256 header, and the reverse.
    const rsToken = mintToken(rsa).split('.');
    const esHeader = b64({ alg: 'ES256', typ: 'JWT', kid: 'es-1' });
    expect(await refusal(esApp, `${esHeader}.${rsToken[1]}.${rsToken[2]}`)).toBe('401 bad_signature');
    const esToken = mintToken(es).split('.');
    expect(await refusal(rsApp, `${b64({ alg: 'RS256', typ: 'JWT' })}.${esToken[1]}.${esToken[2]}`)).toBe(
      '401 bad_signature',
    );
  });

  it('refuses zero, short, long and DER-encoded ES256 signatures (CVE-2022-21449 class)', async () => {
    const [h, p] = mintToken(es).split('.');
    const input = `${h}.${p}`;
    const der = sign('sha256', Buffer.from(input), es.privateKey).toString('base64url');
    for (const sig of [
      Buffer.alloc(64).toString('base64url'),
      Buffer.alloc(63, 1).toString('base64url'),
      Buffer.alloc(65, 1).toString('base64url'),
      Buffer.alloc(1).toString('base64url'),
      der,
    ]) {
      expect(await status(esApp, `${input}.${sig}`)).toBe(401);
    }
  });

  it('refuses an RS256 token signed by another key that embeds it in jwk, jku, x5u or x5c', async () => {
    const { privateKey, publicKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    const attacker = keysFromPrivateKey('RS256', privateKey, 'rsa-1');
    const jwk = publicKey.export({ format: 'jwk' });
    const jkuServer = await startJwksServer(attacker);
    try {
      for (const header of [
        { jwk },
        { jku: jkuServer.url },
        { x5u: jkuServer.url },
        { x5c: ['MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEA'] },
      ]) {
        expect(await status(rsApp, mintToken(attacker, {}, { header }))).toBe(401);
      }
      // The same header members on a token signed by the trusted key are ignored, not fetched.
      expect(
        await status(rsApp, mintToken(rsa, {}, { header: { jku: jkuServer.url, x5u: jkuServer.url, jwk } })),
      ).toBe(200);
      expect(await status(esApp, mintToken(es, {}, { header: { jku: jkuServer.url } }))).toBe(200);
      expect(jkuServer.requestCount).toBe(0);
    } finally {
      await jkuServer.close();
    }
  });
});

describe('header and structure attacks', () => {
  it('refuses a token with an unknown crit member (and b64:false)', async () => {
    for (const header of [
      { crit: ['x-custom'], 'x-custom': 1 },
      { crit: ['exp'] },
      { crit: [] },
      { crit: ['b64'], b64: false },
    ]) {
      expect(await status(hsApp, mintToken(hs, {}, { header })), JSON.stringify(header)).toBe(401);
    }
  });

  it('refuses padded segments, trailing junk and extra segments', async () => {
    const token = mintToken(hs);
    const [h, p, s] = token.split('.');
    for (const bad of [
      `${h}=.${p}.${s}`,
      `${h}.${p}==.${s}`,
      `${h}.${p}.${s}=`,
      `${token}.`,
      `${token}.junk`,
      `${token}junk`,
      `.${token}`,
      `${h}..${s}`,
      `${h}.${p}`,
      `${h}.${p}.`,
      `${h}.${Buffer.from(JSON.stringify(claimsOf(token))).toString('base64')}.${s}`,
    ].filter((candidate) => candidate !== token)) {
      expect(await status(hsApp, bad), bad.replace(h!, 'H').replace(p!, 'P').replace(s!, 'S')).toBe(401);
    }
  });

  it('refuses hostile kids without crashing and without extra JWKS fetches', async () => {
    const before = jwks.requestCount;
    for (const kid of ['../../../../etc/passwd', '__proto__', 'constructor', 'hasOwnProperty', 'toString']) {
      expect(await status(esApp, mintToken(es, {}, { header: { kid } })), kid).toBe(401);
    }
    // Unknown kids may trigger one refetch, never more within the cooldown.
    expect(jwks.requestCount - before).toBeLessThanOrEqual(1);
    const afterUnknown = jwks.requestCount;
    expect(await status(esApp, mintToken(es, {}, { header: { kid: 'k'.repeat(1024) } }))).toBe(401);
    expect(await status(esApp, mintToken(es, {}, { header: { kid: 'k'.repeat(10 * 1024) } }))).toBe(401);
    expect(await status(esApp, mintToken(es, {}, { header: { kid: 42 } }))).toBe(401);
    expect(jwks.requestCount).toBe(afterUnknown);
    expect(esObserver.failures).toContain('bad_header');
    expect(esObserver.failures).toContain('token_too_large');
  });

  it('refuses a header or payload that is JSON but not an object', async () => {
    const [, p, s] = mintToken(hs).split('.');
    for (const header of ['[]', 'null', '"HS256"', '{"alg":"HS256"']) {
      expect(await status(hsApp, `${b64(header)}.${p}.${s}`)).toBe(401);
    }
    const forged = createHmac('sha256', hsSettings.ACCESS_SECRET_KEY!);
    const input = `${b64({ alg: 'HS256' })}.${b64('[1,2]')}`;
    expect(await status(hsApp, `${input}.${forged.update(input).digest('base64url')}`)).toBe(401);
  });
});

describe('time edges', () => {
  it('accepts exp == now inside the strict 2 s leeway and refuses exp == now - 2', async () => {
    const t = now();
    expect(await status(hsApp, mintToken(hs, { exp: t }))).toBe(200);
    expect(await status(hsApp, mintToken(hs, { exp: t - 2 }))).toBe(401);
  });

  it('refuses a future nbf and a future iat beyond the leeway', async () => {
    expect(await status(hsApp, mintToken(hs, { nbf: now() + 60 }))).toBe(401);
    expect(await status(hsApp, mintToken(hs, { iat: now() + 60 }))).toBe(401);
  });
});

describe('no Authorization value ever yields a 5xx', () => {
  const genuine = mintToken(hs);
  const segment = fc.stringMatching(/^[A-Za-z0-9_=+/.-]{0,40}$/);
  const headerValue = fc.oneof(
    fc.string({
      unit: fc.constantFrom(...' !"#$%&\'()*+,-./0123456789:;<=>?@ABCXYZabcxyz[\\]^_`{|}~'),
      maxLength: 120,
    }),
    fc
      .tuple(fc.constantFrom('Bearer ', 'bearer  ', 'BEARER\t', 'Basic ', ''), segment, segment, segment)
      .map(([scheme, a, b, c]) => `${scheme}${a}.${b}.${c}`),
    fc
      .tuple(fc.nat(genuine.length), fc.string({ maxLength: 4 }))
      .map(([i, junk]) => `Bearer ${genuine.slice(0, i)}${junk}${genuine.slice(i)}`),
    fc
      .jsonValue()
      .map((v) => `Bearer ${b64(v as object)}.${b64(claimsOf(genuine))}.${genuine.split('.')[2]}`),
  );

  it('holds for HS256, RS256 (PEM) and ES256 (JWKS) deployments', async () => {
    await fc.assert(
      fc.asyncProperty(headerValue, fc.constantFrom(0, 1, 2), async (value, which) => {
        const app = [hsApp, rsApp, esApp][which]!;
        const cleaned = value.replace(/[\r\n\0]/g, '').trim();
        const res = await request(app).get('/user').set('Authorization', cleaned);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 300 },
    );
  });
});
