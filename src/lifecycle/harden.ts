import type { Server } from 'node:http';
import type { Duplex } from 'node:stream';
import type { ErrorCode } from '../errors.js';
import { PROBLEM_CONTENT_TYPE, problemBody } from '../http/problem.js';

/** `REQUEST_TIMEOUT_SECONDS` when the settings give none. */
const DEFAULT_REQUEST_TIMEOUT_SECONDS = 30;
/** The longest the request headers may take (Node's own default), also when the request limit is off. */
const MAX_HEADERS_TIMEOUT_MS = 60_000;
/**
 * How often Node checks the header and request deadlines. Node's default (30 s) lets a 30 s limit run to
 * 60 s; one pass over the open connections per second costs nothing measurable.
 */
const CONNECTIONS_CHECK_INTERVAL_MS = 1_000;

/** What {@link hardenServer} reads. */
export interface HardenOptions {
  /** Seconds a client may take to send a whole request; 0 = no limit (Node's `requestTimeout = 0`). */
  readonly requestTimeoutSeconds?: number;
  /** `SECURITY_HEADERS_ENABLED`: adds the static headers that need no request (CORP) to Node's own 4xx. */
  readonly securityHeaders?: boolean;
}

/**
 * The `requestTimeout` / `headersTimeout` pair for a request limit. Node rejects (at construction) or
 * misapplies a `headersTimeout` above a non-zero `requestTimeout`, so the headers limit is the request limit
 * capped at 60 s; with the request limit off, the headers keep Node's 60 s.
 * @example
 * requestTimeouts(30); // { requestTimeout: 30000, headersTimeout: 30000 }
 */
function requestTimeouts(seconds: number = DEFAULT_REQUEST_TIMEOUT_SECONDS): {
  requestTimeout: number;
  headersTimeout: number;
} {
  const requestTimeout = Math.round(seconds * 1000);
  const headersTimeout =
    requestTimeout > 0 ? Math.min(requestTimeout, MAX_HEADERS_TIMEOUT_MS) : MAX_HEADERS_TIMEOUT_MS;
  return { requestTimeout, headersTimeout };
}

type ClientErrorSocket = Duplex & { _httpMessage?: { headersSent?: boolean } | null };

function rawProblem(status: number, code: ErrorCode, detail: string, extra: string): Buffer {
  const problem = problemBody({ status, code, detail });
  const title = JSON.parse(problem.body).title as string;
  return Buffer.from(
    `HTTP/1.1 ${status} ${title}\r\nContent-Type: ${PROBLEM_CONTENT_TYPE}\r\nContent-Length: ${problem.contentLength}\r\n` +
      `Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nX-Frame-Options: DENY\r\n${extra}` +
      `Connection: close\r\n\r\n${problem.body}`,
    'latin1',
  );
}

/**
 * The `clientError` listener for a server: the answers Node writes by itself when a request cannot be parsed
 * (400), does not arrive in time (408) or has too large headers (431) would carry no security headers; these
 * are the same answers as problem+json with them. Built once per server, nothing is serialised per error.
 */
function createClientErrorHandler(
  options: Pick<HardenOptions, 'securityHeaders'> = {},
): (error: Error & { code?: string }, socket: Duplex) => void {
  const extra = options.securityHeaders === false ? '' : 'Cross-Origin-Resource-Policy: same-origin\r\n';
  const badRequest = rawProblem(400, 'ERR_HTTP_BAD_REQUEST', 'The request could not be parsed.', extra);
  const timeout = rawProblem(408, 'ERR_HTTP_CLIENT_ERROR', 'The request did not arrive in time.', extra);
  const tooLarge = rawProblem(431, 'ERR_HTTP_CLIENT_ERROR', 'The request headers are too large.', extra);
  return function onClientError(error, rawSocket) {
    const socket = rawSocket as ClientErrorSocket;
    // A reset or broken connection has no one to answer; a response already under way cannot be replaced
    // (Node's own handler makes the same two checks).
    const answerable =
      socket.writable &&
      error.code !== 'ECONNRESET' &&
      error.code !== 'EPIPE' &&
      socket._httpMessage?.headersSent !== true;
    if (!answerable) {
      socket.destroy();
      return;
    }
    const answer =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? tooLarge
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
          ? timeout
          : badRequest;
    // Half-close after the answer so the client reads it; destroy once written (a client that never reads
    // must not keep the socket).
    socket.end(answer, () => socket.destroy());
  };
}

/**
 * Bounds how long a client may take to send a request and answers Node's own 400/408/431 as problem+json
 * with security headers. Call before `listen()`.
 * @example
 * hardenServer(server, { requestTimeoutSeconds: 30, securityHeaders: true });
 */
export function hardenServer(server: Server, options: HardenOptions = {}): void {
  const { requestTimeout, headersTimeout } = requestTimeouts(options.requestTimeoutSeconds);
  // headersTimeout first only matters for validation order; Node reads both at each check.
  server.requestTimeout = requestTimeout;
  server.headersTimeout = headersTimeout;
  // Read by Node when the server starts listening (the interval is set up on 'listening').
  (server as Server & { connectionsCheckingInterval?: number }).connectionsCheckingInterval =
    CONNECTIONS_CHECK_INTERVAL_MS;
  // Once per server: a second serve() of the same server (after a failed listen) must not add a listener that
  // destroys the socket before the first one's answer is written. A server with its own clientError listener
  // keeps it, alone.
  if (server.listenerCount('clientError') === 0) server.on('clientError', createClientErrorHandler(options));
}
