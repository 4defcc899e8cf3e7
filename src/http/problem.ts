import { type ServerResponse, STATUS_CODES } from 'node:http';
import type { HttpErrorCode } from '../errors.js';
import { type PreparedHeaders, prepareHeaders, setPreparedHeaders } from './fast-headers.js';

/** The media type of every error body (RFC 9457). */
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

/** What a problem+json response is made of. */
export interface ProblemInit {
  /** HTTP status, also the `status` member of the body. */
  readonly status: number;
  /** The stable code behind the answer (ours, or the consumer's own `ERR_…`); the `code` member. */
  readonly code: HttpErrorCode;
  /** Short summary; defaults to the status's reason phrase (`Not Found`). */
  readonly title?: string;
  /** Human-readable explanation for this occurrence. Never a secret, a stack or an internal message. */
  readonly detail: string;
  /** Extra response headers, e.g. `WWW-Authenticate` or `Retry-After`. */
  readonly headers?: Readonly<Record<string, string>> | undefined;
  /** Extension members after the standard ones; a name of a standard member is ignored. */
  readonly extensions?: Readonly<Record<string, unknown>> | undefined;
}

/** A problem+json answer serialised once, ready to be sent many times. */
export interface PreparedProblem {
  readonly status: number;
  readonly code: HttpErrorCode;
  /** The JSON body, members `type`, `title`, `status`, `detail`, `code`. */
  readonly body: string;
  /** `Content-Length` of {@link body} in bytes, as a string. */
  readonly contentLength: string;
  /** Extra header names and values, flattened `[name, value, name, value, …]`. */
  readonly headers: readonly string[];
  /**
   * `Content-Type`, `Content-Length` and {@link headers}, validated once (http/fast-headers.ts); absent from a
   * hand-made object, which then goes through `res.setHeader`.
   */
  readonly allHeaders?: PreparedHeaders;
}

/**
 * Serialises a problem+json answer once, at construction, so hot rejections (404, invalid host, 401)
 * cost one `res.end()` of a ready string.
 * @example
 * const NOT_FOUND = problemBody({ status: 404, code: 'ERR_HTTP_NOT_FOUND', detail: 'Not Found' });
 * sendProblem(res, NOT_FOUND);
 */
export function problemBody(init: ProblemInit): PreparedProblem {
  const members: Record<string, unknown> = {
    type: 'about:blank',
    title: init.title ?? STATUS_CODES[init.status] ?? 'Error',
    status: init.status,
    detail: init.detail,
    code: init.code,
  };
  if (init.extensions !== undefined) {
    for (const name of Object.keys(init.extensions)) {
      if (Object.hasOwn(members, name) || name === 'instance') continue;
      // defineProperty: a `__proto__` member stays a member, never the object's prototype.
      Object.defineProperty(members, name, { value: init.extensions[name], enumerable: true });
    }
  }
  const body = JSON.stringify(members);
  const headers: string[] = [];
  if (init.headers !== undefined) {
    for (const name of Object.keys(init.headers)) headers.push(name, init.headers[name] as string);
  }
  const contentLength = String(Buffer.byteLength(body));
  return Object.freeze({
    status: init.status,
    code: init.code,
    body,
    contentLength,
    headers: Object.freeze(headers),
    allHeaders: prepareHeaders([
      'Content-Type',
      PROBLEM_CONTENT_TYPE,
      'Content-Length',
      contentLength,
      ...headers,
    ]),
  });
}

function isPrepared(problem: ProblemInit | PreparedProblem): problem is PreparedProblem {
  return typeof (problem as PreparedProblem).body === 'string';
}

/**
 * Answers with a problem+json body (`type`, `title`, `status`, `detail`, `code`), the one builder of every
 * error response in express-m8. Accepts a {@link ProblemInit} or a {@link PreparedProblem} from
 * {@link problemBody} (the fast path: nothing is serialised per request).
 * @example
 * sendProblem(res, { status: 503, code: 'ERR_HTTP_UNAVAILABLE', detail: 'Starting', headers: { 'Retry-After': '5' } });
 */
export function sendProblem(res: ServerResponse, problem: ProblemInit | PreparedProblem): void {
  const prepared = isPrepared(problem) ? problem : problemBody(problem);
  res.statusCode = prepared.status;
  if (prepared.allHeaders !== undefined) {
    setPreparedHeaders(res, prepared.allHeaders);
    res.end(prepared.body);
    return;
  }
  res.setHeader('Content-Type', PROBLEM_CONTENT_TYPE);
  res.setHeader('Content-Length', prepared.contentLength);
  const headers = prepared.headers;
  for (let i = 0; i < headers.length; i += 2) res.setHeader(headers[i] as string, headers[i + 1] as string);
  res.end(prepared.body);
}
