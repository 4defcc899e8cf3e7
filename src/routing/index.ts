export { catchAsyncErrors } from './async-errors.js';
/** Route templates of requests (`/orders/:orderId/items/:id`), shared by metrics, tracing and log lines. */
export {
  instrumentRoutes,
  isInstrumented,
  markUnmatched,
  routeTemplateOf,
  UNMATCHED,
} from './route-template.js';
