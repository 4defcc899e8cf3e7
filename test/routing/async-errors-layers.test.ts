/**
 * catchAsyncErrors on the layer shape of Express 4 (a router is a function with a `stack`; each layer has
 * `handle` and Layer#handle_request; a route layer has `route.stack`), built by hand so that the wrapping is
 * covered in the Express 5 run too. async-errors.test.ts runs the real thing over HTTP on both majors.
 * On Express 5 itself, catchAsyncErrors must leave every layer as it is.
 */
import express, { type RequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { catchAsyncErrors } from '../../src/routing/async-errors.js';
import { routeMetaOf, withRouteMeta } from '../../src/routing/route-meta.js';

type Handle = (...args: never[]) => unknown;
interface Layer {
  handle: Handle;
  handle_request: () => void;
  route?: { stack?: Layer[] };
  name?: string;
}

function handleRequest(): void {
  // Express 4's Layer#handle_request; its presence tells an Express 4 layer.
}
const layer = (handle: Handle, extra: Partial<Layer> = {}): Layer => ({
  handle,
  handle_request: handleRequest,
  ...extra,
});
function router(stack: Layer[]): Handle & { stack: Layer[] } {
  const fn = ((_req: unknown, _res: unknown, next: () => void) => next()) as unknown as Handle & {
    stack: Layer[];
  };
  fn.stack = stack;
  return fn;
}

/** Calls a (wrapped) request handler and resolves with what reaches next(), or 'none' after a few ticks. */
async function nextOf(handle: Handle, args: unknown[]): Promise<unknown> {
  let seen: unknown = 'none';
  const next = (err?: unknown) => {
    seen = err;
  };
  (handle as (...a: unknown[]) => unknown)(...args, next);
  for (let i = 0; i < 5; i++) await new Promise((resolve) => setImmediate(resolve));
  return seen;
}

describe('catchAsyncErrors on Express 4 layers', () => {
  it('hands the rejection of a request handler, a middleware and an error handler to next(err)', async () => {
    const boom = new Error('boom');
    const handler = async (_req: unknown, _res: unknown) => {
      await Promise.resolve();
      throw boom;
    };
    const middleware = async (_req: unknown, _res: unknown, _next: unknown) => {
      throw boom;
    };
    const errorHandler = async (_err: unknown, _req: unknown, _res: unknown, _next: unknown) => {
      throw boom;
    };
    const route = layer(router([]), { route: { stack: [layer(handler)] } });
    const use = layer(middleware);
    const onError = layer(errorHandler);
    catchAsyncErrors({ _router: router([use, route, onError]) });

    expect(await nextOf(route.route?.stack?.[0]?.handle as Handle, [{}, {}])).toBe(boom);
    expect(await nextOf(use.handle, [{}, {}])).toBe(boom);
    expect(await nextOf(onError.handle, [new Error('first'), {}, {}])).toBe(boom);
    // Arity and name kept: Express 4 tells error handlers by fn.length and its own layers by name.
    expect(use.handle.length).toBe(3);
    expect(onError.handle.length).toBe(4);
    expect(use.handle.name).toBe('middleware');
    expect(use.handle).not.toBe(middleware);
  });

  it('gives a rejection without a reason an Error, and leaves fulfilled and synchronous handlers alone', async () => {
    const noReason = layer(async (_req: unknown, _res: unknown) => Promise.reject(undefined));
    const fine = layer(async (_req: unknown, _res: unknown) => 'done');
    const sync = layer((_req: unknown, _res: unknown, next: (e?: unknown) => void) => next('sync'));
    const thenable = layer((_req: unknown, _res: unknown) => ({
      // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a Promise is the case under test
      then: (_ok: unknown, fail: (e: unknown) => void) => fail('thenable failed'),
    }));
    catchAsyncErrors(router([noReason, fine, sync, thenable]));

    const reason = await nextOf(noReason.handle, [{}, {}]);
    expect(reason).toBeInstanceOf(Error);
    expect((reason as Error).message).toBe('Rejected promise');
    expect(await nextOf(fine.handle, [{}, {}])).toBe('none');
    expect(await nextOf(sync.handle, [{}, {}])).toBe('sync');
    expect(await nextOf(thenable.handle, [{}, {}])).toBe('thenable failed');
  });

  it('carries the route meta and the marks of the original, and leaves handles of other arities alone', () => {
    const guard = withRouteMeta((_req: unknown, _res: unknown, _next: unknown) => undefined, {
      kind: 'auth',
      role: 'admin',
    });
    const authMark = Symbol.for('express-m8.authGuard');
    const noBodyMark = Symbol.for('express-m8.noBody');
    (guard as unknown as Record<symbol, unknown>)[authMark] = true;
    const plain = (_req: unknown, _res: unknown, _next: unknown) => undefined;
    const five = (_a: unknown, _b: unknown, _c: unknown, _d: unknown, _e: unknown) => undefined;
    const guarded = layer(guard);
    const unmarked = layer(plain);
    const odd = layer(five);
    const notAFunction = layer('nope' as unknown as Handle);
    catchAsyncErrors(router([guarded, unmarked, odd, notAFunction]));

    const wrapped = guarded.handle as unknown as Record<symbol, unknown>;
    expect(guarded.handle).not.toBe(guard);
    expect(routeMetaOf(guarded.handle)).toEqual([{ kind: 'auth', role: 'admin' }]);
    expect(wrapped[authMark]).toBe(true);
    expect(wrapped[noBodyMark]).toBeUndefined();
    expect(wrapped[Symbol.for('express-m8.forwardsRejections')]).toBe(true);
    expect(routeMetaOf(unmarked.handle)).toEqual([]);
    expect(odd.handle).toBe(five);
    expect(notAFunction.handle).toBe('nope');
  });

  it('wraps each layer once, walks mounted routers (once each, also when mounted twice or in a cycle)', () => {
    const leaf = (_req: unknown, _res: unknown) => undefined;
    const leafLayer = layer(leaf);
    const child = router([leafLayer]);
    const mountA = layer(child);
    const mountB = layer(child);
    const root = router([mountA, mountB]);
    child.stack.push(layer(root)); // a cycle: the child mounts the root
    catchAsyncErrors(root);
    const once = leafLayer.handle;
    expect(once).not.toBe(leaf);
    // Idempotent: a second walk wraps nothing again, even after a mount's handle was replaced.
    mountA.handle = (_req: unknown, _res: unknown) => undefined;
    catchAsyncErrors(root);
    expect(leafLayer.handle).toBe(once);
    // The mount layers themselves are not wrapped: they are walked.
    expect(mountB.handle).toBe(child);
  });

  it('stops at a fixed depth of nested routers', () => {
    const deepest = layer((_req: unknown, _res: unknown) => undefined);
    let inner = router([deepest]);
    const original = deepest.handle;
    for (let i = 0; i < 40; i++) inner = router([layer(inner)]);
    catchAsyncErrors(inner);
    expect(deepest.handle).toBe(original);
    const shallow = layer((_req: unknown, _res: unknown) => undefined);
    const shallowOriginal = shallow.handle;
    catchAsyncErrors(router([layer(router([shallow]))]));
    expect(shallow.handle).not.toBe(shallowOriginal);
  });

  it('accepts an app (`_router` or `router`) or a router, and ignores anything else', () => {
    const a = layer((_req: unknown, _res: unknown) => undefined);
    const b = layer((_req: unknown, _res: unknown) => undefined);
    const aBefore = a.handle;
    const bBefore = b.handle;
    catchAsyncErrors({ router: router([a]) });
    catchAsyncErrors(() => undefined);
    catchAsyncErrors({ _router: 'no', router: router([b]) });
    expect(a.handle).not.toBe(aBefore);
    expect(b.handle).not.toBe(bBefore);
    expect(() => catchAsyncErrors(null)).not.toThrow();
    expect(() => catchAsyncErrors(7)).not.toThrow();
    expect(() => catchAsyncErrors({})).not.toThrow();
  });
});

describe('catchAsyncErrors on an Express 5 app', () => {
  it.runIf(typeof (express() as { lazyrouter?: unknown }).lazyrouter !== 'function')(
    'leaves every layer as it is (router 2 forwards rejections itself)',
    () => {
      const handler: RequestHandler = async () => undefined;
      const nested = express.Router();
      nested.get('/x', handler);
      const app = express();
      app.use('/n', nested);
      app.get('/y', handler);
      const handles = (r: { stack: { handle: unknown; route?: { stack: { handle: unknown }[] } }[] }) =>
        r.stack.flatMap((l) => [l.handle, ...(l.route?.stack.map((i) => i.handle) ?? [])]);
      const root = (app as unknown as { router: Parameters<typeof handles>[0] }).router;
      const before = [...handles(root), ...handles(nested as unknown as Parameters<typeof handles>[0])];
      catchAsyncErrors(app);
      const after = [...handles(root), ...handles(nested as unknown as Parameters<typeof handles>[0])];
      expect(after).toEqual(before);
      expect(after).toContain(handler);
    },
  );
});
