export { catchAsyncErrors } from './async-errors.js';
/** What guards and contracts say about their routes, for the OpenAPI generator. */
export {
  type ContractMeta,
  type GuardMeta,
  type RouteMeta,
  routeMetaOf,
  withRouteMeta,
} from './route-meta.js';
/** Route templates of requests (`/orders/:orderId/items/:id`), shared by metrics, tracing and log lines. */
export {
  instrumentRoutes,
  isInstrumented,
  markUnmatched,
  routeTemplateOf,
  UNMATCHED,
} from './route-template.js';
