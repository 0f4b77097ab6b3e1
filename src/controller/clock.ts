import { setLongTimeout, type Timer } from "../core/timers.js";

/** Time as the controller parts see it: injectable so the queue's rules are testable without waiting. */
export interface Clock {
  /** Milliseconds since the epoch, as Date.now(). */
  now(): number;
  /** Calls `fn` after `ms`; the handle is for clearTimeout. */
  setTimeout(fn: () => void, ms: number): unknown;
  /** Cancels what setTimeout scheduled. */
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  // A pending delayed add must not keep a finished program alive.
  setTimeout: (fn, ms) => setLongTimeout(fn, ms).unref(),
  clearTimeout: (h) => (h as Timer).clear(),
};
