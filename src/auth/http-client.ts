import http, { type ClientRequest, type IncomingHttpHeaders, type OutgoingHttpHeaders } from 'node:http';
import https from 'node:https';

/** One outbound call: bounded in time and size, never follows a redirect. */
export interface HttpCall {
  readonly url: URL;
  readonly method: 'GET' | 'POST';
  readonly headers: OutgoingHttpHeaders;
  readonly body?: Buffer;
  readonly agent: http.Agent;
  /** Time allowed for the TCP connect of a new socket (not applied to a reused keep-alive socket). */
  readonly connectTimeoutMs?: number;
  /** Time allowed for the whole exchange, body included, retry included. */
  readonly totalTimeoutMs: number;
  /** Largest body accepted; larger ones are cut off and reported `too_large`. */
  readonly maxBytes: number;
}

/** What came back. Never rejects: failures are values, so callers map them to results without try/catch. */
export type HttpOutcome =
  | {
      readonly kind: 'response';
      readonly status: number;
      readonly body: Buffer;
      /** The response headers (e.g. `retry-after` of a 429). */
      readonly headers?: IncomingHttpHeaders;
    }
  | { readonly kind: 'timeout' | 'too_large' | 'transport_error'; readonly cause?: unknown };

/**
 * Performs one request with `node:http`/`node:https` directly, not `fetch`: we need a per-socket connect
 * timeout, a hard body cap checked while streaming, and no redirect handling at all (a 3xx is returned as a
 * status for the caller to refuse). A request that fails with ECONNRESET on a *reused* keep-alive socket
 * (the server closed it while idle) is retried once on a new one, as the Node.js docs recommend.
 */
export function httpCall(call: HttpCall): Promise<HttpOutcome> {
  return new Promise<HttpOutcome>((resolve) => {
    let done = false;
    let req: ClientRequest | undefined;
    let connectTimer: NodeJS.Timeout | undefined;
    const finish = (outcome: HttpOutcome): void => {
      if (done) return;
      done = true;
      clearTimeout(totalTimer);
      if (connectTimer !== undefined) clearTimeout(connectTimer);
      resolve(outcome);
      if (outcome.kind !== 'response') req?.destroy();
    };
    const totalTimer = setTimeout(() => finish({ kind: 'timeout' }), call.totalTimeoutMs);
    totalTimer.unref();
    const transport = call.url.protocol === 'https:' ? https : http;

    const attempt = (retry: boolean): void => {
      const current = transport.request(call.url, {
        method: call.method,
        headers: call.headers,
        agent: call.agent,
      });
      req = current;
      if (call.connectTimeoutMs !== undefined) {
        const ms = call.connectTimeoutMs;
        current.once('socket', (socket) => {
          if (!socket.connecting) return;
          connectTimer = setTimeout(() => finish({ kind: 'timeout' }), ms);
          connectTimer.unref();
          socket.once('connect', () => clearTimeout(connectTimer));
        });
      }
      current.on('error', (cause: NodeJS.ErrnoException) => {
        if (!done && retry && current.reusedSocket && cause.code === 'ECONNRESET') {
          attempt(false);
          return;
        }
        finish({ kind: 'transport_error', cause });
      });
      current.once('response', (response) => {
        const declared = Number(response.headers['content-length']);
        if (declared > call.maxBytes) {
          finish({ kind: 'too_large' });
          return;
        }
        const chunks: Buffer[] = [];
        let size = 0;
        response.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > call.maxBytes) {
            finish({ kind: 'too_large' });
            return;
          }
          chunks.push(chunk);
        });
        response.once('end', () =>
          finish({
            kind: 'response',
            status: response.statusCode ?? 0,
            body: Buffer.concat(chunks),
            headers: response.headers,
          }),
        );
        response.on('error', (cause) => finish({ kind: 'transport_error', cause }));
        response.once('aborted', () => finish({ kind: 'transport_error' }));
      });
      current.end(call.body);
    };
    attempt(true);
  });
}
