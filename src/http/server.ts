import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import type { Application } from 'express';

/**
 * Opt-in HTTP servers whose requests and responses are BORN with the app's Express prototypes.
 *
 * Express's `app.handle` swaps the prototype of every incoming request and response
 * (`Object.setPrototypeOf(req, app.request)`, the same for `res`). On V8 before 13 (Node 20 and 22), changing
 * the prototype of a live object throws away its hidden class, so every later property access on `req` and
 * `res` misses the inline caches: bare Express answers with ~2.3–2.5× fewer instructions when the objects
 * already have the right prototype (~2× with the getter shadows below, measured 449 k against 883 k on Node 20).
 * V8 13 (Node 24+) keeps such objects fast, and there the constructors below measured 0.82–0.89× of the stock
 * server, so they are never used there.
 *
 * Costs, and what this module does about them:
 * - A request is an Express request before Express runs (in `upgrade`, `checkContinue` and early `request`
 *   listeners, engine.io middleware). Express's getter-only properties (`ip`, `path`, `protocol`, `query` on
 *   Express 5, …) would throw on assignment there and compute values (or throw: `fresh` reads `req.res`) on
 *   read. `shadowGetters` makes them behave as on a plain `IncomingMessage` until Express has taken the request.
 * - Node's constructors are called on an existing object (`Base.apply(this, args)`), which Node deprecates
 *   (DEP0195, documentation-only) and which stops working once they become ES classes: a start-up self-test
 *   builds one pair and falls back to the stock classes when anything is off.
 */

type Constructor = new (...args: never[]) => object;

/** The request and response classes a server instantiates. */
export interface ServerClasses {
  readonly IncomingMessage: typeof IncomingMessage;
  readonly ServerResponse: typeof ServerResponse;
}

/** Where the one warning goes when the classes are not used; a pino logger fits. */
export interface ServerClassesLogger {
  warn(obj: object, msg: string): void;
}

/** Options of {@link createAppServer}. */
export interface CreateAppServerOptions {
  /** Receives the one warning when the classes are not used; default `process.emitWarning`. */
  logger?: ServerClassesLogger;
}

/**
 * What tests inject into {@link appServerClasses}, {@link createAppServerWith} and {@link useAppServerForListen};
 * the public {@link createAppServer} uses the real ones. Internal: not exported by the package, so the published
 * type of {@link CreateAppServerOptions} does not show it.
 */
export interface AppServerInternals {
  /** The V8 major version to decide on (default: the running one); tests inject both branches. */
  v8Major?: number;
  /** The constructors to build on (default Node's); tests pass ES classes and recording ones. */
  bases?: ServerClasses;
}

/** The V8 major from which stock requests are as fast, and these classes slower. */
const FIRST_V8_WITHOUT_GAIN = 13;

const WARNING_CODE = 'EXPRESS_M8_APP_SERVER_CLASSES';

/** Per app: its classes, or `null` when they are not used (decided, and warned about, once). */
const classesOf = new WeakMap<object, ServerClasses | null>();

function runningV8Major(): number {
  return Number.parseInt(process.versions.v8, 10);
}

/**
 * A constructor building `base` instances whose prototype is exactly `prototype`. Every argument is forwarded
 * and a returned object is kept (the `new` semantics of the constructor it stands for).
 * `Reflect.construct(base, args, ctor)` would avoid calling `base` on an existing object, but V8 builds such
 * objects on a slow path that costs more than the swap it avoids (measured: 0.73× bare Express instead of 2.5×).
 */
function bornWith<T extends Constructor>(base: T, prototype: object): T {
  const init = base as unknown as (this: object, ...args: unknown[]) => unknown;
  function ExpressM8Born(this: object, ...args: unknown[]): unknown {
    return init.apply(this, args);
  }
  ExpressM8Born.prototype = prototype;
  return ExpressM8Born as unknown as T;
}

interface Shadowed {
  readonly name: PropertyKey;
  /** The own descriptor it replaced on `app.request`, if it had one. */
  readonly previous: PropertyDescriptor | undefined;
}

/**
 * Replaces each getter-only property reachable from `request` (below `IncomingMessage.prototype`) by an own
 * accessor that behaves as on a plain `IncomingMessage` until Express has taken the request: reads give
 * `undefined`, assignments make an own data property that then shadows the getter, exactly as on the stock
 * server. Once Express has the request, reads call Express's getter and an assignment throws the TypeError a
 * strict-mode assignment to a getter-only property throws (here even from sloppy-mode code, which the stock
 * server would let fail silently).
 *
 * "Express has taken the request" is read from `req.originalUrl`, which the router of Express 4 and 5 sets as it
 * starts and never removes. Not `req.res`: engine.io sets it before running `io.engine.use` middleware. Not
 * `req.next`: the router restores it when it hands over to the final handler.
 */
function shadowGetters(request: object): Shadowed[] {
  const shadowed: Shadowed[] = [];
  const seen = new Set<PropertyKey>();
  for (
    let proto: object | null = request;
    proto !== null && proto !== IncomingMessage.prototype;
    proto = Object.getPrototypeOf(proto) as object | null
  ) {
    for (const name of Reflect.ownKeys(proto)) {
      if (seen.has(name)) continue;
      seen.add(name);
      const descriptor = Object.getOwnPropertyDescriptor(proto, name);
      const getter = descriptor?.get;
      if (getter === undefined || descriptor?.set !== undefined || descriptor?.configurable === false)
        continue;
      const label = String(name);
      shadowed.push({ name, previous: Object.getOwnPropertyDescriptor(request, name) });
      Object.defineProperty(request, name, {
        configurable: true,
        enumerable: descriptor?.enumerable ?? true,
        get(this: { originalUrl?: unknown }) {
          return this.originalUrl === undefined ? undefined : getter.call(this);
        },
        set(this: { originalUrl?: unknown }, value: unknown) {
          if (this.originalUrl !== undefined) {
            throw new TypeError(`Cannot set property ${label} of #<IncomingMessage> which has only a getter`);
          }
          Object.defineProperty(this, name, { configurable: true, enumerable: true, writable: true, value });
        },
      });
    }
  }
  return shadowed;
}

function unshadow(request: object, shadowed: readonly Shadowed[]): void {
  for (const { name, previous } of shadowed) {
    if (previous === undefined) Reflect.deleteProperty(request, name);
    else Object.defineProperty(request, name, previous);
  }
}

/**
 * Builds one request/response pair through `classes` on an unconnected socket and checks what the server relies
 * on; the reason it fails, or `undefined`.
 */
function selfTest(
  classes: ServerClasses,
  prototypes: AppPrototypes,
  shadowed: readonly Shadowed[],
): string | undefined {
  const socket = new Socket();
  try {
    const req = new classes.IncomingMessage(socket);
    const res = new classes.ServerResponse(req);
    if (Object.getPrototypeOf(req) !== prototypes.request || !(req instanceof IncomingMessage)) {
      return 'a request was not built with the app request prototype';
    }
    if (Object.getPrototypeOf(res) !== prototypes.response || !(res instanceof ServerResponse)) {
      return 'a response was not built with the app response prototype';
    }
    const target = req as unknown as Record<PropertyKey, unknown>;
    for (const { name } of shadowed) {
      if (target[name] !== undefined) return `req.${String(name)} is not undefined before Express runs`;
      const value = { selfTest: name };
      target[name] = value;
      if (target[name] !== value) return `an assignment to req.${String(name)} before Express does not stick`;
    }
    return undefined;
  } catch (error) {
    // An ES class constructor cannot be called on an existing object: "Class constructor … cannot be invoked".
    return error instanceof Error ? error.message : String(error);
  } finally {
    socket.destroy();
  }
}

interface AppPrototypes {
  readonly request: object;
  readonly response: object;
}

function warn(logger: ServerClassesLogger | undefined, message: string, fields: object): void {
  if (logger) logger.warn({ code: WARNING_CODE, ...fields }, message);
  else process.emitWarning(message, { code: WARNING_CODE });
}

/**
 * The app's request and response classes, or `undefined` when they must not be used: on V8 ≥ 13, where they
 * are slower than the stock classes, or when the start-up self-test fails. Decided once per app, with one
 * warning saying why when they are not used.
 * @example
 * const classes = appServerClasses(app, { logger });
 * const server = classes ? http.createServer({ ...classes }, app) : http.createServer(app);
 */
export function appServerClasses(
  app: Application,
  options: CreateAppServerOptions = {},
  internals: AppServerInternals = {},
): ServerClasses | undefined {
  const known = classesOf.get(app);
  if (known !== undefined) return known ?? undefined;
  const v8Major = internals.v8Major ?? runningV8Major();
  if (v8Major >= FIRST_V8_WITHOUT_GAIN) {
    classesOf.set(app, null);
    warn(
      options.logger,
      `appServerClasses ignored: on V8 ${v8Major} (Node ${process.versions.node}) stock requests are as fast and the app server classes slower; using http.createServer(app)`,
      { v8: v8Major },
    );
    return undefined;
  }
  // Both exist on every Express 4 and 5 app; the type definitions do not declare them.
  const prototypes = app as unknown as AppPrototypes;
  const shadowed = shadowGetters(prototypes.request);
  const bases = internals.bases ?? { IncomingMessage, ServerResponse };
  const classes: ServerClasses = {
    IncomingMessage: bornWith(bases.IncomingMessage, prototypes.request),
    ServerResponse: bornWith(bases.ServerResponse, prototypes.response),
  };
  const failure = selfTest(classes, prototypes, shadowed);
  if (failure !== undefined) {
    unshadow(prototypes.request, shadowed);
    classesOf.set(app, null);
    warn(
      options.logger,
      `appServerClasses ignored: the start-up self-test failed (${failure}); using http.createServer(app)`,
      { reason: failure },
    );
    return undefined;
  }
  classesOf.set(app, classes);
  return classes;
}

/**
 * `http.createServer(app)` whose requests and responses are created with the app's Express prototypes, which
 * saves Express's per-request prototype swap: ~2.3–2.5× fewer instructions for bare Express on Node 20 and 22.
 * On V8 ≥ 13 (Node 24+), where it is slower, or when its start-up self-test fails, it returns a plain
 * `http.createServer(app)` and warns once. Express's getter-only request properties behave as on a plain
 * request until Express has taken the request (see docs/lifecycle.md for what still differs).
 * @example
 * import { createAppServer } from 'express-m8';
 * const server = createAppServer(app, { logger });
 * server.on('upgrade', onUpgrade);
 * await serve(app, { server });
 */
export function createAppServer(app: Application, options: CreateAppServerOptions = {}): Server {
  return createAppServerWith(app, options, {});
}

/**
 * {@link createAppServer} with the test seams of {@link AppServerInternals}. Internal: `serve()` and tests import
 * it from `src/http/server.ts`; the package exports only `createAppServer`.
 * @example
 * const server = createAppServerWith(app, { logger }, { v8Major: 12 });
 */
export function createAppServerWith(
  app: Application,
  options: CreateAppServerOptions,
  internals: AppServerInternals,
): Server {
  const classes = appServerClasses(app, options, internals);
  return classes ? createServer({ ...classes }, app) : createServer(app);
}

/** How the replaced `app.listen` reports a listen error. */
export interface AppServerListenOptions extends CreateAppServerOptions {
  /**
   * `true` (Express 5): a trailing callback is called once, on `listening` or with the first `error`.
   * `false` (Express 4): the callback is only given to `server.listen`; a listen error is an `error` event.
   */
  errorsToCallback: boolean;
}

/**
 * Replaces Express's `app.listen` with one that serves through {@link createAppServer}, with the signature and
 * listen-error behaviour of the Express major the caller names (`errorsToCallback`); `internals` are for tests.
 */
export function useAppServerForListen(
  app: Application,
  options: AppServerListenOptions,
  internals: AppServerInternals = {},
): void {
  const { errorsToCallback } = options;
  Object.defineProperty(app, 'listen', {
    configurable: true,
    enumerable: false,
    writable: true,
    value: function listen(this: Application, ...args: unknown[]): Server {
      const server = createAppServerWith(this, options, internals);
      const last = args.length - 1;
      const callback = args[last];
      if (errorsToCallback && typeof callback === 'function') {
        let called = false;
        const once = function (this: unknown, ...params: unknown[]): void {
          if (called) return;
          called = true;
          Reflect.apply(callback, this, params);
        };
        args[last] = once;
        server.once('error', once);
      }
      return Reflect.apply(server.listen, server, args) as Server;
    },
  });
}
