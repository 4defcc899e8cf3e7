import { channel } from 'node:diagnostics_channel';
import pino, { type Logger, type LoggerOptions } from 'pino';
import { describe, expect, it } from 'vitest';
import { type RequestLineFields, requestLineWriter } from '../../src/logging/fast-line.js';
import { createLogger } from '../../src/logging/index.js';
import { testSettings } from '../../src/testing/index.js';

function sink(): { lines: string[]; stream: { write(line: string): void } } {
  const lines: string[] = [];
  return { lines, stream: { write: (line: string) => void lines.push(line) } };
}

const FIXED_TIME = () => ',"time":1700000000000';

const FIELDS: RequestLineFields[] = [
  {
    reqId: 'a1b2',
    method: 'GET',
    url: '/api/items?page=2',
    route: '/api/items',
    status: 200,
    durationMs: 1.234,
    userId: '7d0e1c8a-0000-4000-8000-000000000001',
    aborted: undefined,
    trace_id: undefined,
    span_id: undefined,
  },
  {
    reqId: undefined,
    method: 'POST',
    url: '/weird/"quoted"\\back\u0001ctl\u2028ñ日本/%ZZ',
    route: 'UNMATCHED',
    status: 404,
    durationMs: 0,
    userId: undefined,
    aborted: true,
    trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
    span_id: '00f067aa0ba902b7',
  },
  {
    reqId: 'x'.repeat(128),
    method: 'DELETE',
    url: `/${'long/'.repeat(40)}`,
    route: '/items/:id',
    status: 503,
    durationMs: Number.NaN,
    userId: 42,
    aborted: undefined,
    trace_id: undefined,
    span_id: undefined,
  },
];

/** The line pino writes and the line the fast writer writes, for the same logger configuration. */
function both(
  make: (stream: { write(line: string): void }) => Logger,
  fields: RequestLineFields,
  level = 'info',
) {
  const viaPino = sink();
  const viaFast = sink();
  make(viaPino.stream)[level as 'info'](fields, 'request completed');
  const fastLogger = make(viaFast.stream);
  const write = requestLineWriter(fastLogger);
  if (write === undefined) throw new Error('expected the fast writer for this logger');
  write(level as 'info', fields);
  return { pino: viaPino.lines, fast: viaFast.lines };
}

describe('requestLineWriter', () => {
  const configs: Array<[string, (stream: { write(line: string): void }) => Logger]> = [
    ['plain pino', (s) => pino({ timestamp: FIXED_TIME }, s)],
    [
      'base bindings and a child',
      (s) => pino({ timestamp: FIXED_TIME, base: { svc: 'a"b' } }, s).child({ c: 1 }),
    ],
    [
      'custom message key and prefix',
      (s) => pino({ timestamp: FIXED_TIME, messageKey: 'message', msgPrefix: '[http] ' }, s),
    ],
    [
      'level labels through formatters.level',
      (s) =>
        pino(
          { timestamp: FIXED_TIME, formatters: { level: (label) => ({ severity: label.toUpperCase() }) } },
          s,
        ),
    ],
    ['crlf line ends', (s) => pino({ timestamp: FIXED_TIME, crlf: true }, s)],
    [
      'redaction of other paths',
      (s) => pino({ timestamp: FIXED_TIME, redact: ['password', 'headers.authorization'] }, s),
    ],
  ];
  for (const [name, make] of configs) {
    it(`writes exactly pino's bytes: ${name}`, () => {
      for (const fields of FIELDS) {
        for (const level of ['info', 'warn', 'error']) {
          const { pino: expected, fast } = both(make, fields, level);
          expect(fast).toEqual(expected);
          expect(expected).toHaveLength(1);
        }
      }
    });
  }

  it('writes exactly what the app logger (redaction, serializers, bindings) writes', () => {
    const make = (s: { write(line: string): void }) =>
      createLogger(testSettings({ LOG_LEVEL: 'info' }), { destination: s, serviceName: 'svc' });
    const fields = FIELDS[0] as RequestLineFields;
    const viaPino = sink();
    const viaFast = sink();
    make(viaPino.stream).info(fields, 'request completed');
    const fastLogger = make(viaFast.stream);
    const write = requestLineWriter(fastLogger);
    expect(write).toBeDefined();
    write?.('info', fields);
    // Only the time differs between two calls.
    const strip = (line: string) => line.replace(/"time":\d+/, '"time":0');
    expect(viaFast.lines.map(strip)).toEqual(viaPino.lines.map(strip));
  });

  it('declines loggers whose configuration could change the line', () => {
    const s = sink().stream;
    const declined: Array<[string, Logger]> = [
      ['mixin', pino({ mixin: () => ({ extra: 1 }) }, s)],
      ['log formatter', pino({ formatters: { log: (o) => o } }, s)],
      ['logMethod hook', pino({ hooks: { logMethod: (args, method) => method.apply(s, args) } }, s)],
      ['streamWrite hook', pino({ hooks: { streamWrite: (line) => line } }, s)],
      ['nested key', pino({ nestedKey: 'payload' }, s)],
      ['serializer on a request field', pino({ serializers: { url: () => 'x' } }, s)],
      ['redaction of a request field', pino({ redact: ['url'] }, s)],
      ['wildcard redaction', pino({ redact: ['*.secret'] }, s)],
      ['serializer on the message', pino({ serializers: { msg: () => 'x' } }, s)],
      ['redaction of the message', pino({ redact: ['msg'] }, s)],
      [
        'errorKey naming a request field, with an err serializer',
        pino({ errorKey: 'userId', serializers: { err: () => 'SER' } }, s),
      ],
      ['multistream (needs line metadata)', pino({}, pino.multistream([{ stream: s }]))],
    ];
    for (const [name, logger] of declined)
      expect([name, requestLineWriter(logger)]).toEqual([name, undefined]);
  });

  it('hands lines to pino while its diagnostics channel has subscribers', () => {
    const { lines, stream } = sink();
    const logger = pino({ timestamp: FIXED_TIME }, stream);
    const seen: unknown[] = [];
    const start = channel('tracing:pino_asJson:start');
    const onStart = (message: unknown) => void seen.push(message);
    start.subscribe(onStart);
    try {
      requestLineWriter(logger)?.('info', FIELDS[0] as RequestLineFields);
    } finally {
      start.unsubscribe(onStart);
    }
    expect(seen).toHaveLength(1);
    const viaPino = sink();
    pino({ timestamp: FIXED_TIME }, viaPino.stream).info(FIELDS[0] as RequestLineFields, 'request completed');
    expect(lines).toEqual(viaPino.lines);
  });

  it('writes the time from the logger on every line', () => {
    const { lines, stream } = sink();
    let tick = 0;
    const logger = pino({ timestamp: () => `,"time":${++tick}` }, stream);
    const write = requestLineWriter(logger);
    write?.('info', FIELDS[0] as RequestLineFields);
    write?.('info', FIELDS[0] as RequestLineFields);
    // pino itself calls the function once at creation; each line then asks for a new time.
    const [first, second] = lines.map((line) => JSON.parse(line).time as number);
    expect(second).toBe((first as number) + 1);
    expect(first).toBe(tick - 1);
  });

  it('hands a line with a lone surrogate to pino, which writes it its own way', () => {
    const fields = { ...(FIELDS[0] as RequestLineFields), userId: 'a\ud800b', route: 'r\udc00' };
    const { pino: expected, fast } = both((s) => pino({ timestamp: FIXED_TIME }, s), fields);
    expect(fast).toEqual(expected);
  });

  it('goes through a spied or wrapped level method, so spies and wrappers see the line', () => {
    const { lines, stream } = sink();
    const logger = pino({ timestamp: FIXED_TIME }, stream);
    const write = requestLineWriter(logger);
    const calls: unknown[][] = [];
    const original = logger.info.bind(logger);
    logger.info = ((...args: Parameters<typeof original>) => {
      calls.push(args);
      original(...args);
    }) as typeof logger.info;
    write?.('info', FIELDS[0] as RequestLineFields);
    expect(calls).toHaveLength(1);
    expect(calls[0]?.[1]).toBe('request completed');
    expect(lines).toHaveLength(1);
  });
});
