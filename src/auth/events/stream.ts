import http, { type ClientRequest, type IncomingMessage } from 'node:http';
import https from 'node:https';
import type { AuthContext } from '../types.js';
import { applyEvent, type EventTargets, STREAM_EVENT_TYPES, type StreamEventType } from './apply.js';
import type { ServiceTokenSource } from './service-token.js';
import { signatureValid } from './signature.js';
import { type SseEvent, SseParser } from './sse-parser.js';

/** First reconnection delay; it doubles per failed attempt up to {@link MAX_BACKOFF_MS}, ± 25 % jitter. */
const INITIAL_BACKOFF_MS = 1000;
/** Longest reconnection delay (before jitter). */
const MAX_BACKOFF_MS = 60_000;
/** Stream limits: a longer line or a larger event drops the connection (then reconnects). */
const MAX_SSE_LINE_CHARS = 64 * 1024;
const MAX_SSE_DATA_CHARS = 256 * 1024;
/**
 * Default silence allowed on an open stream before it counts as dead (a half-open TCP connection, a proxy that
 * stopped forwarding): then it is reopened with `Last-Event-ID`, so nothing pushed meanwhile is lost. TCP
 * keep-alive probes (every {@link KEEPALIVE_MS} of silence) let the kernel notice a vanished peer as well.
 */
export const STREAM_IDLE_TIMEOUT_MS = 300_000;
const KEEPALIVE_MS = 30_000;
/** How many recent event ids are remembered to recognise a replayed event. */
const SEEN_IDS = 1024;

/** The timer functions the stream uses; tests pass a manual clock. */
export interface StreamTimers {
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

/** What happened to one frame (label `result` of `auth_event_stream_events_total`). */
export type StreamEventResult =
  | 'applied'
  | 'duplicate'
  | 'unsigned'
  | 'bad_signature'
  | 'malformed'
  | 'ignored';

export interface EventStreamOptions {
  /** `{base}/private/v1/events/stream`. */
  readonly url: URL;
  readonly tokens: ServiceTokenSource;
  /** `EVENT_SIGNING_KEY`; `undefined` only when unsigned events are accepted. */
  readonly signingKey: string | undefined;
  readonly acceptUnsigned: boolean;
  readonly targets: EventTargets;
  readonly agent: http.Agent;
  /** Time allowed from the request to the response headers. */
  readonly responseTimeoutMs: number;
  /** Silence allowed on the open stream before it is reopened (real time: the socket's idle timeout). */
  readonly idleTimeoutMs: number;
  readonly timers: StreamTimers;
  /** In [0, 1); the jitter source. */
  readonly random: () => number;
  readonly ctx: AuthContext;
}

/**
 * The issuer's revocation event stream (server-sent events): connects with a service token, verifies each
 * frame's HMAC, applies it to the caches, and reconnects with `Last-Event-ID` after a backoff (1 s doubling
 * to 60 s, ± 25 % jitter, reset by a successful connection). A 401 on the stream fetches a new service token
 * once, then backs off. `stop()` leaves no socket or timer behind.
 */
export class EventStream {
  readonly #o: EventStreamOptions;
  readonly #parser: SseParser;
  readonly #seen = new Set<string>();
  #running = false;
  #connected = false;
  #failures = 0;
  #retryBaseMs = INITIAL_BACKOFF_MS;
  #retried401 = false;
  #request: ClientRequest | undefined;
  #timer: unknown;
  #deadline: unknown;
  /** Bumped per connection attempt: callbacks of an older one are ignored. */
  #attempt = 0;

  constructor(options: EventStreamOptions) {
    this.#o = options;
    this.#parser = this.#newParser();
  }

  /** True while the stream is open and its response was accepted. */
  get connected(): boolean {
    return this.#connected;
  }

  /** The id of the last event received (sent as `Last-Event-ID` when reconnecting); `''` before any. */
  get lastEventId(): string {
    return this.#parser.lastEventId;
  }

  /** Connects (in the background). Idempotent. */
  start(): void {
    if (this.#running) return;
    this.#running = true;
    this.#observe((o) => o.onEventStreamConnected?.(false));
    void this.#connect();
  }

  /** Closes the connection and cancels any pending reconnection. Idempotent. */
  stop(): void {
    this.#running = false;
    this.#attempt++;
    if (this.#timer !== undefined) this.#o.timers.clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#clearDeadline();
    this.#request?.destroy();
    this.#request = undefined;
    this.#setConnected(false);
  }

  #clearDeadline(): void {
    if (this.#deadline !== undefined) this.#o.timers.clearTimeout(this.#deadline);
    this.#deadline = undefined;
  }

  #newParser(): SseParser {
    return new SseParser(
      {
        onEvent: (event) => this.#onEvent(event),
        onRetry: (ms) => {
          this.#retryBaseMs = Math.min(Math.max(ms, 100), MAX_BACKOFF_MS);
        },
      },
      { maxLineChars: MAX_SSE_LINE_CHARS, maxDataChars: MAX_SSE_DATA_CHARS },
    );
  }

  async #connect(): Promise<void> {
    const attempt = ++this.#attempt;
    const result = await this.#o.tokens.get();
    if (attempt !== this.#attempt || !this.#running) return;
    if ('error' in result) {
      this.#o.ctx.logger.warn(
        { event: 'auth_event_stream', cause: result.cause },
        result.error === 'rejected'
          ? 'event stream service token refused (check PRIVATE_API_SECRET and INTERNAL_CLIENT_ID)'
          : 'event stream service token unavailable',
      );
      this.#scheduleReconnect();
      return;
    }
    this.#open(attempt, result.token);
  }

  #open(attempt: number, token: string): void {
    const headers: Record<string, string> = {
      accept: 'text/event-stream',
      'cache-control': 'no-cache',
      authorization: `Bearer ${token}`,
      'user-agent': 'express-m8',
    };
    if (this.#parser.lastEventId !== '') headers['last-event-id'] = this.#parser.lastEventId;
    const transport = this.#o.url.protocol === 'https:' ? https : http;
    const req = transport.request(this.#o.url, { method: 'GET', headers, agent: this.#o.agent });
    this.#request = req;
    this.#deadline = this.#o.timers.setTimeout(() => {
      this.#deadline = undefined;
      this.#drop(attempt, 'no response in time');
    }, this.#o.responseTimeoutMs);
    req.on('socket', (socket) => {
      socket.setKeepAlive(true, KEEPALIVE_MS);
      // Any byte (an event, a `:` heartbeat comment) restarts the count; see STREAM_IDLE_TIMEOUT_MS.
      socket.setTimeout(this.#o.idleTimeoutMs);
    });
    req.on('timeout', () => {
      const ms = this.#o.idleTimeoutMs;
      this.#drop(attempt, `no data for ${ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`}`);
    });
    req.on('error', (err) => {
      this.#drop(attempt, (err as NodeJS.ErrnoException).code ?? err.message);
    });
    req.on('response', (res) => {
      if (attempt === this.#attempt) this.#clearDeadline();
      this.#onResponse(attempt, res);
    });
    req.end();
  }

  #onResponse(attempt: number, res: IncomingMessage): void {
    if (attempt !== this.#attempt) return void res.destroy();
    const type = String(res.headers['content-type'] ?? '');
    if (res.statusCode !== 200 || !type.toLowerCase().startsWith('text/event-stream')) {
      res.resume();
      if (res.statusCode === 401 && !this.#retried401) {
        // Our service token expired or was revoked early: fetch a new one once, right away.
        this.#retried401 = true;
        this.#o.tokens.invalidate();
        this.#request = undefined;
        void this.#connect();
        return;
      }
      if (res.statusCode === 401) this.#o.tokens.invalidate();
      this.#drop(attempt, `status ${res.statusCode ?? 0}${res.statusCode === 200 ? ` (${type})` : ''}`);
      return;
    }
    this.#failures = 0;
    this.#retried401 = false;
    this.#setConnected(true);
    this.#o.ctx.logger.info(
      { event: 'auth_event_stream', lastEventId: this.lastEventId },
      'event stream connected',
    );
    res.on('data', (chunk: Buffer) => {
      if (attempt !== this.#attempt) return;
      try {
        this.#parser.push(chunk);
      } catch (err) {
        this.#drop(attempt, (err as Error).message);
      }
    });
    res.on('end', () => this.#drop(attempt, 'stream ended'));
    res.on('error', () => this.#drop(attempt, 'stream error'));
    res.on('close', () => this.#drop(attempt, 'stream closed'));
  }

  /** Ends the current attempt (if still current) and schedules the next one. */
  #drop(attempt: number, cause: string): void {
    if (attempt !== this.#attempt) return;
    this.#attempt++;
    this.#clearDeadline();
    this.#request?.destroy();
    this.#request = undefined;
    if (this.#connected) {
      this.#o.ctx.logger.warn({ event: 'auth_event_stream', cause }, 'event stream disconnected');
    } else {
      this.#o.ctx.logger.warn({ event: 'auth_event_stream', cause }, 'event stream connection failed');
    }
    this.#setConnected(false);
    if (this.#running) this.#scheduleReconnect();
  }

  #scheduleReconnect(): void {
    const base = Math.min(this.#retryBaseMs * 2 ** this.#failures, MAX_BACKOFF_MS);
    this.#failures = Math.min(this.#failures + 1, 16);
    const delay = Math.round(base * (0.75 + this.#o.random() * 0.5));
    this.#timer = this.#o.timers.setTimeout(() => {
      this.#timer = undefined;
      if (!this.#running) return;
      this.#observe((o) => o.onEventStreamReconnect?.());
      void this.#connect();
    }, delay);
  }

  #setConnected(connected: boolean): void {
    if (this.#connected === connected) return;
    this.#connected = connected;
    this.#observe((o) => o.onEventStreamConnected?.(connected));
  }

  #onEvent(event: SseEvent): void {
    const known = (STREAM_EVENT_TYPES as readonly string[]).includes(event.type);
    const label = known ? event.type : 'other';
    const result = known ? this.#handle(event.type as StreamEventType, event) : 'ignored';
    this.#observe((o) => o.onEventStreamEvent?.(label, result));
  }

  #handle(type: StreamEventType, event: SseEvent): StreamEventResult {
    let frame: unknown;
    try {
      frame = JSON.parse(event.data);
    } catch {
      return this.#refuse(type, event, 'malformed');
    }
    const payload = (frame as { payload?: unknown } | null)?.payload;
    if (typeof payload !== 'object' || payload === null || Array.isArray(payload)) {
      return this.#refuse(type, event, 'malformed');
    }
    const sig = (frame as { sig?: unknown }).sig;
    const verdict =
      typeof sig !== 'string' || this.#o.signingKey === undefined
        ? 'unsigned'
        : signatureValid(payload, sig, this.#o.signingKey)
          ? 'valid'
          : 'bad_signature';
    if (verdict !== 'valid' && !this.#o.acceptUnsigned) return this.#refuse(type, event, verdict);
    const p = payload as Record<string, unknown>;
    const id =
      event.lastEventId !== '' ? event.lastEventId : typeof p.event_id === 'string' ? p.event_id : '';
    if (id !== '' && this.#seen.has(id)) return 'duplicate';
    const result = applyEvent(type, p, this.#o.targets);
    if (result !== 'applied') return this.#refuse(type, event, result);
    if (id !== '') this.#remember(id);
    if (type === 'gap') {
      this.#o.ctx.logger.warn({ event: 'auth_event_stream', id }, 'event stream gap: caches flushed');
    }
    return result;
  }

  /** Logs a dropped frame: its type, id and why, never its payload. */
  #refuse(type: StreamEventType, event: SseEvent, result: StreamEventResult): StreamEventResult {
    this.#o.ctx.logger.warn(
      { event: 'auth_event_stream', event_type: type, id: event.lastEventId, result },
      'event stream frame dropped',
    );
    return result;
  }

  #remember(id: string): void {
    this.#seen.add(id);
    if (this.#seen.size > SEEN_IDS) this.#seen.delete(this.#seen.values().next().value!);
  }

  #observe(call: (observer: NonNullable<AuthContext['observer']>) => void): void {
    const observer = this.#o.ctx.observer;
    if (observer === undefined) return;
    try {
      call(observer);
    } catch {
      // An observer must never break the stream.
    }
  }
}
