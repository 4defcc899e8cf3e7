import type { Application } from 'express';
import type { LifecycleController, M8App } from './types.js';

/**
 * Where an `M8App` keeps its lifecycle controller. `Symbol.for` so the ESM and CJS builds of the package,
 * loaded side by side, still see each other's apps.
 */
export const LIFECYCLE: unique symbol = Symbol.for('express-m8.lifecycle');

type WithLifecycle = { [LIFECYCLE]?: LifecycleController };

/**
 * The lifecycle controller of an app made by `createApp`, or `undefined` for any other object.
 *
 * @example
 * getLifecycle(app)?.state; // 'ready'
 */
export function getLifecycle(app: object): LifecycleController | undefined {
  return (app as WithLifecycle)[LIFECYCLE];
}

/**
 * Turns an Express app into an `M8App` driven by `lifecycle`: defines `start()`, `stop()` and the read-only
 * `ready` getter (non-enumerable) and stores the controller under {@link LIFECYCLE}. Returns the same object.
 *
 * @example
 * const app = bindLifecycle(express(), createLifecycle({ app, settings, logger }));
 */
export function bindLifecycle(app: Application, lifecycle: LifecycleController): M8App {
  Object.defineProperties(app, {
    [LIFECYCLE]: { value: lifecycle, enumerable: false, configurable: false, writable: false },
    start: { value: () => lifecycle.start(), enumerable: false, configurable: true, writable: true },
    stop: { value: () => lifecycle.stop(), enumerable: false, configurable: true, writable: true },
    ready: { get: () => lifecycle.ready, enumerable: false, configurable: true },
  });
  return app as M8App;
}
