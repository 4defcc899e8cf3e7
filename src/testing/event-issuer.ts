import { randomBytes } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { signPayload } from '../auth/events/signature.js';
import { listenLoopback, readBody } from './loopback.js';

/** How a pushed frame is signed: `valid` (default), `none` (no `sig`) or `bad` (a wrong one). */
export type EventSigning = 'valid' | 'none' | 'bad';

/** Options of {@link startEventIssuer}. */
export interface EventIssuerOptions {
  /** The `EVENT_SIGNING_KEY` frames are signed with. */
  readonly signingKey: string;
  /** The expected `X-Internal-Token` (`PRIVATE_API_SECRET`). */
  readonly secret: string;
  /** The expected `X-Internal-Client` (`INTERNAL_CLIENT_ID`). */
  readonly clientId: string;
  /** `expires_in` of issued service tokens, in seconds. Default 3600. */
  readonly tokenLifetimeSeconds?: number;
}

/** One request the fake issuer received. */
export interface EventIssuerRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** A fake fa-auth-m8 with a service-token endpoint, the event stream and the v2 revocation endpoint. */
export interface EventIssuer {
  /** The `INTROSPECTION_URL` to configure (`…/private/v1/jti-status`). */
  readonly introspectionUrl: string;
  /** Every request, oldest first (stream requests included, when they arrive). */
  readonly requests: readonly EventIssuerRequest[];
  /** How many service tokens were issued. */
  readonly tokensIssued: number;
  /** How many stream connections were accepted (status 200) so far. */
  readonly streamConnections: number;
  /** How many revocation checks (`jti-status`) arrived. */
  readonly revocationChecks: number;
  /** Stream connections currently open. */
  readonly openStreams: number;
  /** Resolves once `count` stream connections in total have been accepted. */
  waitForStreams(count: number): Promise<void>;
  /**
   * Sends one frame to every open stream. `id` defaults to an increasing number; `split: 'bytes'` writes it
   * one byte per write (a slow stream).
   */
  push(
    event: string,
    payload: Record<string, unknown>,
    options?: { id?: string | null; signing?: EventSigning; split?: 'bytes' },
  ): Promise<void>;
  /** Writes raw text to every open stream (comments, `retry:`, malformed frames…). */
  sendRaw(text: string): Promise<void>;
  /** Ends every open stream (the client reconnects). */
  disconnect(): void;
  /** The next `count` stream requests answer `status` (e.g. 401 or 503) instead of streaming. */
  failStreams(status: number, count?: number): void;
  /** The next `count` service-token requests answer `status`. */
  failTokens(status: number, count?: number): void;
  /** Invalidates every issued service token: a stream request with one gets 401. */
  expireServiceTokens(): void;
  /** Marks a `jti` revoked at the revocation endpoint. */
  revoke(jti: string): void;
  /** Stops the server and every stream. Idempotent. */
  close(): Promise<void>;
}

interface IssuerState {
  readonly requests: EventIssuerRequest[];
  readonly streams: Set<ServerResponse>;
  readonly validTokens: Set<string>;
  readonly revoked: Set<string>;
  readonly waiters: { count: number; resolve: () => void }[];
  readonly failures: { stream: number[]; token: number[] };
  accepted: number;
  issued: number;
  checks: number;
  nextId: number;
}

function json(res: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}

/** The request handler of the fake issuer: service token, event stream, revocation check. */
function issuerHandler(
  state: IssuerState,
  options: EventIssuerOptions,
): (req: IncomingMessage, res: ServerResponse) => void {
  const handlers = {
    token(req: IncomingMessage, res: ServerResponse): void {
      const status = state.failures.token.shift();
      if (status !== undefined) return void json(res, status, { detail: 'failure requested by the test' });
      if (
        req.headers['x-internal-token'] !== options.secret ||
        req.headers['x-internal-client'] !== options.clientId
      ) {
        return void json(res, 401, { detail: 'bad internal credentials' });
      }
      const token = randomBytes(18).toString('base64url');
      state.validTokens.add(token);
      state.issued++;
      json(res, 200, {
        access_token: token,
        token_type: 'Bearer',
        expires_in: options.tokenLifetimeSeconds ?? 3600,
        scope: 'event-stream',
      });
    },
    stream(req: IncomingMessage, res: ServerResponse): void {
      const status = state.failures.stream.shift();
      if (status !== undefined) return void json(res, status, { detail: 'failure requested by the test' });
      const token = /^Bearer (.+)$/i.exec(req.headers.authorization ?? '')?.[1];
      if (token === undefined || !state.validTokens.has(token))
        return void json(res, 401, { detail: 'bad token' });
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.flushHeaders();
      state.streams.add(res);
      res.on('close', () => state.streams.delete(res));
      state.accepted++;
      for (const w of [...state.waiters]) {
        if (state.accepted >= w.count) {
          state.waiters.splice(state.waiters.indexOf(w), 1);
          w.resolve();
        }
      }
    },
    check(body: string, res: ServerResponse): void {
      state.checks++;
      let parsed: { jti?: unknown; expected_user_id?: unknown } = {};
      try {
        parsed = JSON.parse(body) as typeof parsed;
      } catch {
        // answered as an unknown jti below
      }
      if (typeof parsed.jti === 'string' && state.revoked.has(parsed.jti))
        return void json(res, 200, { active: false });
      json(res, 200, {
        active: true,
        user_id: parsed.expected_user_id,
        auth_generation: 1,
        schema_version: '2',
      });
    },
  };

  return (req, res) => {
    void readBody(req).then((body) => {
      const path = req.url ?? '';
      state.requests.push({ method: req.method ?? '', path, headers: req.headers, body });
      if (req.method === 'POST' && path.endsWith('/service-token')) return void handlers.token(req, res);
      if (req.method === 'GET' && path.endsWith('/events/stream')) return void handlers.stream(req, res);
      if (req.method === 'POST' && path.endsWith('/jti-status')) return void handlers.check(body, res);
      json(res, 404, { detail: 'not found' });
    });
  };
}

/**
 * Starts a fake fa-auth-m8 on `127.0.0.1` serving `POST …/service-token`, `GET …/events/stream` (SSE, signed
 * frames pushed by the test) and `POST …/jti-status` (schema v2; `active` unless revoked), so tests drive
 * disconnects, gaps, bad signatures, replays, slow streams and 401s against the real client.
 *
 * @example
 * const issuer = await startEventIssuer({ signingKey, secret, clientId: 'orders' });
 * const settings = testSettings({ TOKEN_MODE: 'stateful', EVENT_STREAM_ENABLED: true,
 *   INTROSPECTION_URL: issuer.introspectionUrl, PRIVATE_API_SECRET: secret, INTERNAL_CLIENT_ID: 'orders',
 *   EVENT_SIGNING_KEY: signingKey });
 * await issuer.push('session-revoked', { user_id: sub, jti });
 */
export async function startEventIssuer(options: EventIssuerOptions): Promise<EventIssuer> {
  const state: IssuerState = {
    requests: [],
    streams: new Set(),
    validTokens: new Set(),
    revoked: new Set(),
    waiters: [],
    failures: { stream: [], token: [] },
    accepted: 0,
    issued: 0,
    checks: 0,
    nextId: 1,
  };
  const { streams } = state;
  const loopback = await listenLoopback(issuerHandler(state, options), () => {
    for (const res of streams) res.destroy();
    streams.clear();
  });

  const write = (text: string, split?: 'bytes'): Promise<void> => writeToStreams(streams, text, split);

  return {
    introspectionUrl: `${loopback.origin}/private/v1/jti-status`,
    requests: state.requests,
    get tokensIssued() {
      return state.issued;
    },
    get streamConnections() {
      return state.accepted;
    },
    get revocationChecks() {
      return state.checks;
    },
    get openStreams() {
      return streams.size;
    },
    waitForStreams(count) {
      if (state.accepted >= count) return Promise.resolve();
      return new Promise((resolve) => state.waiters.push({ count, resolve }));
    },
    push(event, payload, pushOptions = {}) {
      const signing = pushOptions.signing ?? 'valid';
      const frame: Record<string, unknown> = { payload };
      if (signing === 'valid') frame.sig = signPayload(payload, options.signingKey);
      if (signing === 'bad') frame.sig = signPayload({ ...payload, tampered: true }, options.signingKey);
      const id = pushOptions.id === undefined ? String(state.nextId++) : pushOptions.id;
      const idLine = id === null ? '' : `id: ${id}\n`;
      return write(`event: ${event}\n${idLine}data: ${JSON.stringify(frame)}\n\n`, pushOptions.split);
    },
    sendRaw: (text) => write(text),
    disconnect() {
      for (const res of streams) res.end();
    },
    failStreams(status, count = 1) {
      for (let i = 0; i < count; i++) state.failures.stream.push(status);
    },
    failTokens(status, count = 1) {
      for (let i = 0; i < count; i++) state.failures.token.push(status);
    },
    expireServiceTokens() {
      state.validTokens.clear();
    },
    revoke(jti) {
      state.revoked.add(jti);
    },
    close: () => loopback.close(),
  };
}

/** Writes `text` to every open stream; `split: 'bytes'` writes one byte per event-loop turn (a slow stream). */
async function writeToStreams(
  streams: ReadonlySet<ServerResponse>,
  text: string,
  split?: 'bytes',
): Promise<void> {
  const bytes = Buffer.from(text, 'utf8');
  for (const res of streams) {
    if (split !== 'bytes') {
      res.write(bytes);
      continue;
    }
    for (const byte of bytes) {
      res.write(Buffer.of(byte));
      // A turn of the event loop per byte, so each arrives in its own chunk.
      await new Promise((resolve) => setImmediate(resolve));
    }
  }
}
