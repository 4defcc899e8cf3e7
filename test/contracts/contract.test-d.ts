/**
 * Type-level tests of contract(), run by `vitest --typecheck` (part of `npm test`, see vitest.config.ts): the
 * handlers after a contract see the schemas' outputs in strict TypeScript, with no annotation.
 */
import express, { type Request, type RequestHandler, type Response } from 'express';
import { type AuthDeps, type ContractHandler, contract } from 'express-m8';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';

declare const auth: AuthDeps;
const Item = z.object({ title: z.string(), qty: z.number().int(), tags: z.array(z.string()).default([]) });
type ItemOut = { title: string; qty: number; tags: string[] };

describe('contract() types', () => {
  it('types req.body after an auth guard, with no annotation', () => {
    const router = express.Router();
    router.post('/items', auth.requireUser, contract({ body: Item }), (req, res) => {
      expectTypeOf(req.body).toEqualTypeOf<ItemOut>();
      expectTypeOf(req.body.title).toBeString();
      res.status(201).json({ title: req.body.title });
    });
  });

  it('types req.params and req.query from their outputs (coercion included)', () => {
    const router = express.Router();
    router.get(
      '/shops/:shopId/items',
      contract({
        params: z.object({ shopId: z.coerce.number() }),
        query: z.object({ limit: z.coerce.number().default(20), sort: z.enum(['asc', 'desc']).optional() }),
      }),
      (req, res) => {
        expectTypeOf(req.params).toEqualTypeOf<{ shopId: number }>();
        expectTypeOf(req.query).toEqualTypeOf<{ limit: number; sort?: 'asc' | 'desc' | undefined }>();
        res.json({ shop: req.params.shopId + 1, limit: req.query.limit * 2 });
      },
    );
  });

  it('types string params and query after a guard too', () => {
    const router = express.Router();
    router.get(
      '/items/:id',
      auth.requireUser,
      contract({ params: z.object({ id: z.uuid() }), query: z.object({ q: z.string().optional() }) }),
      (req, res) => {
        expectTypeOf(req.params.id).toBeString();
        expectTypeOf(req.query.q).toEqualTypeOf<string | undefined>();
        res.end();
      },
    );
  });

  it("keeps Express's defaults for the parts the spec does not describe", () => {
    const handler = contract({ summary: 'Ping', headers: z.object({ 'x-tenant': z.string() }) });
    expectTypeOf(handler).toEqualTypeOf<
      RequestHandler<Request['params'], unknown, Request['body'], Request['query']>
    >();
  });

  it('is an Express RequestHandler carrying the output types as its generics', () => {
    const handler = contract({ body: Item, params: z.object({ id: z.string() }) });
    expectTypeOf(handler).toEqualTypeOf<
      ContractHandler<{ readonly body: typeof Item; readonly params: z.ZodObject<{ id: z.ZodString }> }>
    >();
    expectTypeOf(handler).toExtend<RequestHandler<{ id: string }, unknown, ItemOut, Request['query']>>();
  });

  it('rejects wrong uses at compile time', () => {
    const router = express.Router();
    router.post('/items', contract({ body: Item }), (req) => {
      // @ts-expect-error title is a string, not a number
      const n: number = req.body.title;
      // @ts-expect-error no such field in the schema's output
      req.body.missing;
      return n;
    });
    // @ts-expect-error a part must be a zod schema
    contract({ body: { title: 'string' } });
    // @ts-expect-error responses are schemas or descriptions
    contract({ responses: { 200: 5 } });
  });
});

describe('contract() types after auth guards', () => {
  const Params = z.object({ id: z.coerce.number().int() });
  const Query = z.object({ limit: z.coerce.number().default(20), full: z.stringbool().optional() });
  type QueryOut = { limit: number; full?: boolean | undefined };

  it('types numeric params and query and the body when a guard comes before the contract', () => {
    const router = express.Router();
    router.post(
      '/items/:id',
      auth.requireUser,
      contract({ params: Params, query: Query, body: Item }),
      (req, res) => {
        expectTypeOf(req.params).toEqualTypeOf<{ id: number }>();
        expectTypeOf(req.query).toEqualTypeOf<QueryOut>();
        expectTypeOf(req.body).toEqualTypeOf<ItemOut>();
        res.json({ next: req.params.id + 1, limit: req.query.limit * 2, title: req.body.title });
      },
    );
  });

  it('types them after several guards of every kind', () => {
    const router = express.Router();
    router.patch(
      '/items/:id',
      auth.requireUser,
      auth.requireRole('admin'),
      auth.requireScopes('items:write'),
      auth.requireAnyScope('items:admin', 'items:owner'),
      auth.requireClaim((claims) => claims.sub !== undefined, 'has a subject'),
      contract({ params: Params, query: Query, body: Item }),
      (req, res) => {
        expectTypeOf(req.params.id).toEqualTypeOf<number>();
        expectTypeOf(req.query.limit).toEqualTypeOf<number>();
        expectTypeOf(req.body.qty).toEqualTypeOf<number>();
        res.end();
      },
    );
    router.get(
      '/me/:id',
      auth.optionalUser,
      auth.requireSuperuser,
      contract({ params: Params }),
      (req, res) => {
        expectTypeOf(req.params).toEqualTypeOf<{ id: number }>();
        res.end();
      },
    );
  });

  it('types them on app routes, route() chains and routers mounted with app.use behind a guard', () => {
    const app = express();
    app.put('/items/:id', auth.requireWriter, contract({ params: Params, body: Item }), (req, res) => {
      expectTypeOf(req.params.id).toEqualTypeOf<number>();
      expectTypeOf(req.body).toEqualTypeOf<ItemOut>();
      res.end();
    });
    const router = express.Router();
    router
      .route('/items/:id')
      .get(auth.requireReader, contract({ params: Params, query: Query }), (req, res) => {
        expectTypeOf(req.params.id).toEqualTypeOf<number>();
        expectTypeOf(req.query).toEqualTypeOf<QueryOut>();
        res.end();
      })
      .delete(auth.requireAdmin, (req, res) => {
        expectTypeOf(req.params.id).toEqualTypeOf<string>();
        res.end();
      });
    app.use('/v1', auth.requireUser, router);
    app.use(auth.optionalUser);
  });

  it('types them in a nested router mounted behind a guard', () => {
    const shops = express.Router();
    const items = express.Router({ mergeParams: true });
    items.post(
      '/:id',
      auth.requireUser,
      contract({ params: z.object({ shopId: z.string(), id: z.coerce.number() }) }),
      (req, res) => {
        expectTypeOf(req.params).toEqualTypeOf<{ shopId: string; id: number }>();
        res.end();
      },
    );
    shops.use('/shops/:shopId/items', auth.requireUser, items);
    shops.use(auth.requireUser, items);
    express().use('/api', shops);
  });

  it('keeps a plain route after a guard typed from its path, as without the guard', () => {
    const router = express.Router();
    router.get('/shops/:shopId/items/:id', auth.requireUser, auth.requireRole('reader'), (req, res) => {
      expectTypeOf(req.params.shopId).toEqualTypeOf<string>();
      expectTypeOf(req.params.id).toEqualTypeOf<string>();
      expectTypeOf(req.query).toEqualTypeOf<Request['query']>();
      res.json({ id: req.params.id });
    });
    router.use(auth.requireUser, (req, _res, next) => {
      expectTypeOf(req.params).toEqualTypeOf<Request['params']>();
      next();
    });
    // A handler that names its own types still fits after a guard.
    router.get(
      '/typed/:id',
      auth.requireUser,
      (req: Request<{ id: string }>, res: Response<{ id: string }>) => {
        res.json({ id: req.params.id });
      },
    );
  });

  it('makes every guard an Express RequestHandler of any types', () => {
    expectTypeOf(auth.requireUser).toExtend<RequestHandler>();
    expectTypeOf(auth.requireRole('admin')).toExtend<
      RequestHandler<{ id: number }, unknown, ItemOut, QueryOut>
    >();
    const handlers: RequestHandler[] = [auth.requireUser, auth.requireScopes('a'), contract({ body: Item })];
    express.Router().post('/items', handlers);
  });

  it('still rejects wrong uses of the parsed types after a guard', () => {
    const router = express.Router();
    router.post('/items/:id', auth.requireUser, contract({ params: Params, body: Item }), (req) => {
      // @ts-expect-error the contract made id a number
      const id: string = req.params.id;
      // @ts-expect-error no such field in the schema's output
      req.body.missing;
      return id;
    });
  });
});
