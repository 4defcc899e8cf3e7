import express, { type RequestHandler } from 'express';

/** Options of {@link jsonBodyParser}. */
export interface JsonBodyParserOptions {
  /** Largest accepted body, bytes or a size string (`'100kb'`); default `'1mb'`. */
  readonly limit?: number | string;
}

/**
 * `express.json()` with a size limit (default 1 MiB). Malformed JSON and oversize bodies reach the error
 * handler from {@link createErrorHandler}, which answers 400 `ERR_HTTP_BAD_REQUEST` / 413
 * `ERR_HTTP_PAYLOAD_TOO_LARGE` problem+json.
 * @example
 * app.use(jsonBodyParser({ limit: '256kb' }));
 */
export function jsonBodyParser(options: JsonBodyParserOptions = {}): RequestHandler {
  return express.json({ limit: options.limit ?? '1mb' });
}
