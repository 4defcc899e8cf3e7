/**
 * listRoutes over real Express router trees (the repo's Express, or Express 4 in CI's Express 4 job): nested
 * routers, app.use mounts, `all`, `route()` chains, array and regexp paths, guards before routes, and the
 * mounts whose path cannot be known. The Express 4 mount regexps are read back from the layer shape
 * Express 4 builds, entered here by hand so the Express 5 run covers that reader too.
 */
import express, { type RequestHandler } from 'express';
import { describe, expect, it } from 'vitest';
import { listRoutes } from '../../src/routing/route-list.js';
import { type RouteMeta, withRouteMeta } from '../../src/routing/route-meta.js';

const ok: RequestHandler = (_req, res) => {
  res.end();
};
const pass: RequestHandler = (_req, _res, next) => {
  next();
};
function tagged(meta: RouteMeta): RequestHandler {
  return withRouteMeta<RequestHandler>((_req, _res, next) => next(), meta);
}

const pairs = (app: unknown) => listRoutes(app).map((r) => `${r.method} ${r.path}`);

describe('listRoutes', () => {
  it('joins the mount paths of nested routers under an app, in registration order', () => {
    const items = express.Router({ mergeParams: true });
    items.get('/items/:id', ok);
    items.delete('/items/:id', ok);
    const orders = express.Router();
    orders.get('/', ok);
    orders.use('/:orderId', items);
    const app = express();
    app.use(express.json());
    app.use('/api/orders', orders);
    app.get('/health', ok);
    expect(pairs(app)).toEqual([
      'get /api/orders/',
      'get /api/orders/:orderId/items/:id',
      'delete /api/orders/:orderId/items/:id',
      'get /health',
    ]);
  });

  it('documents `all` as the five methods an API client uses, and each method of a route() chain', () => {
    const router = express.Router();
    router.all('/any', ok);
    router.route('/chain').get(ok).post(ok);
    expect(pairs(router)).toEqual([
      'get /any',
      'post /any',
      'put /any',
      'patch /any',
      'delete /any',
      'get /chain',
      'post /chain',
    ]);
  });

  it('lists each string of an array path and leaves regexp paths out', () => {
    const router = express.Router();
    router.get(['/a', /^\/re(?:gex)?$/, '/b'], ok);
    router.get(/^\/only-regex$/, ok);
    expect(pairs(router)).toEqual(['get /a', 'get /b']);
  });

  it('drops the trailing slash of a mount path and an empty root mount; skips mounts it cannot name', () => {
    const inner = express.Router();
    inner.get('/x', ok);
    const app = express.Router();
    app.use('/v1/', inner);
    app.use('/', inner);
    app.use(/^\/re/, inner);
    app.use(['/p', '/q'], inner);
    expect(pairs(app)).toEqual(['get /v1/x', 'get /x']);
  });

  it('gives a route the guards used before it on its router and above, then its own handler meta for its method', () => {
    const user = tagged({ kind: 'auth' });
    const admin = tagged({ kind: 'auth', role: 'admin' });
    const getContract = tagged({ kind: 'contract', spec: { summary: 'read' } });
    const postContract = tagged({ kind: 'contract', spec: { summary: 'write' } });
    const inner = express.Router();
    inner.get('/open', ok);
    inner.use(admin);
    inner.route('/doc').get(getContract, ok).post(postContract, ok);
    const app = express.Router();
    app.get('/before', ok);
    app.use(user);
    app.use(pass); // untagged middleware: adds nothing
    app.use('/admin', inner);
    const routes = listRoutes(app);
    const meta = (method: string, path: string) =>
      routes.find((r) => r.method === method && r.path === path)?.meta;
    expect(meta('get', '/before')).toEqual([]);
    expect(meta('get', '/admin/open')).toEqual([{ kind: 'auth' }]);
    expect(meta('get', '/admin/doc')).toEqual([
      { kind: 'auth' },
      { kind: 'auth', role: 'admin' },
      { kind: 'contract', spec: { summary: 'read' } },
    ]);
    expect(meta('post', '/admin/doc')).toEqual([
      { kind: 'auth' },
      { kind: 'auth', role: 'admin' },
      { kind: 'contract', spec: { summary: 'write' } },
    ]);
    // The guard of the inner router does not leak to the routes of the outer one.
    expect(routes).toHaveLength(4);
  });

  it('stops walking a router mounted inside itself at a fixed depth', () => {
    const router = express.Router();
    router.get('/r', ok);
    router.use('/s', router);
    const paths = pairs(router);
    expect(paths).toHaveLength(33);
    expect(paths[0]).toBe('get /r');
    expect(paths[2]).toBe('get /s/s/r');
  });

  it('lists nothing for what is no app or router', () => {
    expect(listRoutes(null)).toEqual([]);
    expect(listRoutes(42)).toEqual([]);
    expect(listRoutes({})).toEqual([]);
    expect(listRoutes(() => undefined)).toEqual([]);
  });
});

/** A router of Express 4's shape: a function with a `stack` of layers that keep only a mount regexp. */
function legacyRouter(layers: readonly object[]): RequestHandler & { stack: object[] } {
  const fn = ((_req, _res, next) => next()) as RequestHandler & { stack: object[] };
  fn.stack = [...layers];
  return fn;
}
/** The mount regexps path-to-regexp@0.1 makes for `use` (end: false): sources as Express 4.22 builds them. */
const legacyMount = (source: string) => new RegExp(`^${source}\\/?(?=\\/|$)`, 'i');

describe('listRoutes on Express 4 mount layers (regexp only, no rawPath)', () => {
  it('reads plain, parameterised, optional-parameter and root mount paths back from their regexps', () => {
    const inner = express.Router();
    inner.get('/x', ok);
    const root = Object.assign(/^\/?(?=\/|$)/i, { fast_slash: true });
    const app = legacyRouter([
      { handle: inner, regexp: legacyMount('\\/orders(?:\\/([^/]+?))'), keys: [{ name: 'orderId' }] },
      {
        handle: inner,
        regexp: legacyMount('\\/files(?:\\/([^/]+?))?'),
        keys: [{ name: 'name', optional: true }],
      },
      { handle: inner, regexp: legacyMount('\\/a\\.b'), keys: [] },
      { handle: inner, regexp: root, keys: [] },
    ]);
    expect(pairs({ _router: app })).toEqual([
      'get /orders/:orderId/x',
      'get /files/:name?/x',
      'get /a.b/x',
      'get /x',
    ]);
  });

  it('skips a mount whose regexp was not made from a plain path, or has no regexp at all', () => {
    const inner = express.Router();
    inner.get('/x', ok);
    const guard = tagged({ kind: 'auth' });
    const app = legacyRouter([
      { handle: inner, regexp: /^\/re.*$/i, keys: [] }, // a consumer's own regexp
      { handle: inner, regexp: legacyMount('\\/(?:\\/([^/]+?))'), keys: [] }, // more groups than keys
      { handle: inner, regexp: legacyMount('\\/star(.*)'), keys: [{ name: 0 }] },
      { handle: inner },
      { handle: guard, regexp: Object.assign(/^\/?(?=\/|$)/i, { fast_slash: true }), keys: [] },
      { handle: inner, regexp: legacyMount('\\/ok'), keys: [] },
    ]);
    const routes = listRoutes(app);
    expect(routes.map((r) => r.path)).toEqual(['/ok/x']);
    expect(routes[0]?.meta).toEqual([{ kind: 'auth' }]);
  });
});
