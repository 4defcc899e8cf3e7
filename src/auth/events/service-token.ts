import type http from 'node:http';
import { httpCall } from '../http-client.js';

/** A service token is reused until this long before it expires. */
const SERVICE_TOKEN_MARGIN_MS = 30_000;
/** A service-token reply is small; a larger one is refused. */
const MAX_TOKEN_REPLY_BYTES = 16 * 1024;

/**
 * What every call to the issuer's private API needs (the service token here, API-key introspection in
 * `src/apikeys`): its URL, the internal credentials sent as `X-Internal-Token` / `X-Internal-Client`, the
 * keep-alive agent, the time budget and the clock.
 */
export interface IssuerCallOptions {
  readonly url: URL;
  /** `PRIVATE_API_SECRET`, sent as `X-Internal-Token`. */
  readonly secret: string;
  /** `INTERNAL_CLIENT_ID`, sent as `X-Internal-Client`. */
  readonly clientId: string;
  readonly agent: http.Agent;
  readonly connectTimeoutMs: number;
  readonly totalTimeoutMs: number;
  readonly now: () => number;
}

/** `url` is `{base}/private/v1/service-token`. */
export type ServiceTokenOptions = IssuerCallOptions;

/** A token, or why none could be had: `rejected` is a 401/403 (our credential), anything else `unavailable`. */
export type ServiceTokenResult =
  | { readonly token: string }
  | { readonly error: 'rejected' | 'unavailable'; readonly cause: string };

/**
 * Obtains the event stream's service token from the issuer (`POST …/service-token`, scope `event-stream`)
 * and reuses it until 30 s before it expires. Concurrent callers share one request.
 */
export class ServiceTokenSource {
  readonly #o: ServiceTokenOptions;
  #token: string | undefined;
  #expiresAt = 0;
  #pending: Promise<ServiceTokenResult> | undefined;

  constructor(options: ServiceTokenOptions) {
    this.#o = options;
  }

  /** The cached token while fresh, else a new one. Never rejects. */
  get(): Promise<ServiceTokenResult> {
    if (this.#token !== undefined && this.#o.now() < this.#expiresAt - SERVICE_TOKEN_MARGIN_MS) {
      return Promise.resolve({ token: this.#token });
    }
    this.#pending ??= this.#fetch().finally(() => {
      this.#pending = undefined;
    });
    return this.#pending;
  }

  /** Forgets the cached token (the stream answered 401 with it). */
  invalidate(): void {
    this.#token = undefined;
    this.#expiresAt = 0;
  }

  async #fetch(): Promise<ServiceTokenResult> {
    const body = Buffer.from(JSON.stringify({ scopes: ['event-stream'] }), 'utf8');
    const outcome = await httpCall({
      url: this.#o.url,
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json',
        'content-length': String(body.length),
        'x-internal-client': this.#o.clientId,
        'x-internal-token': this.#o.secret,
        'user-agent': 'express-m8',
      },
      body,
      agent: this.#o.agent,
      connectTimeoutMs: this.#o.connectTimeoutMs,
      totalTimeoutMs: this.#o.totalTimeoutMs,
      maxBytes: MAX_TOKEN_REPLY_BYTES,
    });
    if (outcome.kind !== 'response') return { error: 'unavailable', cause: outcome.kind };
    if (outcome.status === 401 || outcome.status === 403) {
      return { error: 'rejected', cause: `status ${outcome.status}` };
    }
    if (outcome.status !== 200) return { error: 'unavailable', cause: `status ${outcome.status}` };
    const reply = parseReply(outcome.body);
    if (reply === undefined) return { error: 'unavailable', cause: 'malformed reply' };
    this.#token = reply.token;
    this.#expiresAt = this.#o.now() + reply.expiresInS * 1000;
    return { token: reply.token };
  }
}

/** `{access_token, token_type, expires_in, scope}`: a non-empty bearer token and a positive lifetime. */
function parseReply(body: Buffer): { token: string; expiresInS: number } | undefined {
  let reply: unknown;
  try {
    reply = JSON.parse(body.toString('utf8'));
  } catch {
    return undefined;
  }
  if (typeof reply !== 'object' || reply === null) return undefined;
  const r = reply as Record<string, unknown>;
  if (typeof r.access_token !== 'string' || r.access_token === '' || /[\r\n]/.test(r.access_token)) {
    return undefined;
  }
  if (typeof r.token_type === 'string' && r.token_type.toLowerCase() !== 'bearer') return undefined;
  if (typeof r.expires_in !== 'number' || !(r.expires_in > 0)) return undefined;
  return { token: r.access_token, expiresInS: r.expires_in };
}
