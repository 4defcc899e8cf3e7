/**
 * The item: its shape and its rules. Plain TypeScript and zod, no Express and no SQL, so the rules can be
 * tested and reused anywhere (a queue consumer, a CLI) without the HTTP layer.
 */
import { z } from 'zod';
import { ItemValidationError } from './errors.js';

/** A to-do item as the service sees it; `ownerId` is the `sub` (user UUID) of the token that created it. */
export interface Item {
  readonly id: string;
  readonly ownerId: string;
  readonly title: string;
  readonly description: string | null;
  readonly done: boolean;
  readonly createdAt: Date;
  readonly updatedAt: Date;
}

/** What a caller may set when creating an item (already validated). */
export interface NewItem {
  readonly title: string;
  readonly description: string | null;
  readonly done: boolean;
}

/** A partial update (already validated); absent fields stay as they are. */
export interface ItemPatch {
  readonly title?: string;
  readonly description?: string | null;
  readonly done?: boolean;
}

/** Paging of list queries. */
export interface Page {
  readonly limit: number;
  readonly offset: number;
}

export const TITLE_MAX = 200;
export const DESCRIPTION_MAX = 2000;
export const PAGE_LIMIT_MAX = 100;
export const PAGE_LIMIT_DEFAULT = 50;

const title = z
  .string({ error: (issue) => (issue.input === undefined ? 'title is required' : 'title must be a string') })
  .trim()
  .min(1, 'title must not be empty (after trimming spaces)')
  .max(TITLE_MAX, `title must be at most ${TITLE_MAX} characters`);

// An empty or blank description is stored as null: "no description" has one representation.
const description = z
  .string({ error: 'description must be a string or null' })
  .trim()
  .max(DESCRIPTION_MAX, `description must be at most ${DESCRIPTION_MAX} characters`)
  .nullable()
  .transform((v) => (v === '' ? null : v));

const done = z.boolean({ error: 'done must be true or false' });

/** The create body (zod); {@link parseNewItem} applies it. Also the source of the OpenAPI schema. */
export const newItemSchema = z.strictObject(
  { title, description: description.optional(), done: done.optional() },
  { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'the body must be a JSON object') },
);

/** The patch body (zod); {@link parseItemPatch} applies it. */
export const itemPatchSchema = z
  .strictObject(
    { title: title.optional(), description: description.optional(), done: done.optional() },
    { error: (issue) => (issue.code === 'unrecognized_keys' ? undefined : 'the body must be a JSON object') },
  )
  .refine((p) => p.title !== undefined || p.description !== undefined || p.done !== undefined, {
    error: 'the body must set at least one of title, description, done',
  });

/** Paging query (zod): `limit` 1..100 (default 50), `offset` ≥ 0 (default 0); {@link parsePage} applies it. */
export const pageSchema = z.object({
  limit: z.coerce
    .number({ error: 'limit must be a number' })
    .int('limit must be an integer')
    .min(1, 'limit must be at least 1')
    .max(PAGE_LIMIT_MAX, `limit must be at most ${PAGE_LIMIT_MAX}`)
    .default(PAGE_LIMIT_DEFAULT),
  offset: z.coerce
    .number({ error: 'offset must be a number' })
    .int('offset must be an integer')
    .min(0, 'offset must be at least 0')
    .default(0),
});

// Item ids are UUIDs we generate; anything else cannot name an item.
const idSchema = z.uuid();

function parse<T>(schema: z.ZodType<T>, input: unknown): T {
  const result = schema.safeParse(input);
  if (result.success) return result.data;
  throw new ItemValidationError(
    result.error.issues.map((issue) => {
      const where = issue.path.join('.');
      // zod's own text for unknown keys is already precise ("Unrecognized key: \"x\"").
      return where === '' || issue.message.startsWith(where) ? issue.message : `${where}: ${issue.message}`;
    }),
  );
}

/**
 * Validates a create body: `title` 1..200 characters after trimming, optional `description` up to 2000
 * characters (blank becomes null), optional `done` (default false); unknown fields are refused.
 * @example
 * parseNewItem({ title: '  Buy milk ' }); // { title: 'Buy milk', description: null, done: false }
 * @throws ItemValidationError listing every problem.
 */
export function parseNewItem(input: unknown): NewItem {
  const body = parse(newItemSchema, input);
  return { title: body.title, description: body.description ?? null, done: body.done ?? false };
}

/**
 * Validates a patch body: the same rules as {@link parseNewItem}, every field optional, at least one set.
 * @example
 * parseItemPatch({ done: true }); // { done: true }
 * @throws ItemValidationError listing every problem.
 */
export function parseItemPatch(input: unknown): ItemPatch {
  const body = parse(itemPatchSchema, input);
  const patch: { title?: string; description?: string | null; done?: boolean } = {};
  if (body.title !== undefined) patch.title = body.title;
  if (body.description !== undefined) patch.description = body.description;
  if (body.done !== undefined) patch.done = body.done;
  return patch;
}

/**
 * Validates `limit` (1..100, default 50) and `offset` (≥ 0, default 0) from a query string.
 * @example
 * parsePage({ limit: '10' }); // { limit: 10, offset: 0 }
 * @throws ItemValidationError listing every problem.
 */
export function parsePage(query: unknown): Page {
  return parse(pageSchema, query);
}

/**
 * Whether `id` can be an item id (a UUID). Anything else is answered as "not found" without a query.
 * @example
 * isItemId('not-a-uuid'); // false
 */
export function isItemId(id: string): boolean {
  return idSchema.safeParse(id).success;
}
