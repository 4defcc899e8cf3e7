import { createHmac } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { canonicalJson, signPayload } from '../../src/auth/events/signature.js';
import { type SseEvent, SseLimitError, SseParser } from '../../src/auth/events/sse-parser.js';

const LIMITS = { maxLineChars: 1024, maxDataChars: 4096 };

function parse(chunks: (string | Uint8Array)[], limits = LIMITS): { events: SseEvent[]; retries: number[] } {
  const events: SseEvent[] = [];
  const retries: number[] = [];
  const parser = new SseParser({ onEvent: (e) => events.push(e), onRetry: (ms) => retries.push(ms) }, limits);
  for (const chunk of chunks) parser.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  return { events, retries };
}

/** Every byte in its own chunk. */
function bytewise(text: string): Uint8Array[] {
  return [...Buffer.from(text, 'utf8')].map((b) => Uint8Array.of(b));
}

describe('SSE parser', () => {
  it('dispatches typed events with ids at blank lines; multi-line data joins with \\n', () => {
    const { events } = parse(['event: gap\nid: 7\ndata: {"a":\ndata: 1}\n\ndata: plain\n\n']);
    expect(events).toEqual([
      { type: 'gap', data: '{"a":\n1}', lastEventId: '7' },
      // The id persists; the type resets to `message`.
      { type: 'message', data: 'plain', lastEventId: '7' },
    ]);
  });

  it('accepts LF, CR and CRLF line ends, also mixed and split across chunks', () => {
    const text = 'event: a\r\ndata: 1\r\n\r\nevent: b\rdata: 2\r\revent: c\ndata: 3\n\n';
    const whole = parse([text]).events;
    expect(whole.map((e) => `${e.type}=${e.data}`)).toEqual(['a=1', 'b=2', 'c=3']);
    expect(parse(bytewise(text)).events).toEqual(whole);
    // A CRLF split between chunks is one line end (not an extra blank line that would dispatch early).
    expect(parse(['data: x\r', '\ndata: y\r', '\n\r', '\n']).events).toEqual([
      { type: 'message', data: 'x\ny', lastEventId: '' },
    ]);
  });

  it('skips comments, a leading BOM (even split), and strips exactly one space after the colon', () => {
    const bom = Buffer.from('\uFEFF: hello\n:\ndata:  two spaces\ndata:none\ndata\n\n', 'utf8');
    const { events } = parse([...bom].map((b) => Uint8Array.of(b)));
    expect(events).toEqual([{ type: 'message', data: ' two spaces\nnone\n', lastEventId: '' }]);
  });

  it('decodes UTF-8 characters split across chunks', () => {
    expect(parse(bytewise('data: né 🚀\n\n')).events[0]?.data).toBe('né 🚀');
  });

  it('reports numeric retry fields only, ignores unknown fields and ids containing NUL', () => {
    const { events, retries } = parse(['retry: 2500\nretry: 1s\nfoo: bar\nid: a\0b\ndata: x\n\n']);
    expect(retries).toEqual([2500]);
    expect(events).toEqual([{ type: 'message', data: 'x', lastEventId: '' }]);
  });

  it('does not dispatch an event without data, nor an unterminated one', () => {
    expect(parse(['event: gap\nid: 3\n\ndata: cut off']).events).toEqual([]);
  });

  it('bounds the line and the event size', () => {
    expect(() => parse(['data: ' + 'x'.repeat(2000)])).toThrow(SseLimitError);
    expect(() => parse(bytewise(`data: ${'x'.repeat(1100)}`))).toThrow(SseLimitError);
    const lines = Array.from({ length: 10 }, () => `data: ${'y'.repeat(900)}\n`).join('');
    expect(() => parse([lines])).toThrow(/event data larger than 4096/);
  });
});

describe('frame signature', () => {
  it('signs the canonical JSON: keys sorted recursively, no spaces', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, { z: 1, y: 'é' }], c: null } })).toBe(
      '{"a":{"c":null,"d":[2,{"y":"é","z":1}]},"b":1}',
    );
    const key = 'Event-Signing-Key-0123456789-abcdefXYZ!';
    const reference = createHmac('sha256', key).update('{"jti":"j1","user_id":"u1"}').digest('hex');
    expect(signPayload({ user_id: 'u1', jti: 'j1' }, key)).toBe(reference);
  });
});
