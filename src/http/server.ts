import { createServer, IncomingMessage, type Server, ServerResponse } from 'node:http';
import type { Application } from 'express';

/**
 * An HTTP server whose requests and responses are BORN with the app's Express prototypes.
 *
 * Express's `app.handle` swaps the prototype of every incoming request and response
 * (`Object.setPrototypeOf(req, app.request)`, the same for `res`). Changing the prototype of a live object
 * throws away its hidden class, so every later property access on `req` and `res` (in Node's HTTP code,
 * Express, and every middleware) misses V8's inline caches: measured here, bare Express 5 runs ~2.5× faster
 * when the objects already have the right prototype (bench/instructions.mjs, 676 k → 269 k instructions per
 * request). Node lets a server choose the classes it instantiates (`IncomingMessage` / `ServerResponse`
 * options of `http.createServer`); constructors whose `prototype` IS `app.request` / `app.response` make
 * Express's swap a no-op. Nothing else changes: the objects are still `IncomingMessage`/`ServerResponse`
 * instances (Express's prototypes inherit from Node's), and apps mounted under this one set their own
 * prototypes exactly as before.
 */

type Constructor = new (...args: never[]) => object;

interface Classes {
  readonly IncomingMessage: typeof IncomingMessage;
  readonly ServerResponse: typeof ServerResponse;
}

const classesOf = new WeakMap<object, Classes>();

/**
 * A constructor building `base` instances whose prototype is exactly `prototype`, or `base` itself when Node's
 * class is an ES class (it cannot be called on an existing object; Express then swaps prototypes as usual).
 * `Reflect.construct(base, args, ctor)` would also work for classes, but V8 then builds each object on a slow
 * path that costs more than the swap it avoids (measured: 0.73× bare Express instead of 2.5×).
 */
function bornWith<T extends Constructor>(base: T, prototype: object): T {
  if (/^class\b/.test(Function.prototype.toString.call(base))) return base;
  const init = base as unknown as (this: object, ...args: unknown[]) => void;
  function ExpressM8Server(this: object, a: unknown, b: unknown): void {
    init.call(this, a, b);
  }
  ExpressM8Server.prototype = prototype;
  return ExpressM8Server as unknown as T;
}

/**
 * The request and response classes of an Express app, made once per app.
 * @example
 * http.createServer({ ...serverClassesOf(app) }, app);
 */
export function serverClassesOf(app: Application): Classes {
  let classes = classesOf.get(app);
  if (classes === undefined) {
    // Both exist on every Express 4 and 5 app; the type definitions do not declare them.
    const prototypes = app as unknown as { request: object; response: object };
    classes = {
      IncomingMessage: bornWith(IncomingMessage, prototypes.request),
      ServerResponse: bornWith(ServerResponse, prototypes.response),
    };
    classesOf.set(app, classes);
  }
  return classes;
}

/**
 * `http.createServer(app)`, with requests and responses created with the app's prototypes (see above).
 * @example
 * const server = createAppServer(app);
 * server.listen(8000);
 */
export function createAppServer(app: Application): Server {
  return createServer(serverClassesOf(app), app);
}

/**
 * Replaces Express's `app.listen` with one that serves through {@link createAppServer}, with the signature
 * and behaviour of the listen it replaces: Express 5 calls a trailing callback once, on `listening` or on the
 * first `error`; Express 4 only passes the callback to `server.listen` (a listen error is then an unhandled
 * `error` event, as it always was there). Which one applies is read from the replaced function itself.
 */
export function useAppServerForListen(app: Application): void {
  const original: unknown = (app as { listen?: unknown }).listen;
  const errorsToCallback =
    typeof original === 'function' && /\bonce\(/.test(Function.prototype.toString.call(original));
  Object.defineProperty(app, 'listen', {
    configurable: true,
    enumerable: false,
    writable: true,
    value: function listen(this: Application, ...args: unknown[]): Server {
      const server = createAppServer(this);
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
