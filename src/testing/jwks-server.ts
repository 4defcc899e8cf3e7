import type { ServerResponse } from 'node:http';
import type { TestKeys } from './keys.js';
import { listenLoopback } from './loopback.js';

/**
 * How the fake JWKS endpoint answers: `ok` (the key set), `down` (503), `garbage` (200, not JSON), `huge`
 * (200, a 2 MiB chunked body), `redirect` (302 to a path that would serve the keys), `hang` (never
 * answers), `{ delayMs }` (the key set, late), or `{ status, body }` (anything).
 */
export type JwksBehaviour =
  | 'ok'
  | 'down'
  | 'garbage'
  | 'huge'
  | 'redirect'
  | 'hang'
  | { readonly delayMs: number }
  | { readonly status: number; readonly body?: string };

/** A JWKS endpoint on loopback, see {@link startJwksServer}. */
export interface JwksServer {
  /** The `JWKS_URI` to configure. */
  readonly url: string;
  /** How many requests arrived so far (redirect targets included). */
  readonly requestCount: number;
  /** Serve these keys' public JWKs from now on (rotation). */
  setKeys(keys: TestKeys | readonly TestKeys[]): void;
  /** Serve this exact document (e.g. with broken entries) from now on. */
  setJwks(document: unknown): void;
  /** Change how requests are answered. */
  setBehaviour(behaviour: JwksBehaviour): void;
  /** Stops the server and drops every connection. Idempotent. */
  close(): Promise<void>;
}

/**
 * Starts a real JWKS endpoint on `127.0.0.1` serving the public JWKs of `keys`. It can be made slow, down,
 * garbage, huge or redirecting, and counts its requests, so tests can assert cooldowns and caching.
 *
 * @example
 * const keys = await generateKeys('RS256');
 * const jwks = await startJwksServer(keys);
 * const settings = testSettings({ ACCESS_TOKEN_ALGORITHM: 'RS256', JWKS_URI: jwks.url, ACCESS_SECRET_KEY: undefined });
 * // … requests …
 * expect(jwks.requestCount).toBe(1);
 * await jwks.close();
 */
export async function startJwksServer(keys: TestKeys | readonly TestKeys[] = []): Promise<JwksServer> {
  let body = documentFor(keys);
  let behaviour: JwksBehaviour = 'ok';
  let count = 0;
  const timers = new Set<NodeJS.Timeout>();

  const sendKeys = (res: ServerResponse): void => {
    res.writeHead(200, {
      'content-type': 'application/jwk-set+json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };

  const loopback = await listenLoopback(
    (req, res) => {
      count++;
      req.resume();
      if (req.url === '/redirected') return sendKeys(res);
      const b = behaviour;
      if (b === 'ok') return sendKeys(res);
      if (b === 'down') return void res.writeHead(503, { 'content-type': 'text/plain' }).end('down');
      if (b === 'garbage')
        return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"keys": [ nope');
      if (b === 'redirect') return void res.writeHead(302, { location: '/redirected' }).end();
      if (b === 'hang') return;
      if (b === 'huge') {
        res.writeHead(200, { 'content-type': 'application/json' });
        const chunk = Buffer.alloc(64 * 1024, 0x20);
        for (let i = 0; i < 32; i++) res.write(chunk);
        return void res.end('{"keys":[]}');
      }
      if ('delayMs' in b) {
        const timer = setTimeout(() => {
          timers.delete(timer);
          sendKeys(res);
        }, b.delayMs);
        timers.add(timer);
        return;
      }
      res.writeHead(b.status, { 'content-type': 'application/json' }).end(b.body ?? '');
    },
    () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  );

  return {
    url: `${loopback.origin}/.well-known/jwks.json`,
    get requestCount() {
      return count;
    },
    setKeys(next) {
      body = documentFor(next);
    },
    setJwks(document) {
      body = JSON.stringify(document);
    },
    setBehaviour(next) {
      behaviour = next;
    },
    close: () => loopback.close(),
  };
}

function documentFor(keys: TestKeys | readonly TestKeys[]): string {
  const list = Array.isArray(keys) ? (keys as readonly TestKeys[]) : [keys as TestKeys];
  return JSON.stringify({ keys: list.map((k) => k.publicJwk) });
}
