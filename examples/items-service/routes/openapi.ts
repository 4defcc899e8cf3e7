/**
 * The OpenAPI 3.1 document served at `{API_PREFIX}/openapi.json` (Swagger UI at `{API_PREFIX}/docs`). Body
 * schemas come from the domain's zod schemas, so the document cannot drift from the validation.
 */
import { z } from 'zod';
import { itemPatchSchema, newItemSchema, PAGE_LIMIT_DEFAULT, PAGE_LIMIT_MAX } from '../domain/index.js';

function bodySchema(schema: z.ZodType): Record<string, unknown> {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, { io: 'input' });
  return rest;
}

const ITEM = {
  type: 'object',
  required: ['id', 'owner_id', 'title', 'description', 'done', 'created_at', 'updated_at'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    owner_id: { type: 'string', format: 'uuid', description: 'The `sub` of the token that created it' },
    title: { type: 'string' },
    description: { type: ['string', 'null'] },
    done: { type: 'boolean' },
    created_at: { type: 'string', format: 'date-time' },
    updated_at: { type: 'string', format: 'date-time' },
  },
};
const PROBLEM = {
  type: 'object',
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    code: { type: 'string' },
  },
};

const json = (schema: object) => ({ 'application/json': { schema } });
const problem = (description: string) => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});
const item = (description: string) => ({ description, content: json({ $ref: '#/components/schemas/Item' }) });
const list = {
  description: 'A page of items, newest first',
  content: json({
    type: 'object',
    properties: {
      items: { type: 'array', items: { $ref: '#/components/schemas/Item' } },
      limit: { type: 'integer' },
      offset: { type: 'integer' },
    },
  }),
};
const paging = [
  {
    name: 'limit',
    in: 'query',
    schema: { type: 'integer', minimum: 1, maximum: PAGE_LIMIT_MAX, default: PAGE_LIMIT_DEFAULT },
  },
  { name: 'offset', in: 'query', schema: { type: 'integer', minimum: 0, default: 0 } },
];
const idParam = { name: 'id', in: 'path', required: true, schema: { type: 'string', format: 'uuid' } };
const common = { 401: problem('No or invalid bearer token') };
const notFound = problem('No such item in your scope (someone else’s item is also 404)');

/**
 * The items API document, with the readiness and liveness probes under `apiPrefix`.
 * @example
 * createApp(settings, router, { openapi: itemsOpenApi({ apiPrefix: '/api', version: '1.0.0' }) });
 */
export function itemsOpenApi(options: { apiPrefix: string; version: string }): Record<string, unknown> {
  const p = options.apiPrefix;
  return {
    openapi: '3.1.0',
    info: { title: 'items-service', version: options.version },
    security: [{ bearerAuth: [] }],
    components: {
      schemas: {
        Item: ITEM,
        NewItem: bodySchema(newItemSchema),
        ItemPatch: bodySchema(itemPatchSchema),
        Problem: PROBLEM,
      },
    },
    paths: {
      '/items': {
        get: {
          summary: 'Your items',
          tags: ['items'],
          parameters: paging,
          responses: { 200: list, ...common },
        },
        post: {
          summary: 'Create an item',
          tags: ['items'],
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/NewItem' }) },
          responses: { 201: item('Created'), 400: problem('Invalid body'), ...common },
        },
      },
      '/items/{id}': {
        parameters: [idParam],
        get: {
          summary: 'One of your items',
          tags: ['items'],
          responses: { 200: item('The item'), 404: notFound, ...common },
        },
        patch: {
          summary: 'Update one of your items',
          tags: ['items'],
          requestBody: { required: true, content: json({ $ref: '#/components/schemas/ItemPatch' }) },
          responses: { 200: item('Updated'), 400: problem('Invalid body'), 404: notFound, ...common },
        },
        delete: {
          summary: 'Delete one of your items',
          tags: ['items'],
          responses: { 204: { description: 'Deleted' }, 404: notFound, ...common },
        },
      },
      '/admin/items': {
        get: {
          summary: "Every owner's items (admin)",
          tags: ['admin'],
          parameters: [
            ...paging,
            { name: 'owner_id', in: 'query', schema: { type: 'string', format: 'uuid' } },
          ],
          responses: { 200: list, 403: problem('Role below admin'), ...common },
        },
      },
      '/admin/items/{id}': {
        parameters: [idParam],
        get: {
          summary: 'Any item (admin)',
          tags: ['admin'],
          responses: { 200: item('The item'), 403: problem('Role below admin'), 404: notFound, ...common },
        },
        delete: {
          summary: 'Delete any item (admin)',
          tags: ['admin'],
          responses: {
            204: { description: 'Deleted' },
            403: problem('Role below admin'),
            404: notFound,
            ...common,
          },
        },
      },
      [`${p}/health/ready`]: {
        get: {
          summary: 'Readiness probe',
          tags: ['health'],
          security: [],
          responses: { 200: { description: 'Ready' }, 503: { description: 'Not ready' } },
        },
      },
      [`${p}/health/live`]: {
        get: {
          summary: 'Liveness probe',
          tags: ['health'],
          security: [],
          responses: { 200: { description: 'Alive' } },
        },
      },
    },
  };
}
