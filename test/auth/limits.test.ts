import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { DEFAULT_AUTH_TIMEOUTS, resolveAuthTimeouts } from '../../src/auth/build-auth-deps.js';
import { type AuthDeps, buildAuthDeps, JWKS_MAX_BYTES } from '../../src/auth/index.js';
import {
  generateKeys,
  type JwksServer,
  mintToken,
  type RevocationServer,
  startJwksServer,
  startRevocationServer,
  type TestKeys,
  testSettings,
} from '../../src/testing/index.js';
import { authGet, bearer, guardedApp, PRIVATE_API_SECRET, recordingObserver } from './helpers.js';

let k1: TestKeys;
let auth: AuthDeps | undefined;
let jwks: JwksServer | undefined;
let issuer: RevocationServer | undefined;
let raw: Server | undefined;

beforeAll(async () => {
  k1 = await generateKeys('ES256', { kid: 'k1' });
});
afterEach(async () => {
  vi.useRealTimers();
  await auth?.close();
  await jwks?.close();
  await issuer?.close();
  if (raw !== undefined) {
    raw.closeAllConnections();
    await new Promise<void>((resolve) => raw!.close(() => resolve()));
  }
  auth = undefined;
  jwks = undefined;
  issuer = undefined;
  raw = undefined;
});

/** Yields to real I/O (setImmediate is not faked) until `condition` holds. */
async function untilIo(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 2_000 && !condition(); i++) await new Promise((r) => setImmediate(r));
  if (!condition()) throw new Error('condition not met');
}

describe('default timeouts', () => {
  it('are the contract values: JWKS 5 s, revocation connect 2 s and total 3 s; each override stands alone', () => {
    expect(resolveAuthTimeouts(undefined)).toEqual({
      jwksMs: 5000,
      revocationConnectMs: 2000,
      revocationTotalMs: 3000,
    });
    expect(DEFAULT_AUTH_TIMEOUTS).toEqual(resolveAuthTimeouts({}));
    expect(resolveAuthTimeouts({ revocationTotalMs: 10 })).toEqual({
      jwksMs: 5000,
      revocationConnectMs: 2000,
      revocationTotalMs: 10,
    });
  });

  it('gives up on a hanging JWKS after exactly the default 5 s', async () => {
    jwks = await startJwksServer(k1);
    jwks.setBehaviour('hang');
    const observer = recordingObserver();
    auth = buildAuthDeps(testSettings({ ACCESS_TOKEN_ALGORITHM: 'ES256', JWKS_URI: jwks.url }), {
      observer,
    });
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let settled = false;
    void auth.start().then(() => {
      settled = true;
    });
    await untilIo(() => jwks!.requestCount === 1);
    await vi.advanceTimersByTimeAsync(4_999);
    expect(settled).toBe(false);
    await vi.advanceTimersByTimeAsync(1);
    await untilIo(() => settled);
    expect(observer.refreshes).toEqual(['timeout']);
  });

  it('gives up on a hanging revocation check after exactly the default 3 s', async () => {
    issuer = await startRevocationServer('hang');
    const settings = testSettings({
      TOKEN_MODE: 'stateful',
      INTROSPECTION_URL: issuer.url,
      PRIVATE_API_SECRET,
    });
    const keys = await generateKeys('HS256', { secret: settings.ACCESS_SECRET_KEY! });
    const observer = recordingObserver();
    auth = buildAuthDeps(settings, { observer });
    const token = mintToken(keys);
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    let status: number | undefined;
    void request(guardedApp(auth))
      .get('/user')
      .set(...bearer(token))
      .then((res) => {
        status = res.status;
      });
    await untilIo(() => issuer!.requestCount === 1);
    await vi.advanceTimersByTimeAsync(2_999);
    expect(observer.revocations).toEqual([]);
    await vi.advanceTimersByTimeAsync(1);
    await untilIo(() => status !== undefined);
    expect(status).toBe(503);
    expect(observer.revocations).toEqual(['unavailable']);
  });
});

describe('JWKS body cap (1 MiB)', () => {
  /** A JWKS document of exactly `bytes` bytes (padded with spaces, which JSON ignores). */
  function documentOf(bytes: number): string {
    const doc = JSON.stringify({ keys: [k1.publicJwk] });
    return doc.slice(0, -1) + ' '.repeat(bytes - doc.length) + '}';
  }

  async function serve(send: (res: import('node:http').ServerResponse) => void): Promise<string> {
    raw = createServer((req, res) => {
      req.resume();
      send(res);
    });
    await new Promise<void>((resolve) => raw!.listen(0, '127.0.0.1', resolve));
    return `http://127.0.0.1:${(raw.address() as AddressInfo).port}/jwks.json`;
  }

  async function refreshWith(url: string) {
    const observer = recordingObserver();
    auth = buildAuthDeps(testSettings({ ACCESS_TOKEN_ALGORITHM: 'ES256', JWKS_URI: url }), {
      observer,
      timeouts: { jwksMs: 2_000 },
    });
    await auth.start();
    return observer.refreshes;
  }

  for (const chunked of [false, true]) {
    const how = chunked ? 'chunked' : 'with Content-Length';
    it(`accepts a body of exactly 1 MiB and refuses 1 MiB + 1 byte (${how})`, async () => {
      for (const [bytes, result] of [
        [JWKS_MAX_BYTES, 'success'],
        [JWKS_MAX_BYTES + 1, 'too_large'],
      ] as const) {
        const body = documentOf(bytes);
        expect(Buffer.byteLength(body)).toBe(bytes);
        const url = await serve((res) => {
          res.writeHead(200, chunked ? {} : { 'content-length': String(bytes) });
          if (chunked) {
            // Several writes so no single chunk tells the size.
            for (let i = 0; i < body.length; i += 100_000) res.write(body.slice(i, i + 100_000));
            res.end();
          } else res.end(body);
        });
        expect(await refreshWith(url), `${bytes} bytes`).toEqual([result]);
        if (result === 'success') {
          const res = await authGet(guardedApp(auth!), '/user', mintToken(k1));
          expect(res.status).toBe(200);
        }
        await auth!.close();
        raw!.closeAllConnections();
        await new Promise<void>((resolve) => raw!.close(() => resolve()));
        raw = undefined;
      }
    });
  }

  it('refuses a declared Content-Length over the cap without reading the body', async () => {
    // Declares 1 MiB + 1 but sends 10 bytes and holds the connection: reading would wait for the timeout.
    const url = await serve((res) => {
      res.writeHead(200, { 'content-length': String(JWKS_MAX_BYTES + 1) });
      res.write('{"keys":[]');
    });
    const started = Date.now();
    expect(await refreshWith(url)).toEqual(['too_large']);
    expect(Date.now() - started).toBeLessThan(1_000); // the 2 s timeout was not waited for
  });
});
