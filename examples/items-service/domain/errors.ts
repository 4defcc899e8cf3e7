/**
 * Domain errors: what went wrong in the terms of the domain. The routes map them to HTTP (problem+json);
 * the domain knows nothing about status codes.
 */

/** The item does not exist, or exists outside the caller's scope (the two are indistinguishable on purpose). */
export class ItemNotFoundError extends Error {
  readonly itemId: string;

  constructor(itemId: string) {
    super(`Item ${itemId} not found.`);
    this.name = 'ItemNotFoundError';
    this.itemId = itemId;
  }
}

/** The caller may not perform the action at all (e.g. an admin-only action by a user). */
export class ItemForbiddenError extends Error {
  constructor(action: string) {
    super(`Not allowed to ${action}.`);
    this.name = 'ItemForbiddenError';
  }
}

/** Input broke a rule; `problems` lists each one, naming the field. */
export class ItemValidationError extends Error {
  readonly problems: readonly string[];

  constructor(problems: readonly string[]) {
    super(problems.join('; '));
    this.name = 'ItemValidationError';
    this.problems = Object.freeze([...problems]);
  }
}
