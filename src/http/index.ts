export { jsonBodyParser } from './body-parser.js';
export { composeMiddleware, type Middleware } from './compose.js';
export { createErrorHandler } from './error-handler.js';
export { weakEtag } from './etag.js';
export { notFoundHandler } from './not-found.js';
export {
  type PreparedProblem,
  problemBody,
  sendProblem,
} from './problem.js';
export {
  createRouteBodies,
  markAuthGuard,
  markNoBody,
  type RouteBodies,
} from './route-body.js';
export {
  type CreateAppServerOptions,
  createAppServer,
  type ServerClassesLogger,
  useAppServerForListen,
} from './server.js';
