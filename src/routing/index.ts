export { catchAsyncErrors } from './async-errors.js';
export type { NodeMiddleware } from './middleware.js';
/** The routes of a router tree with their templates and route metadata (the OpenAPI generator's input). */
export { type ListedRoute, listRoutes } from './route-list.js';
/** What guards and contracts say about their routes, for the OpenAPI generator. */
export {
  type GuardMeta,
  type RouteMeta,
  routeMetaOf,
  withRouteMeta,
} from './route-meta.js';
/** Route templates of requests (`/orders/:orderId/items/:id`), shared by metrics, tracing and log lines. */
export {
  instrumentRoutes,
  markUnmatched,
  routeTemplateOf,
  UNMATCHED,
} from './route-template.js';
