/**
 * The routes of an application's router tree with their full Express path templates and what their
 * middlewares say about them (guards, contracts), for the OpenAPI generator. Read once, at `start()`.
 *
 * Mount paths come from `layer.rawPath` (router ≥ 2, Express 5); Express 4 keeps only a regexp, read back
 * into a template when it is one `path-to-regexp@0.1` made from a plain path (`/orders/:orderId`). A mount
 * whose path cannot be known is skipped (its routes would be documented under a wrong path).
 */

import { type RouteMeta, routeMetaOf } from './route-meta.js';
import { mountedRouterOf, type RouterLike, rootRouterOf } from './route-template.js';

/** One method of one route. */
export interface ListedRoute {
  /** Lower-case HTTP method (`get`), never `_all`. */
  readonly method: string;
  /** The full Express path template (`/api/orders/:orderId/items/:id`), mount paths included. */
  readonly path: string;
  /** Entries of the router-level middlewares before it, then of the route's own handlers, in order. */
  readonly meta: readonly RouteMeta[];
}

type PathSpec = string | RegExp | readonly PathSpec[];
interface ExpressLayer {
  handle?: unknown;
  route?: { path: PathSpec; methods?: Record<string, boolean>; stack?: ExpressLayer[] };
  method?: string;
  rawPath?: PathSpec;
  regexp?: RegExp & { fast_slash?: boolean };
  keys?: { name: string | number; optional?: boolean }[];
}

const MAX_DEPTH = 32;

/** Express 4's mount regexp back to its template, or undefined when it was not made from a plain path. */
function legacyMountPath(layer: ExpressLayer): string | undefined {
  const re = layer.regexp;
  if (re === undefined) return undefined;
  if (re.fast_slash === true) return '';
  const keys = [...(layer.keys ?? [])];
  let src = re.source;
  if (!src.startsWith('^') || !src.endsWith('\\/?(?=\\/|$)')) return undefined;
  src = src.slice(1, -'\\/?(?=\\/|$)'.length);
  src = src.replace(/\(\?:\\\/\(\[\^\/\]\+\?\)\)(\?)?/g, (_m, optional: string | undefined) => {
    const key = keys.shift();
    return key === undefined ? '(' : `/:${String(key.name)}${optional ?? ''}`;
  });
  src = src.replace(/\\(.)/g, '$1');
  return /[()[\]*+|^$]/.test(src) ? undefined : src;
}

/** A mount layer's path template (`''` for the root), or undefined when it cannot be known. */
function mountPathOf(layer: ExpressLayer): string | undefined {
  if (layer.rawPath === undefined) return legacyMountPath(layer);
  if (typeof layer.rawPath !== 'string') return undefined;
  return layer.rawPath === '/' ? '' : layer.rawPath.replace(/\/+$/, '');
}

function routeList(spec: PathSpec): string[] {
  if (typeof spec === 'string') return [spec];
  if (spec instanceof RegExp) return [];
  return spec.flatMap((s) => routeList(s));
}

function methodsOf(layer: ExpressLayer): string[] {
  const methods = Object.keys(layer.route?.methods ?? {}).filter((m) => m !== '_all');
  // `router.all(path, ...)`: documented as the methods an API client uses.
  return methods.length > 0 ? methods : ['get', 'post', 'put', 'patch', 'delete'];
}

function metaFor(layer: ExpressLayer, method: string): RouteMeta[] {
  const out: RouteMeta[] = [];
  for (const inner of layer.route?.stack ?? []) {
    if (inner.method === undefined || inner.method === method) out.push(...routeMetaOf(inner.handle));
  }
  return out;
}

function walk(router: RouterLike, base: string, inherited: RouteMeta[], out: ListedRoute[], depth: number) {
  const meta = [...inherited];
  for (const raw of router.stack) {
    const layer = raw as unknown as ExpressLayer;
    if (layer.route !== undefined) {
      for (const path of routeList(layer.route.path)) {
        for (const method of methodsOf(layer))
          out.push({ method, path: base + path, meta: [...meta, ...metaFor(layer, method)] });
      }
      continue;
    }
    const mountPath = mountPathOf(layer);
    const child = mountedRouterOf(raw);
    if (child !== undefined) {
      if (mountPath !== undefined && depth < MAX_DEPTH) walk(child, base + mountPath, meta, out, depth + 1);
    } else if (mountPath === '') {
      // `router.use(auth.requireUser)`: every later route of this router and below is guarded.
      meta.push(...routeMetaOf(layer.handle));
    }
  }
}

/**
 * Every route of an Express 5 or 4 application or router, in registration order.
 * @example
 * for (const r of listRoutes(router)) console.log(r.method, r.path);
 */
export function listRoutes(app: unknown): ListedRoute[] {
  const root = rootRouterOf(app);
  const out: ListedRoute[] = [];
  if (root !== undefined) walk(root, '', [], out, 0);
  return out;
}
