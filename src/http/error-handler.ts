import { STATUS_CODES } from 'node:http';
import type { ErrorRequestHandler, Request } from 'express';
import type { Logger } from 'pino';
import { isEngineOutage } from '../db/outage.js';
import { type ErrorCode, HttpError, M8Error } from '../errors.js';
import { scrubUrl } from '../logging/index.js';
import { currentTraceIds } from '../tracing/index.js';
import { type PreparedProblem, type ProblemInit, problemBody, sendProblem } from './problem.js';

const MALFORMED_JSON = problemBody({
  status: 400,
  code: 'ERR_HTTP_BAD_REQUEST',
  detail: 'Request body is not valid JSON.',
});
const BAD_REQUEST = problemBody({
  status: 400,
  code: 'ERR_HTTP_BAD_REQUEST',
  detail: 'The request could not be read.',
});
const TOO_LARGE = problemBody({
  status: 413,
  code: 'ERR_HTTP_PAYLOAD_TOO_LARGE',
  detail: 'Request body exceeds the size limit.',
});
const UNSUPPORTED = problemBody({
  status: 415,
  code: 'ERR_HTTP_UNSUPPORTED_MEDIA_TYPE',
  detail: 'The request body encoding or charset is not supported.',
});
// A database outage is temporary and not the request's fault: 503 with a retry hint, not a 500. The engine
// logs the outage once when it starts and once when it ends; a stack trace per request would flood the log.
const DB_UNAVAILABLE = problemBody({
  status: 503,
  code: 'ERR_DB_UNAVAILABLE',
  detail: 'The database is temporarily unavailable; retry later.',
  headers: { 'Retry-After': '5' },
});
const INTERNAL = problemBody({
  status: 500,
  code: 'ERR_HTTP_INTERNAL',
  title: 'Internal Server Error',
  detail: 'Internal Server Error',
});

/** body-parser (http-errors) `type`s and the answers they get; messages are ours, never the parser's. */
const BODY_ERRORS: ReadonlyMap<string, PreparedProblem> = new Map([
  ['entity.parse.failed', MALFORMED_JSON],
  ['entity.too.large', TOO_LARGE],
  ['parameters.too.many', TOO_LARGE],
  ['encoding.unsupported', UNSUPPORTED],
  ['charset.unsupported', UNSUPPORTED],
  ['request.aborted', BAD_REQUEST],
  ['request.size.invalid', BAD_REQUEST],
  ['entity.verify.failed', BAD_REQUEST],
]);

interface ErrorShape {
  readonly type?: unknown;
  readonly status?: unknown;
  readonly statusCode?: unknown;
  readonly expose?: unknown;
  readonly message?: unknown;
  readonly headers?: unknown;
}

/** Specific codes for the 4xx statuses that have one; other client errors get `ERR_HTTP_CLIENT_ERROR`. */
const CLIENT_CODES: ReadonlyMap<number, ErrorCode> = new Map<number, ErrorCode>([
  [400, 'ERR_HTTP_BAD_REQUEST'],
  [404, 'ERR_HTTP_NOT_FOUND'],
  [413, 'ERR_HTTP_PAYLOAD_TOO_LARGE'],
  [415, 'ERR_HTTP_UNSUPPORTED_MEDIA_TYPE'],
]);

/** A 4xx http-errors object (`createError(403)`, Express's own 400s) whose message is meant for the client. */
function clientStatus(shape: ErrorShape): number | undefined {
  const status = typeof shape.status === 'number' ? shape.status : shape.statusCode;
  // Any 4xx an Express component attached is the client's fault (the router's undecodable `%E0%A4%A`
  // parameter is a 400 without `expose`): answered as such, never as a 500. Only `expose` messages are shown.
  if (typeof status !== 'number' || status < 400 || status >= 500) return undefined;
  return status;
}

function extraHeaders(err: ErrorShape): Record<string, string> | undefined {
  const headers = err.headers;
  if (headers === null || typeof headers !== 'object') return undefined;
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    if (typeof value === 'string' || typeof value === 'number') out[name] = String(value);
  }
  return out;
}

/** How an error is answered, and the message it is logged with (5xx only). */
interface ErrorAnswer {
  readonly problem: ProblemInit | PreparedProblem;
  /** Set when the error is logged in full at `error` level before the answer. */
  readonly logMessage?: 'request failed' | 'unhandled error';
}

const OUTAGE_ANSWER: ErrorAnswer = { problem: DB_UNAVAILABLE };
const INTERNAL_ANSWER: ErrorAnswer = { problem: INTERNAL, logMessage: 'unhandled error' };

/** An `M8Error` carrying a 4xx or 5xx `status` (`HttpError`, `AuthError`): its status, code, message and headers. */
function m8ErrorAnswer(err: M8Error, shape: ErrorShape, status: number): ErrorAnswer {
  return {
    problem: {
      status,
      code: err.code,
      detail: err.message,
      headers: extraHeaders(shape),
      extensions: err instanceof HttpError ? err.extensions : undefined,
    },
    logMessage: status >= 500 ? 'request failed' : undefined,
  };
}

/** A 4xx http-errors object: its status, a specific code when one exists, its message only when `expose`. */
function clientErrorAnswer(shape: ErrorShape, status: number): ErrorAnswer {
  return {
    problem: {
      status,
      code: CLIENT_CODES.get(status) ?? 'ERR_HTTP_CLIENT_ERROR',
      detail:
        shape.expose === true && typeof shape.message === 'string' && shape.message !== ''
          ? shape.message
          : (STATUS_CODES[status] ?? 'Bad Request'),
      headers: extraHeaders(shape),
    },
  };
}

/**
 * What an error becomes, without touching the request or the response: body-parser errors, a database outage,
 * an `M8Error` with a status, another 4xx http-errors object, else a 500 that is logged (see
 * {@link createErrorHandler} for the rules).
 */
function answerForError(err: unknown): ErrorAnswer {
  const shape = (err !== null && typeof err === 'object' ? err : {}) as ErrorShape;
  if (typeof shape.type === 'string') {
    const prepared = BODY_ERRORS.get(shape.type);
    if (prepared !== undefined) return { problem: prepared };
  }
  if (isEngineOutage(err)) return OUTAGE_ANSWER;
  const status = shape.status;
  if (err instanceof M8Error && typeof status === 'number' && status >= 400 && status < 600)
    return m8ErrorAnswer(err, shape, status);
  const client = clientStatus(shape);
  return client === undefined ? INTERNAL_ANSWER : clientErrorAnswer(shape, client);
}

/** The full error at `error` level with the request's id, method, scrubbed URL and trace ids. */
function logRequestError(logger: Logger, req: Request, err: unknown, message: string): void {
  const trace = currentTraceIds(req);
  logger.error(
    {
      err,
      reqId: req.id,
      method: req.method,
      url: scrubUrl(req.originalUrl),
      trace_id: trace?.trace_id,
      span_id: trace?.span_id,
    },
    message,
  );
}

/**
 * The last middleware: turns every error into problem+json.
 *
 * - body-parser errors: malformed JSON → 400 `ERR_HTTP_BAD_REQUEST`, oversize → 413
 *   `ERR_HTTP_PAYLOAD_TOO_LARGE`, bad charset/encoding → 415 `ERR_HTTP_UNSUPPORTED_MEDIA_TYPE`;
 * - other 4xx http-errors (`expose: true`) → their status and message, code `ERR_HTTP_CLIENT_ERROR` unless a
 *   specific one exists (400, 404, 413, 415);
 * - an `M8Error` carrying a numeric `status` (`HttpError`, `AuthError`) → that status, its `code`, its message
 *   as `detail`, its optional `headers` record and, for an `HttpError`, its `extensions` as body members;
 * - a database outage (connection refused or reset, pool acquisition or statement timeout, server shutting
 *   down) → 503 `ERR_DB_UNAVAILABLE` with `Retry-After: 5`, not logged here (the engine logs each outage once);
 * - anything else → 500 `ERR_HTTP_INTERNAL`, `Internal Server Error`, never the message or the stack; the
 *   error is logged in full at `error` level with the request id (`reqId`) and, when the request carries a
 *   trace, its `trace_id`/`span_id` (so are 5xx `M8Error`s).
 *
 * When headers were already sent the error goes to Express's default handler, which destroys the socket.
 * @example
 * app.use(notFoundHandler);
 * app.use(createErrorHandler(logger));
 */
export function createErrorHandler(logger: Logger): ErrorRequestHandler {
  return function errorHandler(err: unknown, req, res, next) {
    if (res.headersSent) {
      next(err);
      return;
    }
    const answer = answerForError(err);
    if (answer.logMessage !== undefined) logRequestError(logger, req, err, answer.logMessage);
    sendProblem(res, answer.problem);
  };
}
