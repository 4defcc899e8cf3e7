/**
 * Bounds concurrent calls to the issuer: `max` at once, up to `maxWaiting` more queued for at most `waitMs`
 * each. `acquire()` resolves `true` with a slot (give it back with `release()`), or `false` when the queue is
 * full or the wait timed out.
 */
export class Semaphore {
  #free: number;
  readonly #waiting: Array<(ok: boolean) => void> = [];

  constructor(
    max: number,
    private readonly maxWaiting: number,
    private readonly waitMs: number,
  ) {
    this.#free = max;
  }

  acquire(): Promise<boolean> {
    if (this.#free > 0) {
      this.#free--;
      return Promise.resolve(true);
    }
    if (this.#waiting.length >= this.maxWaiting) return Promise.resolve(false);
    return new Promise<boolean>((resolve) => {
      const entry = (ok: boolean): void => {
        clearTimeout(timer);
        resolve(ok);
      };
      const timer = setTimeout(() => {
        const at = this.#waiting.indexOf(entry);
        if (at >= 0) this.#waiting.splice(at, 1);
        resolve(false);
      }, this.waitMs);
      timer.unref();
      this.#waiting.push(entry);
    });
  }

  release(): void {
    const next = this.#waiting.shift();
    if (next !== undefined) next(true);
    else this.#free++;
  }
}
