/** One dispatched server-sent event. */
export interface SseEvent {
  /** The `event:` field; `message` when the frame had none. */
  readonly type: string;
  /** The `data:` lines joined with `\n`. */
  readonly data: string;
  /** The last event id seen so far (ids persist across events, as in the EventSource algorithm). */
  readonly lastEventId: string;
}

/** Limits that keep a misbehaving server from growing our buffers without bound. */
export interface SseLimits {
  /** Longest line, in characters. */
  readonly maxLineChars: number;
  /** Largest `data` of one event, in characters. */
  readonly maxDataChars: number;
}

export interface SseHandlers {
  onEvent(event: SseEvent): void;
  /** A valid `retry:` field (milliseconds). */
  onRetry?(ms: number): void;
}

/** Thrown by {@link SseParser.push} when a limit is exceeded; the caller drops the connection. */
export class SseLimitError extends Error {
  override readonly name = 'SseLimitError';
}

/**
 * An incremental `text/event-stream` parser following the WHATWG HTML "event stream interpretation": UTF-8
 * decoded across chunk boundaries, a leading BOM skipped, lines ended by CRLF, LF or CR (a CR at the end of
 * one chunk and an LF at the start of the next are one line end), `:` comments, fields with one optional space
 * after the colon, multi-line `data`, `id` (ignored when it contains NUL), `retry` (digits only) and an event
 * dispatched at each blank line. An unterminated event at the end of the stream is discarded.
 * @example
 * const parser = new SseParser({ onEvent: (e) => console.log(e.type, e.data) }, { maxLineChars: 65536, maxDataChars: 262144 });
 * parser.push(Buffer.from('event: gap\ndata: {}\n\n'));
 */
export class SseParser {
  readonly #handlers: SseHandlers;
  readonly #limits: SseLimits;
  readonly #decoder = new TextDecoder('utf-8');
  #line = '';
  #afterCr = false;
  #type = '';
  #data = '';
  #hasData = false;
  #lastEventId = '';

  constructor(handlers: SseHandlers, limits: SseLimits) {
    this.#handlers = handlers;
    this.#limits = limits;
  }

  /** The last event id seen (sent back as `Last-Event-ID` on reconnection). */
  get lastEventId(): string {
    return this.#lastEventId;
  }

  /** Feeds the next chunk of bytes. Throws {@link SseLimitError} when a line or an event grows too large. */
  push(chunk: Uint8Array): void {
    const text = this.#decoder.decode(chunk, { stream: true });
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (this.#afterCr) {
        // The LF of a CRLF (possibly split across chunks): the CR already ended the line.
        this.#afterCr = false;
        if (c === 10) {
          start = i + 1;
          continue;
        }
      }
      if (c !== 10 && c !== 13) continue;
      const line = this.#line + text.slice(start, i);
      this.#line = '';
      this.#afterCr = c === 13;
      start = i + 1;
      this.#processLine(line);
    }
    if (start < text.length) {
      this.#line += text.slice(start);
      if (this.#line.length > this.#limits.maxLineChars) {
        throw new SseLimitError(`line longer than ${this.#limits.maxLineChars} characters`);
      }
    }
  }

  #processLine(line: string): void {
    if (line.length > this.#limits.maxLineChars) {
      throw new SseLimitError(`line longer than ${this.#limits.maxLineChars} characters`);
    }
    if (line === '') {
      this.#dispatch();
      return;
    }
    if (line.charCodeAt(0) === 58) return; // `:` comment (heartbeats)
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case 'event':
        this.#type = value;
        break;
      case 'data':
        this.#data += `${value}\n`;
        this.#hasData = true;
        if (this.#data.length > this.#limits.maxDataChars) {
          throw new SseLimitError(`event data larger than ${this.#limits.maxDataChars} characters`);
        }
        break;
      case 'id':
        if (!value.includes('\0')) this.#lastEventId = value;
        break;
      case 'retry':
        if (/^[0-9]+$/.test(value)) this.#handlers.onRetry?.(Number(value));
        break;
      default:
      // Unknown fields are ignored.
    }
  }

  #dispatch(): void {
    const type = this.#type === '' ? 'message' : this.#type;
    const data = this.#data;
    const hasData = this.#hasData;
    this.#type = '';
    this.#data = '';
    this.#hasData = false;
    if (!hasData) return;
    this.#handlers.onEvent({ type, data: data.slice(0, -1), lastEventId: this.#lastEventId });
  }
}
