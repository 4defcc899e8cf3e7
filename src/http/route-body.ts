import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import { SettingsError } from '../errors.js';
import { carryRouteMeta } from '../routing/route-meta.js';
import { problemBody, sendProblem } from './problem.js';

/**
 * JSON bodies are parsed inside the routes that matched, after their leading auth guards, instead of at the
 * edge of every request. At the edge, 40 unauthenticated 1 MiB POSTs to a path that does not exist were all
 * read and parsed (and stalled `/health/live` for 1.3 s); now a request that reaches no route, or that a guard
 * refuses, never has its body parsed (Node discards what it did not read). The bytes being read at once are
 * capped process-wide: past the cap a body is refused with 503 and `Retry-After` before a byte is read.
 */

/** Marks a middleware as an auth guard: a route's body is parsed after its leading guards. */
const GUARD = Symbol.for('express-m8.authGuard');
/** Marks express-m8's own app-level middlewares (the edge, the 404), which never read the consumer's body. */
const INTERNAL = Symbol.for('express-m8.noBody');
/** Set on a request once the parser ran for it, so later layers skip straight to their handler. */
const PARSED = Symbol('express-m8.bodyParsed');
const GATED = Symbol('express-m8.bodyGated');
/** On Express 4's async-errors wrappers (routing/async-errors.ts): they forward a rejection themselves. */
const FORWARDS_REJECTIONS = Symbol.for('express-m8.forwardsRejections');

type Next = (err?: unknown) => void;
type Handle = ((req: IncomingMessage, res: ServerResponse, next: Next) => unknown) & {
  [GUARD]?: true;
  [INTERNAL]?: true;
  stack?: unknown;
};
interface RouteLike {
  stack: LayerLike[];
  _methods?: unknown;
  _options?: unknown;
}
interface LayerLike {
  handle: Handle;
  route?: RouteLike;
  [GATED]?: true;
}
interface RouterLike {
  stack: LayerLike[];
}

/**
 * Marks `fn` as an authentication or authorisation guard: in a route, the JSON body is parsed after the
 * leading guards, so a refused request never has its body read.
 * @example
 * const requireUser = markAuthGuard(function requireUser(req, res, next) { ... });
 */
export function markAuthGuard<T extends object>(fn: T): T {
  (fn as { [GUARD]?: true })[GUARD] = true;
  return fn;
}

/**
 * Marks one of express-m8's own middlewares as never needing the request body (the edge, the 404).
 * @example
 * app.use(markNoBody(notFoundHandler));
 */
export function markNoBody<T extends object>(fn: T): T {
  (fn as { [INTERNAL]?: true })[INTERNAL] = true;
  return fn;
}

/** Request-body bytes being read right now, across every app of the process. */
let bytesInFlight = 0;

/** Options of {@link createRouteBodies}. */
export interface RouteBodiesOptions {
  /** Largest accepted JSON body in bytes (413 beyond); default 1 MiB. */
  readonly limitBytes?: number;
  /** Most body bytes read at once across the process (503 with `Retry-After` beyond); default 16 MiB. */
  readonly maxBytesInFlight?: number;
  /**
   * Runs after every walk, so whatever wraps handles after the body gate (Express 4's async-errors wrapper)
   * sees routes registered since the last walk, always after they were gated.
   */
  readonly afterWalk?: () => void;
}

/** What {@link createRouteBodies} returns. */
export interface RouteBodies {
  /** Walks the app's router tree (again): gates route handlers and mounts registered since the last walk. */
  readonly install: () => void;
  /** Cheap per-request check (a few length comparisons): re-walks when a walked router got new layers. */
  readonly refresh: () => void;
  /** The parser itself, with the in-flight cap. */
  readonly parse: (req: IncomingMessage, res: ServerResponse, next: Next) => void;
}

const MIB = 1024 * 1024;
const RETRY_AFTER_SECONDS = 1;
const NO_METHODS = (): string[] => [];

function isRouter(handle: unknown): handle is Handle & RouterLike {
  return typeof handle === 'function' && Array.isArray((handle as { stack?: unknown }).stack);
}

function rootRouterOf(app: unknown): RouterLike | undefined {
  if (isRouter(app)) return app;
  const candidate = app as { _router?: unknown; router?: unknown };
  if (isRouter(candidate._router)) return candidate._router;
  return isRouter(candidate.router) ? candidate.router : undefined;
}

function hasBody(req: IncomingMessage): boolean {
  const headers = req.headers;
  return headers['content-length'] !== undefined || headers['transfer-encoding'] !== undefined;
}

/**
 * Places the JSON body parser into the routes of `app` (see the module comment) and answers OPTIONS
 * requests that no route handles like any unhandled request (404): the router's automatic answer would list
 * a route's methods in `Allow` to anonymous callers. CORS preflights are answered before routing.
 *
 * Route handlers, `use` middlewares and mounted sub-apps get `req.body` exactly as with `express.json()` at the
 * edge (1 MiB, malformed → 400, oversize → 413). Sub-routers are walked; guards marked by
 * {@link markAuthGuard} run before the parser.
 * @example
 * const bodies = createRouteBodies(app);
 * bodies.install(); // after the routes are registered
 * @throws {SettingsError} `ERR_SETTINGS_INVALID` when `maxBytesInFlight` is below `limitBytes`.
 */
export function createRouteBodies(app: unknown, options: RouteBodiesOptions = {}): RouteBodies {
  const limitBytes = options.limitBytes ?? MIB;
  const maxBytesInFlight = options.maxBytesInFlight ?? 16 * MIB;
  if (!Number.isSafeInteger(maxBytesInFlight) || maxBytesInFlight < limitBytes) {
    throw new SettingsError([
      {
        variable: 'maxBodyBytesInFlight',
        message: `must be a whole number of bytes of at least ${limitBytes} (one whole body), got ${String(maxBytesInFlight)}`,
      },
    ]);
  }
  const parse = createCappedParser(limitBytes, maxBytesInFlight);
  const walker = new GateWalker(parse);

  function install(): void {
    const root = rootRouterOf(app);
    if (root !== undefined) walker.walk(root, 0, new Set());
    walker.settle();
    options.afterWalk?.();
  }

  function refresh(): void {
    if (walker.changed()) install();
  }

  return { install, refresh, parse };
}

/** `express.json` behind the process-wide cap on body bytes being read at once (503 with `Retry-After` past it). */
function createCappedParser(limitBytes: number, maxBytesInFlight: number): RouteBodies['parse'] {
  const json = express.json({ limit: limitBytes });
  const busy = problemBody({
    status: 503,
    code: 'ERR_HTTP_BODY_BUDGET_EXHAUSTED',
    detail: 'Too many request bodies are being read at once; retry later.',
    headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) },
  });
  return function parse(req: IncomingMessage, res: ServerResponse, next: Next): void {
    (req as { [PARSED]?: true })[PARSED] = true;
    let reserve = limitBytes;
    const length = req.headers['content-length'];
    if (length !== undefined && req.headers['transfer-encoding'] === undefined) {
      const n = Number(length);
      // Over the limit: the parser answers 413 from the header alone, without reading.
      if (n > limitBytes || n === 0 || !Number.isSafeInteger(n)) {
        json(req as express.Request, res as express.Response, next);
        return;
      }
      reserve = n;
    }
    if (bytesInFlight + reserve > maxBytesInFlight) {
      sendProblem(res, busy);
      return;
    }
    bytesInFlight += reserve;
    let held = true;
    const release = (): void => {
      if (!held) return;
      held = false;
      bytesInFlight -= reserve;
    };
    // The parser calls back on end, error and abort; a response closed first (timeout) releases too.
    res.once('close', release);
    json(req as express.Request, res as express.Response, (err?: unknown) => {
      release();
      next(err);
    });
  };
}

/** Calls `original` once the body is parsed, forwarding a throw or (unless `forwards`) a rejection to `next`. */
function afterParse(
  original: Handle,
  forwards: true | undefined,
  req: IncomingMessage,
  res: ServerResponse,
  next: Next,
) {
  return (err?: unknown): void => {
    if (err !== undefined && err !== null) {
      next(err);
      return;
    }
    let ret: unknown;
    try {
      ret = original(req, res, next);
    } catch (error) {
      next(error);
      return;
    }
    // Called from the parser's callback, a rejected promise no longer reaches the router: forward it,
    // unless the handle is Express 4's async-errors wrapper, which already does.
    if (
      forwards !== true &&
      ret !== null &&
      typeof ret === 'object' &&
      typeof (ret as Promise<unknown>).then === 'function'
    )
      (ret as Promise<unknown>).then(undefined, (error: unknown) => next(error ?? new Error('rejected')));
  };
}

/** Replaces a layer's handle with one that parses the body first (when there is one and it is not parsed yet). */
function gate(layer: LayerLike, parse: RouteBodies['parse']): void {
  if (layer[GATED] === true) return;
  layer[GATED] = true;
  const original = layer.handle;
  const forwards = (original as { [FORWARDS_REJECTIONS]?: true })[FORWARDS_REJECTIONS];
  // Error handlers (four parameters) are told apart by their length: leave them untouched.
  if (original.length > 3) return;
  const gated = function m8Body(req: IncomingMessage, res: ServerResponse, next: Next): unknown {
    if ((req as { [PARSED]?: true })[PARSED] === true || !hasBody(req)) return original(req, res, next);
    parse(req, res, afterParse(original, forwards, req, res, next));
    return undefined;
  };
  // A contract's schemas stay readable by the OpenAPI generator through the gate.
  layer.handle = carryRouteMeta(original, gated) as Handle;
}

/** Walks router trees, gating route handlers and body-reading middlewares, and remembers the stacks it saw. */
class GateWalker {
  /**
   * Mount layers seen with their router: the route-template instrumentation later replaces a mount layer's
   * handle with a wrapper that no longer exposes the router's stack.
   */
  readonly #mounts = new WeakMap<LayerLike, RouterLike>();
  readonly #watched: { stack: unknown[]; length: number }[] = [];
  readonly #parse: RouteBodies['parse'];

  constructor(parse: RouteBodies['parse']) {
    this.#parse = parse;
  }

  /** True when a walked stack got new layers since the last {@link settle}: a cheap per-request check. */
  changed(): boolean {
    const watched = this.#watched;
    for (let i = 0; i < watched.length; i++) {
      const w = watched[i] as { stack: unknown[]; length: number };
      if (w.stack.length !== w.length) return true;
    }
    return false;
  }

  /** A watched stack the walk no longer reaches (a layer removed by hand) must not re-walk on every request. */
  settle(): void {
    for (const w of this.#watched) w.length = w.stack.length;
  }

  walk(router: RouterLike, depth: number, seen: Set<RouterLike>): void {
    if (seen.has(router) || depth > 32) return;
    seen.add(router);
    this.#watch(router.stack);
    for (const layer of router.stack) {
      if (layer.route !== undefined) {
        this.#walkRoute(layer.route);
        continue;
      }
      const handle = layer.handle;
      let child = this.#mounts.get(layer);
      if (child === undefined && isRouter(handle)) {
        child = handle;
        this.#mounts.set(layer, child);
      }
      if (child !== undefined) this.walk(child, depth + 1, seen);
      else this.#walkMiddleware(layer);
    }
  }

  #walkMiddleware(layer: LayerLike): void {
    // Express 4's own `query`/`expressInit` layers and ours never read the body; guards run before it.
    // The decision is kept on the layer: a later walk must not gate a layer skipped here once another
    // wrapper (Express 4's async-errors) has replaced its handle.
    if (layer[GATED] === true) return;
    const handle = layer.handle;
    if (
      handle[INTERNAL] === true ||
      handle[GUARD] === true ||
      handle.name === 'query' ||
      handle.name === 'expressInit'
    ) {
      layer[GATED] = true;
      return;
    }
    // A consumer middleware or a mounted sub-app: it may read `req.body`, as it could at the edge.
    gate(layer, this.#parse);
  }

  #walkRoute(route: RouteLike): void {
    // No automatic OPTIONS answer (router ≥ 2 `_methods`, Express 4 `_options`): an OPTIONS that no handler
    // takes falls through to the 404 like any other unhandled method.
    if (typeof route._methods === 'function') route._methods = NO_METHODS;
    if (typeof route._options === 'function') route._options = NO_METHODS;
    for (const layer of route.stack) {
      if (layer.handle[GUARD] === true) {
        // Skipped for good (see walk): a guard stays ungated whatever wraps it later.
        layer[GATED] = true;
        continue;
      }
      gate(layer, this.#parse);
    }
  }

  #watch(stack: unknown[]): void {
    for (const w of this.#watched) {
      if (w.stack === stack) {
        w.length = stack.length;
        return;
      }
    }
    this.#watched.push({ stack, length: stack.length });
  }
}
