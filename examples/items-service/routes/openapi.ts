/**
 * What the items routes accept and answer, as route contracts: `contract(spec)` validates each request with
 * these zod schemas (the domain's own) and the OpenAPI document at `{API_PREFIX}/openapi.json` is generated
 * from the same specs, so the documentation cannot drift from the validation.
 */
import { z } from 'zod';
import { itemPatchSchema, newItemSchema, pageSchema } from '../domain/index.js';

/** An item on the wire (snake_case, like the tokens and health bodies). */
export const itemJsonSchema = z
  .object({
    id: z.uuid(),
    owner_id: z.uuid().describe('The `sub` of the token that created it'),
    title: z.string(),
    description: z.string().nullable(),
    done: z.boolean(),
    created_at: z.iso.datetime(),
    updated_at: z.iso.datetime(),
  })
  .meta({ id: 'Item' });

const itemPage = z.object({
  items: z.array(itemJsonSchema).describe('Newest first'),
  limit: z.number().int(),
  offset: z.number().int(),
});
const idParams = z.object({ id: z.string().describe('The item id (a UUID; anything else is 404)') });
const notFound = 'No such item in your scope (someone else’s item is also 404)';

/** The contract specs of the items routes, by route. */
export const itemsContracts = {
  list: { summary: 'Your items', tags: ['items'], query: pageSchema, responses: { 200: itemPage } },
  create: {
    summary: 'Create an item',
    tags: ['items'],
    body: newItemSchema.meta({ id: 'NewItem' }),
    responses: { 201: itemJsonSchema },
  },
  get: {
    summary: 'One of your items',
    tags: ['items'],
    params: idParams,
    responses: { 200: itemJsonSchema, 404: notFound },
  },
  update: {
    summary: 'Update one of your items',
    tags: ['items'],
    params: idParams,
    body: itemPatchSchema.meta({ id: 'ItemPatch' }),
    responses: { 200: itemJsonSchema, 404: notFound },
  },
  delete: {
    summary: 'Delete one of your items',
    tags: ['items'],
    params: idParams,
    responses: { 204: 'Deleted', 404: notFound },
  },
  adminList: {
    summary: 'Every owner’s items (admin)',
    tags: ['admin'],
    query: pageSchema.extend({ owner_id: z.uuid({ error: 'owner_id must be a UUID' }).optional() }),
    responses: { 200: itemPage },
  },
  adminGet: {
    summary: 'Any item (admin)',
    tags: ['admin'],
    params: idParams,
    responses: { 200: itemJsonSchema, 404: 'No such item' },
  },
  adminDelete: {
    summary: 'Delete any item (admin)',
    tags: ['admin'],
    params: idParams,
    responses: { 204: 'Deleted', 404: 'No such item' },
  },
} as const;

/**
 * What the generated document cannot know: the API's description and its tags. Merged over the generated
 * document by `createApp`.
 * @example
 * createApp(settings, router, { openapi: itemsOpenApi({ version: '1.0.0' }) });
 */
export function itemsOpenApi(options: { version: string }): Record<string, unknown> {
  return {
    info: {
      title: 'items-service',
      version: options.version,
      description: 'A to-do list per user, and an admin view of every list. Authorize with a bearer token.',
    },
    tags: [
      { name: 'items', description: 'The caller’s own items' },
      { name: 'admin', description: 'Every user’s items (role admin)' },
    ],
  };
}
