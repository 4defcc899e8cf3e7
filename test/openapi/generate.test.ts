import express from 'express';
import { buildAuthDeps, createApp, type M8App } from 'express-m8';
import { testSettings } from 'express-m8/testing';
import request from 'supertest';
import { afterEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { withRouteMeta } from '../../src/routing/index.js';
import { EXPRESS_4 } from '../express-version.js';
import { contractStandIn as contract, openApiErrors, operation } from './helpers.js';

type Json = Record<string, unknown>;

const apps: M8App[] = [];
afterEach(async () => {
  await Promise.allSettled(apps.splice(0).map((app) => app.stop()));
});

const Item = z.object({
  title: z.string().min(1).describe('What the item is called'),
  done: z.boolean().default(false),
});
const ItemOut = Item.extend({ id: z.number().int() });

function ordersApp(overrides: Parameters<typeof testSettings>[0] = {}, openapi?: object) {
  const settings = testSettings(overrides);
  const auth = buildAuthDeps(settings);
  const requireScopes = withRouteMeta(
    (_req: express.Request, _res: express.Response, next: express.NextFunction) => next(),
    { kind: 'auth', scopes: ['items:write', 'items:read'] },
  );
  const lines = express.Router({ mergeParams: true });
  lines.get('/:lineId', (_req, res) => {
    res.json({});
  });
  lines.delete('/:lineId', auth.requireRole('admin'), (_req, res) => {
    res.status(204).end();
  });
  const router = express.Router();
  router.get('/public/:slug', (_req, res) => {
    res.json({});
  });
  router.get('/maybe', auth.optionalUser, (_req, res) => {
    res.json({});
  });
  router.post(
    '/items',
    auth.requireUser,
    contract({
      summary: 'Create an item',
      description: 'Adds one item.',
      tags: ['items'],
      operationId: 'createItem',
      body: Item,
      headers: z.object({ 'x-request-source': z.string().optional() }),
      responses: { 201: ItemOut, 409: 'An item with this title exists' },
    }),
    (_req, res) => {
      res.status(201).json({});
    },
  );
  router.get(
    '/items/:id',
    requireScopes,
    contract({
      params: z.object({ id: z.coerce.number().int().positive() }),
      query: z.object({ expand: z.enum(['lines']).optional(), limit: z.coerce.number().max(100) }),
      responses: { 200: ItemOut },
      deprecated: true,
    }),
    (_req, res) => {
      res.json({});
    },
  );
  router.use('/orders/:orderId/lines', lines);
  const admin = express.Router();
  admin.use(auth.requireSuperuser);
  admin.get('/stats', (_req, res) => {
    res.json({});
  });
  router.use('/admin', admin);
  const app = createApp(settings, router, { lifecycle: { auth }, openapi });
  apps.push(app);
  return { app, router };
}

async function documentOf(app: M8App): Promise<Json> {
  const res = await request(app).get('/api/openapi.json').expect(200);
  return res.body as Json;
}

describe('the generated OpenAPI document', () => {
  it('is valid OpenAPI 3.1 and lists every consumer route, mount paths included, next to the built-ins', async () => {
    const { app } = ordersApp();
    const doc = await documentOf(app);
    expect(await openApiErrors(doc)).toEqual([]);
    expect(doc.openapi).toBe('3.1.0');
    expect(Object.keys(doc.paths as Json)).toEqual(
      expect.arrayContaining([
        '/api/health/live',
        '/public/{slug}',
        '/maybe',
        '/items',
        '/items/{id}',
        '/orders/{orderId}/lines/{lineId}',
        '/admin/stats',
      ]),
    );
    expect(Object.keys((doc.paths as Json)['/orders/{orderId}/lines/{lineId}'] as Json)).toEqual([
      'get',
      'delete',
    ]);
  });

  it('documents a route without a contract with its path parameters, as required strings', async () => {
    const doc = await documentOf(ordersApp().app);
    const op = operation(doc, '/orders/{orderId}/lines/{lineId}', 'get');
    expect(op.parameters).toEqual([
      { name: 'orderId', in: 'path', required: true, schema: { type: 'string' } },
      { name: 'lineId', in: 'path', required: true, schema: { type: 'string' } },
    ]);
    expect(op.security).toBeUndefined();
    expect(Object.keys(op.responses as Json)).toEqual(['default']);
  });

  it("turns a contract's zod schemas into parameters, a JSON request body and responses", async () => {
    const doc = await documentOf(ordersApp().app);
    const create = operation(doc, '/items', 'post');
    expect(create).toMatchObject({
      operationId: 'createItem',
      summary: 'Create an item',
      tags: ['items'],
      parameters: [{ name: 'x-request-source', in: 'header', required: false, schema: { type: 'string' } }],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              // Input side: `done` has a default, so a client may leave it out.
              required: ['title'],
              properties: { title: { type: 'string', minLength: 1, description: 'What the item is called' } },
            },
          },
        },
      },
    });
    const responses = create.responses as Record<string, Json>;
    expect(responses['201']).toMatchObject({
      description: 'Created',
      content: { 'application/json': { schema: { required: ['title', 'done', 'id'] } } },
    });
    expect(responses['409']).toEqual({ description: 'An item with this title exists' });
    expect(responses['415']).toBeDefined();

    const get = operation(doc, '/items/{id}', 'get');
    expect(get.deprecated).toBe(true);
    expect(get.parameters).toEqual([
      { name: 'id', in: 'path', required: true, schema: expect.objectContaining({ type: 'integer' }) },
      { name: 'expand', in: 'query', required: false, schema: { type: 'string', enum: ['lines'] } },
      { name: 'limit', in: 'query', required: true, schema: expect.objectContaining({ maximum: 100 }) },
    ]);
  });

  it('documents the validation problem (400) on every contract route, referencing the shared Problem', async () => {
    const doc = await documentOf(ordersApp().app);
    for (const [path, method] of [
      ['/items', 'post'],
      ['/items/{id}', 'get'],
    ] as const) {
      const bad = (operation(doc, path, method).responses as Record<string, Json>)['400'];
      expect(bad).toMatchObject({
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      });
    }
    expect((operation(doc, '/public/{slug}', 'get').responses as Json)['400']).toBeUndefined();
    const problem = (doc.components as { schemas: Record<string, Json> }).schemas.Problem as Json;
    expect(Object.keys(problem.properties as Json)).toEqual(
      expect.arrayContaining(['type', 'title', 'status', 'detail', 'code', 'errors']),
    );
  });

  it('secures only guarded routes, with the bearerAuth scheme, 401/403 problems and the requirement', async () => {
    const doc = await documentOf(ordersApp().app);
    expect((doc.components as Json).securitySchemes).toEqual({
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
    });
    expect(doc.security).toBeUndefined();
    const create = operation(doc, '/items', 'post');
    expect(create.security).toEqual([{ bearerAuth: [] }]);
    expect(create.description).toBe('Adds one item.\n\nRequires a bearer token.');
    const responses = create.responses as Record<string, Json>;
    for (const status of ['401', '403']) {
      expect(responses[status]).toMatchObject({
        content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
      });
    }
    // Stateless HS256: no remote call a guard could wait on, so no 503.
    expect(responses['503']).toBeUndefined();

    const del = operation(doc, '/orders/{orderId}/lines/{lineId}', 'delete');
    expect(del['x-required-role']).toBe('admin');
    expect(del.description).toContain('Requires the role `admin` or higher.');
    const scoped = operation(doc, '/items/{id}', 'get');
    expect(scoped['x-required-scopes']).toEqual(['items:write', 'items:read']);
    expect(scoped.description).toContain('Requires the scopes `items:write`, `items:read`.');
    expect(operation(doc, '/public/{slug}', 'get').security).toBeUndefined();
  });

  it('marks an optional guard as optional security, and a router-level guard on every route below it', async () => {
    const doc = await documentOf(ordersApp().app);
    expect(operation(doc, '/maybe', 'get').security).toEqual([{ bearerAuth: [] }, {}]);
    const stats = operation(doc, '/admin/stats', 'get');
    expect(stats.security).toEqual([{ bearerAuth: [] }]);
    expect(stats['x-required-role']).toBe('superuser');
  });

  it('lists the apiKeyAuth scheme (X-API-Key) beside bearerAuth on guarded routes when API keys are on', async () => {
    const { app } = ordersApp({
      API_KEYS: 'introspect',
      INTROSPECTION_URL: 'http://127.0.0.1:9/private/v1/jti-status',
      PRIVATE_API_SECRET: 'private-API-secret-0123456789-abcdef!',
      INTERNAL_CLIENT_ID: 'orders',
    });
    const doc = await documentOf(app);
    expect((doc.components as Json).securitySchemes).toEqual({
      bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
      apiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
    });
    expect(operation(doc, '/items', 'post').security).toEqual([{ bearerAuth: [] }, { apiKeyAuth: [] }]);
    expect(operation(doc, '/maybe', 'get').security).toEqual([{ bearerAuth: [] }, { apiKeyAuth: [] }, {}]);
    expect(operation(doc, '/public/{slug}', 'get').security).toBeUndefined();
    expect(await openApiErrors(doc)).toEqual([]);
  });

  it('documents 503 on guarded routes when revocation checks can answer it', async () => {
    const { app } = ordersApp({
      TOKEN_MODE: 'stateful',
      INTROSPECTION_URL: 'http://127.0.0.1:9/check',
      PRIVATE_API_SECRET: 'private-API-secret-0123456789-abcdef!',
    });
    const doc = await documentOf(app);
    expect((operation(doc, '/items', 'post').responses as Json)['503']).toBeDefined();
    expect((operation(doc, '/public/{slug}', 'get').responses as Json)['503']).toBeUndefined();
    expect(await openApiErrors(doc)).toEqual([]);
  });

  it('is built again at start() and then kept: routes added after start are not listed', async () => {
    const { app, router } = ordersApp();
    router.get('/before-start', (_req, res) => {
      res.json({});
    });
    await app.start();
    router.get('/after-start', (_req, res) => {
      res.json({});
    });
    const paths = Object.keys((await documentOf(app)).paths as Json);
    expect(paths).toContain('/before-start');
    expect(paths).not.toContain('/after-start');
  });

  it('moves the definitions of recursive schemas to components.schemas', async () => {
    interface Node {
      name: string;
      children: Node[];
    }
    const NodeSchema: z.ZodType<Node> = z.object({
      name: z.string(),
      get children() {
        return z.array(NodeSchema);
      },
    });
    const router = express.Router();
    router.put('/tree', contract({ body: z.object({ root: NodeSchema }) }), (_req, res) => {
      res.end();
    });
    const app = createApp(testSettings(), router);
    apps.push(app);
    const doc = await documentOf(app);
    const body = (operation(doc, '/tree', 'put').requestBody as { content: Record<string, { schema: Json }> })
      .content['application/json']?.schema as { properties: Record<string, Json> };
    const ref = body.properties.root?.$ref as string;
    expect(ref).toMatch(/^#\/components\/schemas\/Schema\d+$/);
    const name = ref.split('/').pop() as string;
    expect((doc.components as { schemas: Json }).schemas).toHaveProperty(name);
    expect(await openApiErrors(doc)).toEqual([]);
  });

  it.skipIf(EXPRESS_4)(
    'turns optional segments into one path each and a splat into a path parameter',
    async () => {
      const router = express.Router();
      router.get('/files{/:name}', (_req, res) => {
        res.end();
      });
      router.get('/static/*rest', (_req, res) => {
        res.end();
      });
      const app = createApp(testSettings(), router);
      apps.push(app);
      const doc = await documentOf(app);
      expect(operation(doc, '/files', 'get').parameters).toBeUndefined();
      expect(operation(doc, '/files/{name}', 'get').parameters).toEqual([
        { name: 'name', in: 'path', required: true, schema: { type: 'string' } },
      ]);
      expect(operation(doc, '/static/{rest}', 'get').parameters).toEqual([
        expect.objectContaining({ name: 'rest', description: 'The rest of the path; may contain `/`.' }),
      ]);
      expect(await openApiErrors(doc)).toEqual([]);
    },
  );

  it.runIf(EXPRESS_4)(
    'reads Express 4 mount paths back from their regexps, optional parameters too',
    async () => {
      const inner = express.Router();
      inner.get('/:id?', (_req, res) => {
        res.end();
      });
      const router = express.Router();
      router.use('/shops/:shopId/items', inner);
      const app = createApp(testSettings(), router);
      apps.push(app);
      const paths = Object.keys((await documentOf(app)).paths as Json);
      expect(paths).toEqual(expect.arrayContaining(['/shops/{shopId}/items', '/shops/{shopId}/items/{id}']));
    },
  );
});
