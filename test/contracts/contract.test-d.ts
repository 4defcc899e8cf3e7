/**
 * Type-level tests of contract(), run by `vitest --typecheck` (part of `npm test`, see vitest.config.ts): the
 * handlers after a contract see the schemas' outputs in strict TypeScript, with no annotation.
 */
import express, { type Request, type RequestHandler } from 'express';
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
