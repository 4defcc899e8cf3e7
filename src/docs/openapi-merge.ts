/**
 * How `options.openapi` (a partial document) goes over the generated one:
 * - objects merge member by member, recursively; on any other conflict (a string, a number, an array such as
 *   `servers` or `tags`) the user's value wins whole;
 * - `paths` merge per path and then per method: a user operation replaces the generated operation of the same
 *   path and method whole (its parameters and responses are not mixed with generated ones), other methods and
 *   paths are kept, and new paths are added;
 * - `__proto__`, `constructor` and `prototype` keys are ignored.
 */

type Json = Record<string, unknown>;

const HTTP_METHODS = new Set(['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace']);
const UNSAFE = new Set(['__proto__', 'constructor', 'prototype']);

function isPlainObject(value: unknown): value is Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
}

function deepMerge(base: unknown, over: unknown, operationLevel: boolean): unknown {
  if (!isPlainObject(base) || !isPlainObject(over)) return over;
  const out: Json = { ...base };
  for (const [key, value] of Object.entries(over)) {
    if (UNSAFE.has(key) || value === undefined) continue;
    if (operationLevel && HTTP_METHODS.has(key)) out[key] = value;
    else out[key] = Object.hasOwn(out, key) ? deepMerge(out[key], value, false) : value;
  }
  return out;
}

/**
 * The generated document with the user's partial document merged over it (rules in the module comment).
 * @example
 * mergeOpenApi(generated, { info: { title: 'Orders' }, servers: [{ url: 'https://api.example.com' }] });
 */
export function mergeOpenApi(generated: Json, partial: Json): Json {
  const out = deepMerge(generated, { ...partial, paths: undefined }, false) as Json;
  if (isPlainObject(partial.paths)) {
    const paths: Json = { ...(isPlainObject(out.paths) ? out.paths : {}) };
    for (const [path, item] of Object.entries(partial.paths)) {
      if (UNSAFE.has(path)) continue;
      paths[path] = Object.hasOwn(paths, path) ? deepMerge(paths[path], item, true) : item;
    }
    out.paths = paths;
  }
  return out;
}
