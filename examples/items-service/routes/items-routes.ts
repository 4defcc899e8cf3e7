/**
 * HTTP for items: parse and validate, call the service, shape the JSON. Domain errors become express-m8
 * errors here, which the app's error handler renders as problem+json with a stable `code`.
 */
import express, { type ErrorRequestHandler, type Request, type Router } from 'express';
import { type AuthDeps, AuthError, contract, HttpError } from 'express-m8';
import {
  type Item,
  ItemForbiddenError,
  ItemNotFoundError,
  ItemValidationError,
  parseItemPatch,
  parseNewItem,
} from '../domain/index.js';
import type { Actor, ItemsService } from '../service/index.js';
import { itemsContracts as c } from './openapi.js';

/** The JSON of an item on the wire (snake_case, like the tokens and health bodies). */
export interface ItemJson {
  id: string;
  owner_id: string;
  title: string;
  description: string | null;
  done: boolean;
  created_at: string;
  updated_at: string;
}

function toJson(item: Item): ItemJson {
  return {
    id: item.id,
    owner_id: item.ownerId,
    title: item.title,
    description: item.description,
    done: item.done,
    created_at: item.createdAt.toISOString(),
    updated_at: item.updatedAt.toISOString(),
  };
}

const ADMIN_ROLES: ReadonlySet<string> = new Set(['admin', 'superadmin']);

function actorOf(req: Pick<Request, 'user'>): Actor {
  // requireUser ran before every handler here, so req.user is set.
  const user = req.user!;
  return { id: user.id, isAdmin: ADMIN_ROLES.has(user.role) };
}

/** Domain errors → HTTP errors; anything else goes on to the app's handler (500, logged). */
const mapDomainErrors: ErrorRequestHandler = function mapDomainErrors(err: unknown, _req, _res, next) {
  if (err instanceof ItemNotFoundError) {
    // 404 for "not yours" too: a 403 would confirm that the id exists.
    next(new HttpError('ERR_HTTP_NOT_FOUND', 404, 'Item not found.'));
  } else if (err instanceof ItemValidationError) {
    next(new HttpError('ERR_HTTP_BAD_REQUEST', 400, `Invalid request: ${err.message}.`));
  } else if (err instanceof ItemForbiddenError) {
    next(new AuthError('ERR_AUTH_INSUFFICIENT_ROLE', 403, "The user doesn't have enough privileges"));
  } else {
    next(err);
  }
};

/**
 * The items router: `/items` for every signed-in user (their own items), `/admin/items` for admins.
 * Mount it at the root with `createApp(settings, router, …)`.
 * @example
 * const router = createItemsRouter({ auth: buildAuthDeps(settings), service });
 */
export function createItemsRouter(deps: { auth: AuthDeps; service: ItemsService }): Router {
  const { auth, service } = deps;
  const router = express.Router();

  // After the guard, the handler sees the contract's parsed output: req.query is { limit: number; offset: number }.
  router.get('/items', auth.requireUser, contract(c.list), async (req, res) => {
    const page = req.query;
    const items = await service.list(actorOf(req), page);
    res.json({ items: items.map(toJson), limit: page.limit, offset: page.offset });
  });
  router.post('/items', auth.requireUser, contract(c.create), async (req, res) => {
    const item = await service.create(actorOf(req), parseNewItem(req.body));
    res.status(201).location(`/items/${item.id}`).json(toJson(item));
  });
  router.get('/items/:id', auth.requireUser, contract(c.get), async (req, res) => {
    res.json(toJson(await service.get(actorOf(req), req.params.id)));
  });
  router.patch('/items/:id', auth.requireUser, contract(c.update), async (req, res) => {
    const patch = parseItemPatch(req.body);
    res.json(toJson(await service.update(actorOf(req), req.params.id, patch)));
  });
  router.delete('/items/:id', auth.requireUser, contract(c.delete), async (req, res) => {
    await service.delete(actorOf(req), req.params.id);
    res.status(204).end();
  });

  router.get('/admin/items', auth.requireAdmin, contract(c.adminList), async (req, res) => {
    const { limit, offset, owner_id: owner } = req.query;
    const page = { limit, offset };
    const items = await service.listAny(actorOf(req), page, owner);
    res.json({ items: items.map(toJson), limit: page.limit, offset: page.offset });
  });
  router.get('/admin/items/:id', auth.requireAdmin, contract(c.adminGet), async (req, res) => {
    res.json(toJson(await service.getAny(actorOf(req), req.params.id)));
  });
  router.delete('/admin/items/:id', auth.requireAdmin, contract(c.adminDelete), async (req, res) => {
    await service.deleteAny(actorOf(req), req.params.id);
    res.status(204).end();
  });

  router.use(mapDomainErrors);
  return router;
}
