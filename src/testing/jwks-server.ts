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

/** Options of {@link startJwksServer}. */
export interface JwksServerOptions {
  /**
   * Also act as an OpenID Connect issuer: serve `{issuer}/.well-known/openid-configuration` naming the key set
   * as `jwks_uri`. The issuer is the server's origin plus this path (e.g. `/realms/test`; `''` for the bare
   * origin).
   */
  readonly issuerPath?: string;
}

/** A JWKS endpoint on loopback, see {@link startJwksServer}. */
export interface JwksServer {
  /** The `JWKS_URI` to configure. */
  readonly url: string;
  /** With `issuerPath`: the `TOKEN_ISSUER` for `OIDC_DISCOVERY=true` (else the bare origin). */
  readonly issuer: string;
  /** How many requests arrived so far (redirect targets and discovery documents included). */
  readonly requestCount: number;
  /** How many of them asked for the discovery document. */
  readonly discoveryCount: number;
  /** Serve this exact discovery document from now on (e.g. naming another issuer). */
  setDiscovery(document: unknown): void;
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
 * With `{ issuerPath }` it also serves an OpenID Connect discovery document (`issuer`, `jwks_uri`), for
 * `OIDC_DISCOVERY=true`; the same behaviours (down, hang…) apply to it.
 *
 * @example
 * const keys = await generateKeys('RS256');
 * const jwks = await startJwksServer(keys);
 * const settings = testSettings({ ACCESS_TOKEN_ALGORITHM: 'RS256', JWKS_URI: jwks.url, ACCESS_SECRET_KEY: undefined });
 * // … requests …
 * expect(jwks.requestCount).toBe(1);
 * await jwks.close();
 */
export async function startJwksServer(
  keys: TestKeys | readonly TestKeys[] = [],
  options: JwksServerOptions = {},
): Promise<JwksServer> {
  let body = documentFor(keys);
  let behaviour: JwksBehaviour = 'ok';
  let count = 0;
  let discoveries = 0;
  let discovery: string | undefined;
  const discoveryPath = `${(options.issuerPath ?? '').replace(/\/+$/, '')}/.well-known/openid-configuration`;
  const timers = new Set<NodeJS.Timeout>();

  const sendKeys = (res: ServerResponse, url: string | undefined): void => {
    const isDiscovery = options.issuerPath !== undefined && url === discoveryPath;
    const text = isDiscovery ? (discovery ?? defaultDiscovery) : body;
    res.writeHead(200, {
      'content-type': isDiscovery ? 'application/json' : 'application/jwk-set+json',
      'content-length': Buffer.byteLength(text),
    });
    res.end(text);
  };

  const loopback = await listenLoopback(
    (req, res) => {
      count++;
      if (req.url === discoveryPath) discoveries++;
      req.resume();
      if (req.url === '/redirected') return sendKeys(res, req.url);
      if (behaviour === 'ok') return sendKeys(res, req.url);
      misbehave(behaviour, res, (delayMs) => {
        const timer = setTimeout(() => {
          timers.delete(timer);
          sendKeys(res, req.url);
        }, delayMs);
        timers.add(timer);
      });
    },
    () => {
      for (const timer of timers) clearTimeout(timer);
      timers.clear();
    },
  );

  const url = `${loopback.origin}/.well-known/jwks.json`;
  const issuer = `${loopback.origin}${options.issuerPath ?? ''}`;
  const defaultDiscovery = JSON.stringify({
    issuer,
    jwks_uri: url,
    id_token_signing_alg_values_supported: [
      ...new Set((Array.isArray(keys) ? keys : [keys]).map((k) => k.alg)),
    ],
  });
  return {
    url,
    issuer,
    get requestCount() {
      return count;
    },
    get discoveryCount() {
      return discoveries;
    },
    setDiscovery(document) {
      discovery = JSON.stringify(document);
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

/** Answers as a failing or slow JWKS endpoint would (`later(ms)` sends the real document after a delay). */
function misbehave(
  b: Exclude<JwksBehaviour, 'ok'>,
  res: ServerResponse,
  later: (delayMs: number) => void,
): void {
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
  if ('delayMs' in b) return void later(b.delayMs);
  res.writeHead(b.status, { 'content-type': 'application/json' }).end(b.body ?? '');
}

function documentFor(keys: TestKeys | readonly TestKeys[]): string {
  const list = Array.isArray(keys) ? (keys as readonly TestKeys[]) : [keys as TestKeys];
  return JSON.stringify({ keys: list.map((k) => k.publicJwk) });
}
