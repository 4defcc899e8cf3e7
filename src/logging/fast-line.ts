import * as diagnostics from 'node:diagnostics_channel';
import pino, { type Logger } from 'pino';

/**
 * The request log line written without pino's generic serialisation, byte for byte what
 * `logger[level](fields, msg)` would write, for loggers where that can be proven from their configuration.
 *
 * pino builds a line by walking the object's keys and asking, per key, for a serializer, a redaction
 * stringifier and the value's type. The request line always has the same ten fields, all strings or numbers
 * we made, so for a logger without hooks, mixins, log formatters, nested keys or serializers/redaction on
 * those fields the line is a handful of concatenations: the level prefix (`lsCache`, which already applies
 * `formatters.level`), the time function, the bindings (`chindings`), the fields, the message and the line
 * end, all read from the logger itself. Any other logger goes through pino as before.
 */

const S = pino.symbols;
/** Not in pino's type definitions; absent from older pino versions. */
const MSG_PREFIX = (pino.symbols as unknown as Record<string, symbol | undefined>).msgPrefixSym;
/**
 * pino's own diagnostics channel around line serialisation: subscribers must still see every line. A
 * namespace import, so a Node without `tracingChannel` (below our minimum) still links and gets the compat
 * check's explanation.
 */
const asJsonChannel: { readonly hasSubscribers?: boolean } =
  typeof diagnostics.tracingChannel === 'function' ? diagnostics.tracingChannel('pino_asJson') : {};

/** The request line's fields, in the order pino would write them. */
export interface RequestLineFields {
  readonly reqId: string | undefined;
  readonly method: string | undefined;
  readonly url: string;
  readonly route: string | undefined;
  readonly status: number;
  readonly durationMs: number;
  readonly userId: unknown;
  readonly aborted: true | undefined;
  readonly trace_id: string | undefined;
  readonly span_id: string | undefined;
}

const FIELD_NAMES: readonly (keyof RequestLineFields)[] = [
  'reqId',
  'method',
  'url',
  'route',
  'status',
  'durationMs',
  'userId',
  'aborted',
  'trace_id',
  'span_id',
];

/** `,"reqId":` and so on: the same for every logger. */
const KEY_TEXT = Object.fromEntries(FIELD_NAMES.map((k) => [k, `,${JSON.stringify(k)}:`])) as Record<
  keyof RequestLineFields,
  string
>;

/** The message of every request line. */
export const REQUEST_MESSAGE = 'request completed';

type PinoInternals = Record<symbol, unknown>;
type Level = 'info' | 'warn' | 'error';
type Writer = (level: Level, fields: RequestLineFields) => void;

const writers = new WeakMap<object, Writer | null>();

function plainEnough(logger: Logger): boolean {
  const l = logger as unknown as PinoInternals;
  const hooks = l[S.hooksSym] as { logMethod?: unknown; streamWrite?: unknown } | undefined;
  const formatters = l[S.formattersSym] as { log?: unknown } | undefined;
  const serializers = l[S.serializersSym] as Record<string, unknown> | undefined;
  const stringifiers = l[S.stringifiersSym] as Record<string | symbol, unknown> | undefined;
  const stream = l[S.streamSym] as ({ write?: unknown } & PinoInternals) | undefined;
  if (hooks === undefined || formatters === undefined || serializers === undefined) return false;
  if (stringifiers === undefined || stream === undefined || typeof stream.write !== 'function') return false;
  if (hooks.logMethod !== undefined || hooks.streamWrite !== undefined) return false;
  if (formatters.log !== undefined || l[S.mixinSym] !== undefined) return false;
  if (l[S.nestedKeySym] !== undefined && l[S.nestedKeySym] !== null) return false;
  if (stream[S.needsMetadataGsym] === true) return false;
  if (typeof l[S.messageKeySym] !== 'string' || typeof l[S.endSym] !== 'string') return false;
  if (typeof l[S.timeSym] !== 'function' || typeof l[S.chindingsSym] !== 'string') return false;
  const prefix = MSG_PREFIX === undefined ? undefined : l[MSG_PREFIX];
  if (prefix !== undefined && typeof prefix !== 'string') return false;
  if (messageText(logger) === undefined) return false;
  if (stringifiers[S.wildcardFirstSym] !== undefined) return false;
  const messageKey = l[S.messageKeySym] as string;
  for (const key of [...FIELD_NAMES, messageKey]) {
    if (serializers[key] !== undefined || stringifiers[key] !== undefined) return false;
  }
  // pino runs `serializers.err` on the field named by errorKey.
  const errorKey = l[S.errorKeySym];
  if (serializers.err !== undefined && (FIELD_NAMES as readonly unknown[]).includes(errorKey)) return false;
  return true;
}

/** ES2024, in every Node we support; not in the compile target's lib. */
type WellFormedCheck = string & { isWellFormed(): boolean };

function fieldText(value: unknown): string | undefined {
  switch (typeof value) {
    case 'string':
      // pino (below Node 25) writes a lone surrogate raw, JSON.stringify escapes it: leave those to pino.
      return (value as WellFormedCheck).isWellFormed() ? JSON.stringify(value) : undefined;
    case 'number':
      return Number.isFinite(value) ? `${value}` : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    default:
      // Anything else (an object id, a bigint) is left to pino.
      return undefined;
  }
}

/** `"<msgPrefix>request completed"` as pino writes it; the prefix is fixed for a logger's life. */
function messageText(logger: Logger): string | undefined {
  const prefix = MSG_PREFIX === undefined ? undefined : (logger as unknown as PinoInternals)[MSG_PREFIX];
  return fieldText(typeof prefix === 'string' ? prefix + REQUEST_MESSAGE : REQUEST_MESSAGE);
}

function makeWriter(logger: Logger): Writer {
  const l = logger as unknown as PinoInternals;
  // Exactly as pino writes the key: unescaped.
  const messageTail = `,"${l[S.messageKeySym] as string}":${messageText(logger) as string}`;
  return function writeRequestLine(level, fields) {
    // A spy, a wrapper or a Proxy on the level method must see the line: pino's own method is named LOG.
    // The diagnostics channel's subscribers must see it too.
    if (logger[level].name !== 'LOG' || asJsonChannel.hasSubscribers === true) {
      logger[level](fields, REQUEST_MESSAGE);
      return;
    }
    let props = '';
    for (let i = 0; i < FIELD_NAMES.length; i++) {
      const key = FIELD_NAMES[i] as keyof RequestLineFields;
      const value = fields[key];
      if (value === undefined) continue;
      const text = fieldText(value);
      if (text === undefined) {
        logger[level](fields, REQUEST_MESSAGE);
        return;
      }
      props += KEY_TEXT[key] + text;
    }
    const num = logger.levels.values[level] as number;
    const cache = l[S.lsCacheSym] as Record<number, string>;
    const time = (l[S.timeSym] as () => string)();
    const line = `${cache[num]}${time}${l[S.chindingsSym] as string}${props}${messageTail}${l[S.endSym] as string}`;
    (l[S.streamSym] as { write(line: string): unknown }).write(line);
  };
}

/**
 * A function writing the request line through `logger` exactly as `logger[level](fields, REQUEST_MESSAGE)` would, or
 * `undefined` when this logger's configuration could change the line (then call pino). The configuration is
 * judged once per logger; the level method (spied or wrapped?) and pino's diagnostics channel on every line.
 * The caller checks `logger.isLevelEnabled(level)` first: the writer itself does not.
 * @example
 * const write = requestLineWriter(logger);
 * if (logger.isLevelEnabled('info')) write ? write('info', fields) : logger.info(fields, REQUEST_MESSAGE);
 */
export function requestLineWriter(logger: Logger): Writer | undefined {
  let writer = writers.get(logger);
  if (writer === undefined) {
    writer = plainEnough(logger) ? makeWriter(logger) : null;
    writers.set(logger, writer);
  }
  return writer ?? undefined;
}
