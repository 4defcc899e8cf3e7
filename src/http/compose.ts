import type { NodeMiddleware } from '../routing/index.js';

/**
 * A connect-style middleware: calls `next()` to continue, `next(err)` to fail, or answers and stops.
 * `never` parameters accept middlewares typed for Node's or Express's request and response alike.
 */
export type Middleware = (req: never, res: never, next: (err?: unknown) => void) => void;

/**
 * Runs several middlewares as ONE Express layer. Each Express router layer costs a few microseconds
 * (path parsing, layer matching, parameter processing) before the middleware itself runs; the edge of every
 * request (request id, tracing, log, headers, host check, CORS, metrics, body) pays that once instead of
 * eight times (docs/architecture.md, "Speed": everything we add must fit in ~20 µs). One `next` closure per request.
 * A middleware that throws, or calls `next(err)`, hands the error to the app's error handler.
 * @example
 * app.use(composeMiddleware([requestId, cors]));
 */
export function composeMiddleware(steps: readonly Middleware[]): NodeMiddleware {
  const chain = steps as readonly NodeMiddleware[];
  const count = chain.length;
  return function m8Edge(req, res, done) {
    let index = 0;
    const next = (err?: unknown): void => {
      if (err !== undefined && err !== null) {
        done(err);
        return;
      }
      if (index === count) {
        done();
        return;
      }
      const step = chain[index++] as NodeMiddleware;
      try {
        step(req, res, next);
      } catch (error) {
        done(error);
      }
    };
    next();
  };
}
