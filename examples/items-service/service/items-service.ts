/**
 * Use cases and permission checks. The service decides *which scope* a caller acts in; the repository
 * enforces it in SQL. Routes call the service and never the repository.
 */
import { randomUUID } from 'node:crypto';
import {
  type Item,
  ItemForbiddenError,
  ItemNotFoundError,
  type ItemPatch,
  isItemId,
  type NewItem,
  type Page,
} from '../domain/index.js';
import type { ItemsRepository, ItemsScope } from '../repository/index.js';

/** Who is calling: the token's `sub` and whether its role is admin or above. */
export interface Actor {
  readonly id: string;
  readonly isAdmin: boolean;
}

/** Makes a repository for a scope (binds the database and table name once). */
export type RepositoryFactory = (scope: ItemsScope) => ItemsRepository;

/** Options of {@link ItemsService}. */
export interface ItemsServiceOptions {
  /** The clock; injected by tests. Default `() => new Date()`. */
  readonly now?: () => Date;
  /** Item id generator. Default `crypto.randomUUID`. */
  readonly newId?: () => string;
}

const SYSTEM_SCOPE: ItemsScope = Object.freeze({ kind: 'system' });
const ADMIN_SCOPE: ItemsScope = Object.freeze({ kind: 'admin' });

/**
 * The items use cases.
 *
 * - `/items` actions run in the caller's **own** scope, admins included: an admin's `/items` is their own
 *   list. Someone else's item is "not found" (404), never "forbidden", so ids do not leak.
 * - `*Any` actions (the `/admin/items` routes) need `actor.isAdmin` and run in the admin scope.
 * - `purgeDone` is a job: system scope, no actor.
 */
export class ItemsService {
  readonly #repo: RepositoryFactory;
  readonly #now: () => Date;
  readonly #newId: () => string;

  /**
   * @example
   * const service = new ItemsService((scope) => new ItemsRepository(engine.db, 'app_items', scope));
   */
  constructor(repositoryFor: RepositoryFactory, options: ItemsServiceOptions = {}) {
    this.#repo = repositoryFor;
    this.#now = options.now ?? (() => new Date());
    this.#newId = options.newId ?? randomUUID;
  }

  #own(actor: Actor): ItemsRepository {
    return this.#repo({ kind: 'user', userId: actor.id });
  }

  #admin(actor: Actor, action: string): ItemsRepository {
    // The route guard (requireAdmin) already refused non-admins; this keeps the rule true for any caller.
    if (!actor.isAdmin) throw new ItemForbiddenError(action);
    return this.#repo(ADMIN_SCOPE);
  }

  /** The caller's items, newest first. */
  list(actor: Actor, page: Page): Promise<Item[]> {
    return this.#own(actor).list(page);
  }

  /** @throws ItemNotFoundError when the item is not the caller's (or does not exist). */
  async get(actor: Actor, id: string): Promise<Item> {
    return found(id, isItemId(id) ? await this.#own(actor).find(id) : undefined);
  }

  /** Creates an item owned by the caller. */
  create(actor: Actor, input: NewItem): Promise<Item> {
    const now = this.#now();
    return this.#own(actor).insert({
      id: this.#newId(),
      ownerId: actor.id,
      ...input,
      createdAt: now,
      updatedAt: now,
    });
  }

  /** @throws ItemNotFoundError when the item is not the caller's (or does not exist). */
  async update(actor: Actor, id: string, patch: ItemPatch): Promise<Item> {
    const repo = this.#own(actor);
    const current = found(id, isItemId(id) ? await repo.find(id) : undefined);
    const updatedAt = this.#now();
    // A concurrent delete between find and update is reported as not found too.
    if (!(await repo.update(id, patch, updatedAt))) throw new ItemNotFoundError(id);
    return { ...current, ...patch, updatedAt };
  }

  /** @throws ItemNotFoundError when the item is not the caller's (or does not exist). */
  async delete(actor: Actor, id: string): Promise<void> {
    if (!isItemId(id) || !(await this.#own(actor).delete(id))) throw new ItemNotFoundError(id);
  }

  /**
   * Every item (admin), optionally only those of `ownerId`.
   * @throws ItemForbiddenError when the actor is not an admin.
   */
  listAny(actor: Actor, page: Page, ownerId?: string): Promise<Item[]> {
    return this.#admin(actor, 'list all items').list(page, ownerId);
  }

  /**
   * Any item by id (admin).
   * @throws ItemForbiddenError when the actor is not an admin; ItemNotFoundError when it does not exist.
   */
  async getAny(actor: Actor, id: string): Promise<Item> {
    const repo = this.#admin(actor, 'read any item');
    return found(id, isItemId(id) ? await repo.find(id) : undefined);
  }

  /**
   * Deletes any item (admin).
   * @throws ItemForbiddenError when the actor is not an admin; ItemNotFoundError when it does not exist.
   */
  async deleteAny(actor: Actor, id: string): Promise<void> {
    const repo = this.#admin(actor, 'delete any item');
    if (!isItemId(id) || !(await repo.delete(id))) throw new ItemNotFoundError(id);
  }

  /** Job: deletes done items not updated for `olderThanMs`; returns how many. */
  purgeDone(olderThanMs: number): Promise<number> {
    return this.#repo(SYSTEM_SCOPE).deleteDoneBefore(new Date(this.#now().getTime() - olderThanMs));
  }
}

function found(id: string, item: Item | undefined): Item {
  if (item === undefined) throw new ItemNotFoundError(id);
  return item;
}
