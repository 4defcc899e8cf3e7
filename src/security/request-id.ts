import { randomUUID } from 'node:crypto';
import type { NextFunction, Request, Response } from 'express';
import { setCheckedHeader } from '../http/fast-headers.js';

/** What a caller-supplied `X-Request-ID` must look like to be kept (docs/security.md). */
const REQUEST_ID_PATTERN = /^[A-Za-z0-9._:-]{1,128}$/;

/**
 * Middleware that gives every request an id: the caller's `X-Request-ID` when it matches
 * `^[A-Za-z0-9._:-]{1,128}$`, otherwise `crypto.randomUUID()`. Sets `req.id` and the `X-Request-ID`
 * response header. Mount it first, so every later log line and error can carry the id.
 * @example
 * app.use(createRequestId());
 */
export function createRequestId(): (req: Request, res: Response, next: NextFunction) => void {
  return function requestId(req, res, next) {
    const incoming = req.headers['x-request-id'];
    const id = typeof incoming === 'string' && REQUEST_ID_PATTERN.test(incoming) ? incoming : randomUUID();
    req.id = id;
    // Either value is a valid header value: the pattern above, or a UUID.
    setCheckedHeader(res, 'x-request-id', 'X-Request-ID', id);
    next();
  };
}
