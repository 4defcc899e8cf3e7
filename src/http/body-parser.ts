import express, { type RequestHandler } from 'express';

/** Options of {@link jsonBodyParser}. */
export interface JsonBodyParserOptions {
  /** Largest accepted body, bytes or a size string (`'100kb'`); default `'1mb'`. */
  readonly limit?: number | string;
}

/**
 * `express.json()` with a size limit (default 1 MiB), skipped for requests without a body. Malformed JSON and oversize bodies reach the error
 * handler from {@link createErrorHandler}, which answers 400 `ERR_HTTP_BAD_REQUEST` / 413
 * `ERR_HTTP_PAYLOAD_TOO_LARGE` problem+json.
 * @example
 * app.use(jsonBodyParser({ limit: '256kb' }));
 */
export function jsonBodyParser(options: JsonBodyParserOptions = {}): RequestHandler {
  const parse = express.json({ limit: options.limit ?? '1mb' });
  // Most requests (GET, HEAD, DELETE) carry no body: RFC 9112 §6.3 says a request has one only with
  // Content-Length or Transfer-Encoding. Skipping the parser for them saves its per-request setup.
  return function jsonBody(req, res, next) {
    const headers = req.headers;
    if (headers['content-length'] === undefined && headers['transfer-encoding'] === undefined) {
      next();
      return;
    }
    parse(req, res, next);
  };
}
