/**
 * Route templates for nested routers, without a closure per request.
 *
 * Express gives `req.route.path` only for the innermost router, and `req.baseUrl` is the ACTUAL mount path
 * (`/orders/123`), so `baseUrl + route.path` grows one label value per order id. The mount path strings
 * are known only at registration: router ≥ 2 (Express 5) keeps them as `layer.rawPath`.
 *
 * At instrumentation (first request, or `instrumentRoutes(app)`) we walk the router tree once and build a
 * static tree of mount nodes `{ router, template, parent }`. Each mount layer and route layer gets its
 * `handle` wrapped once by a function that, per request, only moves a pointer:
 * - entering a mount sets the request context's `node` to the child node of the current node (found by walking up from the
 *   last entered node to the one whose router owns this layer: siblings that were entered and left are
 *   skipped that way, since dispatch is depth first);
 * - dispatching a route sets the context's `route` to the precomputed full template for (node, route).
 * Requests that reach no route keep `route` unset and are reported as `UNMATCHED`. Both live in the one
 * per-request object of `request-context.ts`, not on the request.
 */

import { contextOf, requestContext } from '../request-context.js';
import { catchAsyncErrors } from './async-errors.js';

/** The label value of every request that matched no route. */
export const UNMATCHED = 'UNMATCHED';

const LAYER_INFO = Symbol('express-m8.layerInfo');
const SEEN_ROUTE = Symbol('express-m8.instrumentedRoute');
const MAX_DEPTH = 32;

type PathSpec = string | RegExp | readonly PathSpec[];
type Handle = (req: object, res: object, next: unknown) => unknown;

export interface RouterLike {
  stack: LayerLike[];
}
interface RouteLike {
  path: PathSpec;
  [SEEN_ROUTE]?: true;
}
interface LayerLike {
  handle: Handle & Partial<RouterLike>;
  route?: RouteLike;
  rawPath?: PathSpec;
  [LAYER_INFO]?: LayerInfo;
}
interface Node {
  readonly router: object;
  /** The full template of this mount point; undefined when a mount path could not be known. */
  readonly template: string | undefined;
  readonly parent: Node | undefined;
}
interface LayerInfo {
  /** Route layers: full template per node of the owning router. Mount layers: child node per parent node. */
  readonly byNode: Map<Node | undefined, string | Node>;
  /** Mount layers: the mounted router (the layer's handle is our wrapper once instrumented). */
  readonly child: (Handle & RouterLike) | undefined;
}
interface Tagged {
  route?: RouteLike;
}

const rootNodes = new WeakMap<object, Node>();
const instrumented = new WeakSet<object>();

/** Renders a path spec as a label; arrays join with `,` and regexps print as `/src/flags`, as OpenTelemetry does. */
function render(path: PathSpec | undefined, isMount: boolean): string | undefined {
  if (path === undefined) return undefined;
  if (typeof path === 'string') {
    if (!isMount) return path;
    return path === '/' ? '' : path.replace(/\/+$/, '');
  }
  if (path instanceof RegExp) return String(path);
  return path.map((p) => render(p, false)).join(',');
}

function isRouter(handle: unknown): handle is Handle & RouterLike {
  return typeof handle === 'function' && Array.isArray((handle as Partial<RouterLike>).stack);
}

function findNode(req: object, router: object): Node | undefined {
  let cur = contextOf(req)?.node as Node | undefined;
  while (cur !== undefined && cur.router !== router) cur = cur.parent;
  return cur ?? rootNodes.get(router);
}

function wrapRoute(layer: LayerLike, router: object, info: LayerInfo): void {
  const original = layer.handle;
  const byNode = info.byNode;
  layer.handle = function m8Route(req: object, res: object, next: unknown): unknown {
    const template = byNode.get(findNode(req, router));
    requestContext(req).route = typeof template === 'string' ? template : undefined;
    return original(req, res, next);
  } as LayerLike['handle'];
}

function wrapMount(layer: LayerLike, router: object, info: LayerInfo): void {
  const original = layer.handle;
  const byNode = info.byNode;
  layer.handle = function m8Mount(req: object, res: object, next: unknown): unknown {
    const child = byNode.get(findNode(req, router));
    if (typeof child === 'object') requestContext(req).node = child;
    return original(req, res, next);
  } as LayerLike['handle'];
}

function walk(router: RouterLike, node: Node, depth: number): void {
  for (const layer of router.stack) {
    if (layer.route !== undefined) {
      let info = layer[LAYER_INFO];
      if (info === undefined) {
        info = { byNode: new Map(), child: undefined };
        layer[LAYER_INFO] = info;
        wrapRoute(layer, router, info);
        layer.route[SEEN_ROUTE] = true;
      }
      const routePath = render(layer.route.path, false) ?? '';
      // Below a mount whose path is unknown (Express 4), the route's own template is the best bounded name.
      info.byNode.set(node, node.template === undefined ? routePath : node.template + routePath);
      continue;
    }
    let info = layer[LAYER_INFO];
    if (info === undefined) {
      if (!isRouter(layer.handle)) continue;
      info = { byNode: new Map(), child: layer.handle };
      layer[LAYER_INFO] = info;
      wrapMount(layer, router, info);
    }
    const child = info.child;
    if (child === undefined || depth >= MAX_DEPTH) continue;
    let childNode = info.byNode.get(node);
    if (typeof childNode !== 'object') {
      // Express 4 layers do not keep the mount path: routes below it are reported by their own path only.
      const mountPath = render(layer.rawPath, true);
      childNode = {
        router: child,
        template:
          node.template === undefined || mountPath === undefined ? undefined : node.template + mountPath,
        parent: node,
      };
      info.byNode.set(node, childNode);
    }
    let cyclic = false;
    for (let up: Node | undefined = node; up !== undefined; up = up.parent)
      if (up.router === child) cyclic = true;
    if (!cyclic) walk(child, childNode, depth + 1);
  }
}

/**
 * The router a mount layer mounts, also after {@link instrumentRoutes} replaced its handle; else undefined.
 * For walkers that must see through that wrapper (the route list of the OpenAPI generator).
 */
export function mountedRouterOf(layer: unknown): RouterLike | undefined {
  const l = layer as LayerLike;
  if (l.route !== undefined) return undefined;
  const info = l[LAYER_INFO];
  if (info !== undefined) return info.child;
  return isRouter(l.handle) ? l.handle : undefined;
}

/** The root router of an Express 5 (`app.router`) or Express 4 (`app._router`) application, or a router. */
export function rootRouterOf(app: unknown): RouterLike | undefined {
  if (isRouter(app)) return app;
  if (app === null || (typeof app !== 'object' && typeof app !== 'function')) return undefined;
  const candidate = app as { _router?: unknown; router?: unknown };
  const legacy = candidate._router;
  if (isRouter(legacy)) return legacy;
  const modern = candidate.router;
  return isRouter(modern) ? modern : undefined;
}

/**
 * Walks an application's router tree once and instruments its layers so {@link routeTemplateOf} can name
 * the full template of every request. Idempotent; routes registered later are walked by a later call.
 * Called lazily by the metrics and tracing middlewares on their first request.
 * @example
 * instrumentRoutes(app); // after every route is registered, e.g. in start()
 */
export function instrumentRoutes(app: unknown): void {
  const router = rootRouterOf(app);
  if (router === undefined) return;
  catchAsyncErrors(router); // Express 4: before `walk` wraps the mount layers it must see through
  let root = rootNodes.get(router);
  if (root === undefined) {
    root = { router, template: '', parent: undefined };
    rootNodes.set(router, root);
  }
  instrumented.add(router);
  walk(router, root, 0);
}

/**
 * Marks a request as matched by no route (call it from the 404 handler), so a route that passed the request
 * on with `next()` does not name it.
 * @example
 * app.use((req, res) => { markUnmatched(req); res.status(404).end(); });
 */
export function markUnmatched(req: object): void {
  requestContext(req).route = UNMATCHED;
}

/**
 * The full route template of a request (`/orders/:orderId/items/:id`), or `UNMATCHED`. Never the actual
 * path, so label sets stay bounded whatever clients send.
 * @example
 * res.on('finish', () => console.log(routeTemplateOf(req)));
 */
export function routeTemplateOf(req: object): string {
  const template = contextOf(req)?.route;
  if (template !== undefined) return template;
  // A route registered after instrumentation, below an Express 4 mount or in a sub-app: its own template.
  const route = (req as Tagged).route;
  if (route !== undefined && route[SEEN_ROUTE] !== true && typeof route.path === 'string') return route.path;
  return UNMATCHED;
}
