/** A clock the test moves by hand: pass `now` wherever the code under test takes an injectable clock. */
export interface ManualClock {
  /** The current time in milliseconds. */
  readonly now: () => number;
  /** Moves the clock forward by `ms`. */
  advance(ms: number): void;
  /** Sets the clock to `ms`. */
  set(ms: number): void;
}

/** A {@link ManualClock} starting at `start` milliseconds (default: the real time when called). */
export function manualClock(start = Date.now()): ManualClock {
  let t = start;
  return {
    now: () => t,
    advance: (ms) => {
      t += ms;
    },
    set: (ms) => {
      t = ms;
    },
  };
}
