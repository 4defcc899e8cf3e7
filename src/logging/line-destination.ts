import { EventEmitter } from 'node:events';
import { closeSync, openSync, write, writeSync } from 'node:fs';

/** Options of {@link LineDestination}. */
export interface LineDestinationOptions {
  /** A file descriptor, or a file path opened for appending. */
  readonly dest: number | string;
  /** Lines are written once this many characters are pending (one syscall per batch). */
  readonly minLength: number;
  /** The most characters handed to one write. */
  readonly maxWrite: number;
  /** Pending lines are written at least this often (ms), so a quiet service shows its logs at once. */
  readonly periodicFlush: number;
  /** The most characters held (pending and being written); a line that would go over it is dropped. */
  readonly maxLength: number;
  /** Whether a write refused with EAGAIN/EBUSY (a full non-blocking pipe) is tried again; default always. */
  readonly retryEAGAIN?: () => boolean;
}

/** How long a refused write waits before it is tried again (ms). */
const RETRY_MS = 20;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

function isBusy(error: NodeJS.ErrnoException | null): boolean {
  return error !== null && (error.code === 'EAGAIN' || error.code === 'EBUSY');
}

function always(): boolean {
  return true;
}

/**
 * An asynchronous, batched and bounded destination for pino: lines are kept in an array with a running
 * character count and joined once per write, so a line costs one `push` (sonic-boom appends each line to a
 * string and measures the whole batch's bytes again for every line). One write is in flight at a time; the
 * lines gathered meanwhile go in the next one. `flushSync` (called at exit) writes what is pending
 * synchronously.
 */
export class LineDestination extends EventEmitter {
  readonly fd: number;
  destroyed = false;
  readonly #ownsFd: boolean;
  readonly #o: LineDestinationOptions;
  readonly #retry: () => boolean;
  #lines: string[] = [];
  /** Characters in `#lines`. */
  #pending = 0;
  /** Characters handed to the write in flight (or waiting to be retried). */
  #flight = 0;
  #writing = false;
  /** What a refused write will try again, and its timer. */
  #retryData: Buffer | undefined;
  #retryTimer: NodeJS.Timeout | undefined;
  #waiters: (() => void)[] = [];
  #broken = false;
  readonly #timer: NodeJS.Timeout | undefined;

  constructor(options: LineDestinationOptions) {
    super();
    this.#o = options;
    this.#retry = options.retryEAGAIN ?? always;
    this.#ownsFd = typeof options.dest === 'string';
    this.fd = typeof options.dest === 'string' ? openSync(options.dest, 'a') : options.dest;
    if (options.periodicFlush > 0) {
      this.#timer = setInterval(() => {
        if (!this.#writing && this.#pending > 0) this.#writeBatch();
      }, options.periodicFlush);
      this.#timer.unref();
    }
  }

  /** Takes one line (pino calls this); false when it was dropped. */
  write(line: string): boolean {
    const n = line.length;
    if (this.#broken || this.destroyed || this.#pending + this.#flight + n > this.#o.maxLength) {
      this.emit('drop', line);
      return false;
    }
    this.#lines.push(line);
    this.#pending += n;
    if (!this.#writing && this.#pending >= this.#o.minLength) this.#writeBatch();
    return true;
  }

  /** The next batch: every pending line, or as many as fit in `maxWrite` (at least one). */
  #takeBatch(): string {
    const lines = this.#lines;
    if (this.#pending <= this.#o.maxWrite) {
      const text = lines.length === 1 ? (lines[0] as string) : lines.join('');
      this.#lines = [];
      this.#pending = 0;
      return text;
    }
    let count = 0;
    let chars = 0;
    while (
      count < lines.length &&
      (count === 0 || chars + (lines[count] as string).length <= this.#o.maxWrite)
    ) {
      chars += (lines[count] as string).length;
      count++;
    }
    this.#pending -= chars;
    return lines.splice(0, count).join('');
  }

  #writeBatch(): void {
    const text = this.#takeBatch();
    this.#writing = true;
    this.#flight = text.length;
    write(this.fd, text, null, 'utf8', (error, written) => this.#afterWrite(error, written, text));
  }

  #afterWrite(error: NodeJS.ErrnoException | null, written: number, data: string | Buffer): void {
    if (error === null) {
      const size = typeof data === 'string' ? Buffer.byteLength(data) : data.length;
      if (written < size) {
        const rest = (typeof data === 'string' ? Buffer.from(data) : data).subarray(written);
        write(this.fd, rest, 0, rest.length, null, (e, n) => this.#afterWrite(e, n, rest));
        return;
      }
    } else if (isBusy(error) && this.#retry()) {
      this.#retryData = typeof data === 'string' ? Buffer.from(data) : data;
      this.#retryTimer = setTimeout(() => this.#retryWrite(), RETRY_MS);
      return;
    } else {
      this.#fail(error);
    }
    this.#writing = false;
    this.#flight = 0;
    this.#next();
  }

  #retryWrite(): void {
    const data = this.#retryData as Buffer;
    this.#retryData = undefined;
    this.#retryTimer = undefined;
    write(this.fd, data, 0, data.length, null, (e, n) => this.#afterWrite(e, n, data));
  }

  /** A write failed for good: its lines are dropped; a closed reader (EPIPE) stops all logging. */
  #fail(error: NodeJS.ErrnoException): void {
    if (error.code === 'EPIPE' || error.code === 'EBADF') {
      this.#broken = true;
      this.#lines = [];
      this.#pending = 0;
    }
    if (this.listenerCount('error') > 0) this.emit('error', error);
  }

  #next(): void {
    if (this.#pending > 0 && (this.#pending >= this.#o.minLength || this.#waiters.length > 0)) {
      this.#writeBatch();
      return;
    }
    if (this.#pending === 0) {
      const waiters = this.#waiters;
      this.#waiters = [];
      for (const waiter of waiters) waiter();
      this.emit('drain');
    }
  }

  /** Writes out everything pending, then calls `callback` (pino's `logger.flush`). */
  flush(callback?: (error?: Error) => void): void {
    const done = () => callback?.();
    if (!this.#writing && this.#pending === 0) {
      process.nextTick(done);
      return;
    }
    this.#waiters.push(done);
    if (!this.#writing) this.#writeBatch();
  }

  /** Writes what is pending synchronously (at exit), retrying a full pipe while `retryEAGAIN` allows. */
  flushSync(): void {
    if (this.destroyed || this.#broken) return;
    const parts: (string | Buffer)[] = [];
    if (this.#retryData !== undefined) {
      clearTimeout(this.#retryTimer);
      parts.push(this.#retryData);
      this.#retryData = undefined;
      this.#writing = false;
      this.#flight = 0;
    }
    if (this.#pending > 0) parts.push(this.#lines.join(''));
    this.#lines = [];
    this.#pending = 0;
    for (const part of parts) this.#writeAllSync(typeof part === 'string' ? Buffer.from(part) : part);
  }

  #writeAllSync(data: Buffer): void {
    let offset = 0;
    while (offset < data.length) {
      try {
        offset += writeSync(this.fd, data, offset, data.length - offset);
      } catch (error) {
        if (!isBusy(error as NodeJS.ErrnoException) || !this.#retry()) throw error;
        Atomics.wait(sleeper, 0, 0, RETRY_MS);
      }
    }
  }

  /** Writes out what is pending, then closes a file it opened; `close` is emitted either way. */
  end(): void {
    this.flush(() => this.destroy());
  }

  /** Stops at once: nothing pending is written; a file it opened is closed. */
  destroy(): void {
    if (this.destroyed) return;
    this.destroyed = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    if (this.#retryTimer !== undefined) clearTimeout(this.#retryTimer);
    if (this.#ownsFd) {
      try {
        closeSync(this.fd);
      } catch {
        // Already closed.
      }
    }
    this.emit('close');
  }
}
