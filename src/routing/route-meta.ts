/**
 * What a middleware says about the route it guards or validates, read by the OpenAPI generator.
 *
 * Auth guards and `contract()` attach one {@link RouteMeta} entry each to the function Express calls; the
 * generator walks the router tree at `start()` and reads the entries of every route layer in order. Nothing
 * here runs per request.
 */

/** An authentication or authorisation guard's requirement. */
export interface GuardMeta {
  readonly kind: 'auth';
  /** `optionalUser`: the route answers without credentials too. */
  readonly optional?: boolean;
  /** The lowest role that passes (`requireRole('writer')` → `writer`); `superuser` for `requireSuperuser`. */
  readonly role?: string;
  /** Every one of these scopes is required (`requireScopes`). */
  readonly scopes?: readonly string[];
  /** At least one of these scopes is required (`requireAnyScope`). */
  readonly anyScopes?: readonly string[];
  /** A human description of a `requireClaim` check. */
  readonly claim?: string;
}

/** A `contract(spec)` middleware's spec (zod schemas kept as given; converted by the generator). */
interface ContractMeta {
  readonly kind: 'contract';
  readonly spec: Readonly<Record<string, unknown>>;
}

export type RouteMeta = GuardMeta | ContractMeta;

const META = Symbol.for('express-m8.routeMeta');
type Tagged = { [META]?: readonly RouteMeta[] };

/**
 * Attaches `meta` to a middleware (several entries may accumulate on one function) and returns it.
 * @example
 * const requireAdmin = withRouteMeta(fn, { kind: 'auth', role: 'admin' });
 */
export function withRouteMeta<T extends object>(fn: T, meta: RouteMeta): T {
  const tagged = fn as Tagged;
  tagged[META] = [...(tagged[META] ?? []), Object.freeze(meta)];
  return fn;
}

/**
 * Copies the entries of `from` onto `to`, for code that replaces a layer's handle with a wrapper (Express 4's
 * async-error wrapper, the route body gate): the generator reads whatever handle the layer ends up with.
 * @example
 * layer.handle = carryRouteMeta(original, wrapper);
 */
export function carryRouteMeta<T extends object>(from: unknown, to: T): T {
  const entries = routeMetaOf(from);
  if (entries.length > 0) (to as Tagged)[META] = entries;
  return to;
}

/**
 * The entries attached to a middleware, or an empty list.
 * @example
 * for (const m of routeMetaOf(layer.handle)) if (m.kind === 'auth') secured = true;
 */
export function routeMetaOf(fn: unknown): readonly RouteMeta[] {
  if ((typeof fn !== 'function' && typeof fn !== 'object') || fn === null) return [];
  return (fn as Tagged)[META] ?? [];
}
