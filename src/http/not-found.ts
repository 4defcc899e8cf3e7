import type { IncomingMessage, ServerResponse } from 'node:http';
import { problemBody, sendProblem } from './problem.js';

const NOT_FOUND = problemBody({ status: 404, code: 'ERR_HTTP_NOT_FOUND', detail: 'Not Found' });

/**
 * The last route: answers every unmatched request with a precomputed 404 problem+json
 * (`code: ERR_HTTP_NOT_FOUND`). The path is not echoed back.
 * @example
 * app.use(notFoundHandler);
 */
export function notFoundHandler(_req: IncomingMessage, res: ServerResponse): void {
  sendProblem(res, NOT_FOUND);
}
