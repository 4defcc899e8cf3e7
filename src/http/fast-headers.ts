import { IncomingMessage, ServerResponse, validateHeaderName, validateHeaderValue } from 'node:http';

/**
 * Response headers written straight into Node's per-response header table, for the headers the edge sets on
 * every request (request id, security headers, CORS): names and values are validated once, at construction,
 * instead of on each `res.setHeader` call (~0.3 µs each on Node 24: a token regex on the name, a character scan
 * of the value and a `toLowerCase`, for a dozen headers per response).
 *
 * The table is `OutgoingMessage[kOutHeaders]`, an object `{ [lowercase name]: [name, value] }` that
 * `setHeader`, `getHeader`, `removeHeader` and the header serialisation all read. The symbol is internal to
 * Node: it is found once by its description on a probe response, and a self-test (write one header into the
 * table, read it back through `getHeader`, `getHeaderNames` and the serialised header block) must pass, or
 * every call falls back to `res.setHeader` (docs/architecture.md, "Speed techniques").
 */

type HeaderTable = Record<string, [string, string | number | readonly string[]]>;
type WithTable = Record<symbol, HeaderTable | null | undefined>;

function probeResponse(): ServerResponse {
  const req = new IncomingMessage(undefined as never);
  req.method = 'GET';
  req.httpVersionMajor = 1;
  req.httpVersionMinor = 1;
  return new ServerResponse(req);
}

/** Node's `kOutHeaders`, when it is found and behaves as described above; `undefined` otherwise. */
function findHeaderTable(): symbol | undefined {
  try {
    const res = probeResponse();
    res.setHeader('X-M8-Probe', 'a');
    const symbol = Object.getOwnPropertySymbols(res).find((s) => s.description === 'kOutHeaders');
    if (symbol === undefined) return undefined;
    const table = (res as unknown as WithTable)[symbol];
    if (table === null || typeof table !== 'object') return undefined;
    const entry = table['x-m8-probe'];
    if (!Array.isArray(entry) || entry[0] !== 'X-M8-Probe' || entry[1] !== 'a') return undefined;
    table['x-m8-direct'] = ['X-M8-Direct', 'b'];
    if (res.getHeader('x-m8-direct') !== 'b' || !res.getHeaderNames().includes('x-m8-direct'))
      return undefined;
    res.writeHead(200);
    const head = (res as unknown as { _header?: unknown })._header;
    if (typeof head !== 'string' || !head.includes('\r\nX-M8-Direct: b\r\n')) return undefined;
    return symbol;
  } catch {
    return undefined;
  }
}

let tableSymbol: symbol | undefined = findHeaderTable();

/** Whether the direct writes are in use (false: every write is a `res.setHeader`). For tests. */
export function fastHeadersActive(): boolean {
  return tableSymbol !== undefined;
}

/** Turns the direct writes off (or back on, after a new self-test) for this process. For tests and A/B runs. */
export function setFastHeaders(on: boolean): void {
  tableSymbol = on ? findHeaderTable() : undefined;
}

/** The response's header table, created when it has none yet; `undefined` when `setHeader` must be used. */
function tableOf(res: ServerResponse): HeaderTable | undefined {
  const symbol = tableSymbol;
  if (symbol === undefined || res.headersSent) return undefined;
  const holder = res as unknown as WithTable;
  const table = holder[symbol];
  if (table === null) {
    const created: HeaderTable = Object.create(null);
    holder[symbol] = created;
    return created;
  }
  return table;
}

/** A fixed list of headers, validated once by {@link prepareHeaders}. */
export interface PreparedHeaders {
  /** `[name, value, name, value, …]` as given. */
  readonly pairs: readonly string[];
  /** The lowercase name of each pair. */
  readonly keys: readonly string[];
}

/**
 * Validates `[name, value, …]` once (as `res.setHeader` would) for {@link setPreparedHeaders}.
 * @throws TypeError (`ERR_INVALID_HTTP_TOKEN`, `ERR_INVALID_CHAR`) for a name or value Node would refuse.
 * @example
 * const HEADERS = prepareHeaders(['X-Content-Type-Options', 'nosniff']);
 */
export function prepareHeaders(pairs: readonly string[]): PreparedHeaders {
  const keys: string[] = [];
  for (let i = 0; i < pairs.length; i += 2) {
    const name = pairs[i] as string;
    validateHeaderName(name);
    validateHeaderValue(name, pairs[i + 1] as string);
    keys.push(name.toLowerCase());
  }
  return Object.freeze({ pairs: Object.freeze([...pairs]), keys: Object.freeze(keys) });
}

/**
 * Sets every header of `prepared` on `res`: the same result as a `res.setHeader` per pair (a later pair of the
 * same name wins), without validating again.
 * @example
 * setPreparedHeaders(res, HEADERS);
 */
export function setPreparedHeaders(res: ServerResponse, prepared: PreparedHeaders): void {
  const pairs = prepared.pairs;
  const table = tableOf(res);
  if (table === undefined) {
    for (let i = 0; i < pairs.length; i += 2) res.setHeader(pairs[i] as string, pairs[i + 1] as string);
    return;
  }
  const keys = prepared.keys;
  for (let i = 0; i < keys.length; i++) {
    table[keys[i] as string] = [pairs[2 * i] as string, pairs[2 * i + 1] as string];
  }
}

/**
 * Sets one header whose name (`key` its lowercase form) and value the caller has already validated (a value
 * from a fixed list, a request id matching its pattern, a UUID): `res.setHeader(name, value)` without the checks.
 * @example
 * setCheckedHeader(res, 'x-request-id', 'X-Request-ID', id);
 */
export function setCheckedHeader(res: ServerResponse, key: string, name: string, value: string): void {
  const table = tableOf(res);
  if (table === undefined) res.setHeader(name, value);
  else table[key] = [name, value];
}
