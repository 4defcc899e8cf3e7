/**
 * Scrubbed, JSON-safe copies of structured values: health meta and logged errors. One walker, two policies:
 * meta keeps its historical shape (errors inside it become `{ name, message }`); logged errors are expanded
 * property by property and bounded in size, because an upstream client error (an axios error carries its
 * request `config.headers.Authorization`, a driver error its `input` DSN, a `ClientRequest` with sockets) is
 * large, cyclic and full of credentials.
 */
import { REDACTED, scrubText } from './scrub.js';
import { isSecretKey } from './secret-names.js';

/** Deeper values are replaced by `"[Truncated]"`. */
const MAX_META_DEPTH = 8;
/** A logged error copies at most this many values in all (every nested value counts). */
const MAX_ERROR_NODES = 2000;
/** ... at most this many keys of one object and items of one array... */
const MAX_ERROR_ENTRIES = 100;
/** ... and at most this many characters of one string (a stack included). */
const MAX_ERROR_STRING = 16 * 1024;

const TRUNCATED = '[Truncated]';
const UNREADABLE = '[Unreadable]';
const objectTag = Object.prototype.toString;

interface Walk {
  readonly ancestors: Set<object>;
  readonly maxDepth: number;
  readonly maxEntries: number;
  readonly maxString: number;
  /** Values still allowed; `Infinity` for meta. */
  nodes: number;
  /** Logged errors are expanded in full; meta keeps `{ name, message }`. */
  readonly expandErrors: boolean;
}

function isErrorValue(value: object): value is Error {
  return value instanceof Error || objectTag.call(value) === '[object Error]';
}

/** A string cut to the limit: the cut-off word is dropped too, so half a secret never survives the masks. */
function scrubString(text: string, w: Walk): string {
  if (text.length <= w.maxString) return scrubText(text);
  // Back to the last whitespace by hand: a `\S*$` regex is quadratic on a long run followed by a space.
  let end = w.maxString;
  while (end > 0 && text.charCodeAt(end - 1) > 32) end--;
  const kept = text.slice(0, end);
  return `${scrubText(kept)}…[truncated ${text.length - kept.length} chars]`;
}

/** A property read that survives a throwing getter or a hostile Proxy. */
function read(source: object, key: string | symbol): { value: unknown } | undefined {
  try {
    return { value: (source as Record<string | symbol, unknown>)[key] };
  } catch {
    return undefined;
  }
}

function walk(value: unknown, depth: number, w: Walk): unknown {
  switch (typeof value) {
    case 'string':
      return scrubString(value, w);
    case 'number':
      return Number.isFinite(value) ? value : String(value);
    case 'boolean':
      return value;
    case 'bigint':
      return value.toString();
    case 'object':
      break;
    default:
      // undefined, function, symbol: not representable in JSON.
      return undefined;
  }
  if (value === null) return null;
  if (w.ancestors.has(value)) return '[Circular]';
  if (depth >= w.maxDepth || w.nodes <= 0) return TRUNCATED;
  w.nodes--;
  try {
    if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
    if (ArrayBuffer.isView(value)) return `[binary ${value.byteLength} bytes]`;
    if (value instanceof URL) return scrubString(value.href, w);
    w.ancestors.add(value);
    try {
      if (isErrorValue(value)) return w.expandErrors ? errorCopy(value, depth, w) : shortError(value, w);
      if (Array.isArray(value)) return arrayCopy(value, depth, w);
      const source = value instanceof Map ? Object.fromEntries(value) : value;
      const out: Record<string, unknown> = {};
      copyEntries(source, Object.keys(source), out, depth, w);
      return out;
    } finally {
      w.ancestors.delete(value);
    }
  } catch {
    // A Proxy whose traps throw, a Map with a throwing iterator: nothing of it is shown rather than a crash.
    return UNREADABLE;
  }
}

function shortError(err: Error, w: Walk): Record<string, unknown> {
  const name = read(err, 'name')?.value;
  const message = read(err, 'message')?.value;
  return {
    name: typeof name === 'string' ? name : 'Error',
    message: typeof message === 'string' ? scrubString(message, w) : '',
  };
}

function arrayCopy(items: readonly unknown[], depth: number, w: Walk): unknown[] {
  const n = Math.min(items.length, w.maxEntries);
  const out: unknown[] = [];
  for (let i = 0; i < n; i++) {
    const v = walk(read(items, String(i))?.value, depth + 1, w);
    out.push(v === undefined ? null : v);
  }
  if (items.length > n) out.push(`[${items.length - n} more items]`);
  return out;
}

/** Copies `keys` of `source` into `out`: secret-named keys become REDACTED, the rest are walked. */
function copyEntries(
  source: object,
  keys: readonly string[],
  out: Record<string, unknown>,
  depth: number,
  w: Walk,
): void {
  let copied = 0;
  for (const key of keys) {
    if (Object.hasOwn(out, key)) continue;
    if (copied >= w.maxEntries) {
      out[TRUNCATED] = `${keys.length - copied} more keys`;
      return;
    }
    copied++;
    if (isSecretKey(key)) {
      put(out, key, REDACTED);
      continue;
    }
    const got = read(source, key);
    const v = got === undefined ? UNREADABLE : walk(got.value, depth + 1, w);
    if (v !== undefined) put(out, key, v);
  }
}

/** `out[key] = value`, except that a `__proto__` key stays a plain property instead of replacing the prototype. */
function put(out: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') {
    Object.defineProperty(out, key, { value, enumerable: true, writable: true, configurable: true });
  } else {
    out[key] = value;
  }
}

/**
 * An error as pino's `errWithCause` serializer shapes it (`type`, `message`, `stack`, `aggregateErrors`,
 * `cause`, then every enumerable property), every value scrubbed.
 */
function errorCopy(err: Error, depth: number, w: Walk): Record<string, unknown> {
  const out: Record<string, unknown> = { type: errorType(err) };
  const message = read(err, 'message')?.value;
  out.message = typeof message === 'string' ? scrubString(message, w) : '';
  const stack = read(err, 'stack')?.value;
  if (typeof stack === 'string') out.stack = scrubString(stack, w);
  const errors = read(err, 'errors')?.value;
  const isAggregate = Array.isArray(errors);
  if (isAggregate) out.aggregateErrors = walk(errors, depth, w);
  const cause = read(err, 'cause')?.value;
  if (cause !== undefined) out.cause = walk(cause, depth + 1, w);
  const keys: string[] = [];
  // for…in like pino: own and inherited enumerable properties (`code`, `errno`, `config`, `input`, …).
  for (const key in err) if (!(isAggregate && key === 'errors')) keys.push(key);
  copyEntries(err, keys, out, depth, w);
  return out;
}

function errorType(err: Error): string {
  const ctor = read(err, 'constructor')?.value;
  if (typeof ctor === 'function' && typeof ctor.name === 'string' && ctor.name !== '') return ctor.name;
  const name = read(err, 'name')?.value;
  return typeof name === 'string' ? name : 'Error';
}

/**
 * Returns a JSON-safe copy of `value` with secrets removed: entries whose key names a secret become
 * `REDACTED`, strings pass through {@link scrubText}, arrays and nested objects are walked up to
 * {@link MAX_META_DEPTH} levels (`"[Truncated]"` below), a cycle becomes `"[Circular]"`. Dates become ISO
 * strings, bigints strings, errors `{ name, message }`, binary data `"[binary N bytes]"`; functions, symbols
 * and `undefined` entries are dropped; a property whose getter throws becomes `"[Unreadable]"`. The input is
 * never mutated.
 * @param value - any value, typically a check's `meta`.
 * @example
 * scrubMeta({ pool: { dbPassword: 'x', url: 'mysql://u:p@h/db' } });
 * // { pool: { dbPassword: 'REDACTED', url: 'mysql://***:***@h/db' } }
 */
export function scrubMeta(value: unknown): unknown {
  return walk(value, 0, {
    ancestors: new Set<object>(),
    maxDepth: MAX_META_DEPTH,
    maxEntries: Number.POSITIVE_INFINITY,
    maxString: Number.POSITIVE_INFINITY,
    nodes: Number.POSITIVE_INFINITY,
    expandErrors: false,
  });
}

/**
 * A logged error made safe: `{ type, message, stack, aggregateErrors?, cause?, ...properties }` where every
 * property, at any depth (`config.headers.Authorization`, `input`, `response.data`, causes, the errors of an
 * `AggregateError`, errors held in properties), is scrubbed like {@link scrubMeta} and errors are expanded the
 * same way. Bounded: {@link MAX_META_DEPTH} levels, {@link MAX_ERROR_ENTRIES} keys or items per object,
 * {@link MAX_ERROR_STRING} characters per string, {@link MAX_ERROR_NODES} values in all. Never throws (a
 * throwing getter or Proxy becomes `"[Unreadable]"`), never mutates the error. A non-object is scrubbed as a
 * value.
 * @example
 * scrubError(Object.assign(new Error('401'), { config: { headers: { Authorization: 'Bearer x' } } }));
 * // { type: 'Error', message: '401', stack: '…', config: { headers: { Authorization: 'REDACTED' } } }
 */
export function scrubError(err: unknown): unknown {
  try {
    return walk(err, 0, {
      ancestors: new Set<object>(),
      maxDepth: MAX_META_DEPTH,
      maxEntries: MAX_ERROR_ENTRIES,
      maxString: MAX_ERROR_STRING,
      nodes: MAX_ERROR_NODES,
      expandErrors: true,
    });
  } catch {
    // Belt and braces: `walk` catches per value, but a log call must never throw.
    return UNREADABLE;
  }
}
