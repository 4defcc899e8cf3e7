import type { IncomingMessage, ServerResponse } from 'node:http';

/**
 * A Node `(req, res, next)` middleware, usable with `app.use`: calls `next()` to continue, `next(err)` to fail,
 * or answers and stops. The type of every middleware the edge is made of (tracing, metrics, the edge itself).
 */
export type NodeMiddleware = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (err?: unknown) => void,
) => void;
