/**
 * Rejected promises from route handlers and middleware, on Express 4.
 *
 * Express 4's `Layer#handle_request` calls a handler and ignores what it returns, so the rejection of an
 * `async (req, res) => { ... }` handler is an unhandled rejection: Node (>= 15) ends the process, and the
 * request never gets an answer. Express 5 (router 2) passes such a rejection to `next(err)`, so the app's error
 * handler answers 500 problem+json. Here every handler of an Express 4 router tree gets the Express 5 behaviour:
 * each layer's `handle` (the consumer's own function stays untouched) is replaced once by a wrapper of the
 * same arity (Express 4 tells error handlers from request handlers by `fn.length`) that hands a rejection to
 * `next`, exactly as router 2 does. Express 5 layers are left alone: they already do this.
 *
 * Only the layers of this app's router tree are wrapped (no prototype is patched, other apps are unaffected).
 * Routers mounted with `use` are walked; a plain `express()` sub-app mounted with `app.use(subApp)` is not
 * (Express 4 keeps no reference to it): call `catchAsyncErrors(subApp)` for it.
 */

import { carryRouteMeta } from './route-meta.js';

const WRAPPED = Symbol('express-m8.asyncErrors');
/** On our wrappers: they forward a rejection themselves (the body gate must not forward it a second time). */
const FORWARDS_REJECTIONS = Symbol.for('express-m8.forwardsRejections');
/** Marks other modules read on a handle (auth guard, no-body): the wrapper must carry them on. */
const CARRIED_MARKS = [Symbol.for('express-m8.authGuard'), Symbol.for('express-m8.noBody')];
const MAX_DEPTH = 32;

type Next = (err?: unknown) => void;
type AnyHandle = (...args: never[]) => unknown;

interface RouterLike {
  stack: LayerLike[];
}
interface LayerLike {
  handle: AnyHandle;
  route?: { stack?: LayerLike[] } | undefined;
  /** Present on Express 4 layers only (router 2 has `handleRequest`). */
  handle_request?: unknown;
  [WRAPPED]?: true;
}

/** Mount layer → the router it mounts, as first seen (its `handle` may be wrapped later by route templates). */
const mounted = new WeakMap<LayerLike, RouterLike>();

function isRouter(value: unknown): value is RouterLike {
  return typeof value === 'function' && Array.isArray((value as Partial<RouterLike>).stack);
}

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as PromiseLike<unknown>).then === 'function'
  );
}

/** As router 2: a rejection without a reason still reaches the error handler. */
function forward(ret: PromiseLike<unknown>, next: Next): void {
  ret.then(undefined, (err: unknown) => next(err || new Error('Rejected promise')));
}

function wrapRequestHandler(fn: (req: unknown, res: unknown, next: Next) => unknown): AnyHandle {
  return function m8AsyncHandler(req: unknown, res: unknown, next: Next): unknown {
    const ret = fn(req, res, next);
    if (isThenable(ret)) forward(ret, next);
    return ret;
  } as AnyHandle;
}

function wrapErrorHandler(fn: (err: unknown, req: unknown, res: unknown, next: Next) => unknown): AnyHandle {
  return function m8AsyncErrorHandler(err: unknown, req: unknown, res: unknown, next: Next): unknown {
    const ret = fn(err, req, res, next);
    if (isThenable(ret)) forward(ret, next);
    return ret;
  } as AnyHandle;
}

function wrapLayer(layer: LayerLike): void {
  if (layer[WRAPPED] === true) return;
  const fn = layer.handle;
  if (typeof fn !== 'function') return;
  // Express 4 calls a handle of length 4 only with an error, one of length <= 3 only without: keep the arity.
  let wrapped: AnyHandle | undefined;
  if (fn.length === 4) wrapped = wrapErrorHandler(fn as Parameters<typeof wrapErrorHandler>[0]);
  else if (fn.length <= 3) wrapped = wrapRequestHandler(fn as Parameters<typeof wrapRequestHandler>[0]);
  if (wrapped !== undefined) {
    const marks = wrapped as unknown as Record<symbol, unknown>;
    marks[FORWARDS_REJECTIONS] = true;
    for (const mark of CARRIED_MARKS) {
      if ((fn as unknown as Record<symbol, unknown>)[mark] === true) marks[mark] = true;
    }
    carryRouteMeta(fn, wrapped);
    // Express 4 recognises its own `query` and `expressInit` layers by name elsewhere: keep the name.
    Object.defineProperty(wrapped, 'name', { value: fn.name, configurable: true });
    layer.handle = wrapped;
  }
  layer[WRAPPED] = true;
}

function walk(router: RouterLike, seen: Set<RouterLike>, depth: number): void {
  seen.add(router);
  for (const layer of router.stack) {
    // Router 2 (Express 5) layers already forward rejections: nothing to do in this tree.
    if (typeof layer.handle_request !== 'function') return;
    if (layer.route !== undefined) {
      for (const inner of layer.route.stack ?? []) wrapLayer(inner);
      continue;
    }
    let child = mounted.get(layer);
    if (child === undefined && isRouter(layer.handle)) {
      child = layer.handle;
      mounted.set(layer, child);
    }
    if (child === undefined) wrapLayer(layer);
    else if (!seen.has(child) && depth < MAX_DEPTH) walk(child, seen, depth + 1);
  }
}

/** The root router of an Express 4 (`app._router`) or Express 5 (`app.router`) application, or a router. */
function rootRouterOf(app: unknown): RouterLike | undefined {
  if (isRouter(app)) return app;
  if (app === null || (typeof app !== 'object' && typeof app !== 'function')) return undefined;
  const candidate = app as { _router?: unknown; router?: unknown };
  if (isRouter(candidate._router)) return candidate._router;
  return isRouter(candidate.router) ? candidate.router : undefined;
}

/**
 * Makes the rejected promise of any handler or middleware registered so far in an Express 4 app (or router)
 * reach `next(err)`, as Express 5 does. Idempotent and cheap to repeat (each layer is wrapped once); a no-op
 * on Express 5. Handlers registered later are covered by a later call (`createApp` calls it after each walk of its body
 * gate: at creation, at `start()`, and on the first request after a walked router gained layers).
 * @example
 * catchAsyncErrors(app); // after the routes are registered
 */
export function catchAsyncErrors(app: unknown): void {
  const router = rootRouterOf(app);
  if (router !== undefined) walk(router, new Set(), 0);
}
