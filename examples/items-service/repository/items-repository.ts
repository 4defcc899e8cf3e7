/**
 * Data access for items. Every query goes through `scoped()`, which applies the authorization scope, so a
 * query that forgets the owner filter cannot be written by accident.
 */
import type { Kysely, Selectable, SelectQueryBuilder } from 'kysely';
import type { Item, ItemPatch, Page } from '../domain/index.js';
import type { ItemsDatabase, ItemsTable, ItemsTableName } from './database.js';

/**
 * Whose rows a repository may touch:
 * - `user`: only rows whose `owner_id` is `userId` (what every request by a user gets);
 * - `admin`: every row (admin routes);
 * - `system`: every row, for background jobs that act for nobody in particular.
 */
export type ItemsScope =
  | { readonly kind: 'user'; readonly userId: string }
  | { readonly kind: 'admin' }
  | { readonly kind: 'system' };

const COLUMNS = ['id', 'owner_id', 'title', 'description', 'done', 'created_at', 'updated_at'] as const;

function toItem(row: Selectable<ItemsTable>): Item {
  return {
    id: row.id,
    ownerId: row.owner_id,
    title: row.title,
    description: row.description,
    done: Boolean(row.done),
    createdAt: new Date(row.created_at),
    updatedAt: new Date(row.updated_at),
  };
}

/** Items queries within one scope. Cheap to construct: make one per request. */
export class ItemsRepository {
  readonly #db: Kysely<ItemsDatabase>;
  readonly #table: ItemsTableName;
  readonly #scope: ItemsScope;

  /**
   * @param db - the kysely instance (`engine.db`).
   * @param table - the items table name (`tableNames(settings.TABLES_PREFIX).items`).
   * @param scope - whose rows this repository may read and write.
   * @example
   * const mine = new ItemsRepository(engine.db, 'app_items', { kind: 'user', userId: req.user.id });
   */
  constructor(db: Kysely<ItemsDatabase>, table: ItemsTableName, scope: ItemsScope) {
    this.#db = db;
    this.#table = table;
    this.#scope = scope;
  }

  /** The scope this repository applies. */
  get scope(): ItemsScope {
    return this.#scope;
  }

  #scoped(): SelectQueryBuilder<ItemsDatabase, ItemsTableName, object> {
    const query = this.#db.selectFrom(this.#table);
    return this.#scope.kind === 'user' ? query.where('owner_id', '=', this.#scope.userId) : query;
  }

  /** Items in scope, newest first; `ownerId` narrows further (admin views of one user). */
  async list(page: Page, ownerId?: string): Promise<Item[]> {
    let query = this.#scoped().select(COLUMNS);
    if (ownerId !== undefined) query = query.where('owner_id', '=', ownerId);
    const rows = await query
      .orderBy('created_at', 'desc')
      .orderBy('id')
      .limit(page.limit)
      .offset(page.offset)
      .execute();
    return rows.map(toItem);
  }

  /** The item with `id` if it is in scope, else `undefined`. */
  async find(id: string): Promise<Item | undefined> {
    const row = await this.#scoped().select(COLUMNS).where('id', '=', id).executeTakeFirst();
    return row === undefined ? undefined : toItem(row);
  }

  /**
   * Stores a new item. A user scope may only insert rows it owns.
   * @throws Error when the scope is `user` and `item.ownerId` is someone else (a programming error).
   */
  async insert(item: Item): Promise<Item> {
    if (this.#scope.kind === 'user' && item.ownerId !== this.#scope.userId) {
      throw new Error('a user-scoped repository cannot insert an item for another owner');
    }
    await this.#db
      .insertInto(this.#table)
      .values({
        id: item.id,
        owner_id: item.ownerId,
        title: item.title,
        description: item.description,
        done: item.done,
        created_at: item.createdAt,
        updated_at: item.updatedAt,
      })
      .execute();
    return item;
  }

  /** Applies `patch` to the item `id` if it is in scope; returns whether a row matched. */
  async update(id: string, patch: ItemPatch, updatedAt: Date): Promise<boolean> {
    let query = this.#db
      .updateTable(this.#table)
      .set({ ...patch, updated_at: updatedAt })
      .where('id', '=', id);
    if (this.#scope.kind === 'user') query = query.where('owner_id', '=', this.#scope.userId);
    const result = await query.executeTakeFirst();
    return result.numUpdatedRows > 0n;
  }

  /** Deletes the item `id` if it is in scope; returns whether a row was deleted. */
  async delete(id: string): Promise<boolean> {
    let query = this.#db.deleteFrom(this.#table).where('id', '=', id);
    if (this.#scope.kind === 'user') query = query.where('owner_id', '=', this.#scope.userId);
    const result = await query.executeTakeFirst();
    return result.numDeletedRows > 0n;
  }

  /** Deletes done items last updated before `before` (a job). Only for the `system` scope. */
  async deleteDoneBefore(before: Date): Promise<number> {
    if (this.#scope.kind !== 'system') throw new Error('deleteDoneBefore needs the system scope');
    const result = await this.#db
      .deleteFrom(this.#table)
      .where('done', '=', true)
      .where('updated_at', '<', before)
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  }
}
