export { type JsonBodyParserOptions, jsonBodyParser } from './body-parser.js';
export { composeMiddleware, type Middleware } from './compose.js';
export { createErrorHandler } from './error-handler.js';
export { weakEtag } from './etag.js';
export { notFoundHandler } from './not-found.js';
export {
  PROBLEM_CONTENT_TYPE,
  type PreparedProblem,
  type ProblemInit,
  problemBody,
  sendProblem,
} from './problem.js';
export {
  createRouteBodies,
  markAuthGuard,
  markNoBody,
  type RouteBodies,
  type RouteBodiesOptions,
} from './route-body.js';
export {
  type AppServerListenOptions,
  appServerClasses,
  type CreateAppServerOptions,
  createAppServer,
  FIRST_V8_WITHOUT_GAIN,
  type ServerClasses,
  type ServerClassesLogger,
  useAppServerForListen,
} from './server.js';
