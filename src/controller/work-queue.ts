// A work queue with client-go's rules (util/workqueue: queue.go, delaying_queue.go,
// rate_limiting_queue.go), stated here and each tested in test/controller/work-queue.test.ts:
//   - a key waits in the queue at most once (dirty set): adding it again is a no-op;
//   - a key being processed is never handed to a second worker; added meanwhile, it is
//     queued again when the first worker calls done();
//   - addAfter keeps the earliest time per key; addRateLimited waits the max of the key's
//     exponential backoff (5 ms * 2^failures, capped at 1000 s) and an overall token bucket
//     (10 qps, burst 100); forget() resets the key's backoff;
//   - shutdown(): new adds are ignored, waiting getters wake, what is queued is still handed
//     out, then get() returns undefined; shutdownWithDrain() also waits for in-flight keys.

import { type Clock, realClock } from "./clock.js";
import { defaultRateLimiter, type RateLimiter, type RateLimitOptions } from "./rate-limit.js";

/** What createWorkQueue() takes: the rate limiter's numbers, or a limiter of your own. */
export interface WorkQueueOptions<K> extends RateLimitOptions {
  /** Replaces the default limiter (its options are then unused). */
  rateLimiter?: RateLimiter<K>;
  /** Default: the real clock (tests pass a fake one). */
  clock?: Clock;
}

/** A queue of keys where each key is waiting or processing at most once, as client-go's workqueue. */
export interface WorkQueue<K> {
  /** Adds `key` unless it is already waiting; a key being processed is queued again when done. */
  add(key: K): void;
  /** Adds `key` after `ms` (at once when ms <= 0); an earlier pending time for the key wins. */
  addAfter(key: K, ms: number): void;
  /** Adds `key` after its backoff: a failure is counted for it. */
  addRateLimited(key: K): void;
  /** Resets the key's failure count (call after it was processed successfully). */
  forget(key: K): void;
  /** The key's failures counted so far. */
  numRequeues(key: K): number;
  /** The next key, marked as processing; undefined once shut down and empty. */
  get(): Promise<K | undefined>;
  /** Ends processing of `key`; if it was added meanwhile it is queued again. */
  done(key: K): void;
  /** Keys waiting (not processing, not delayed). */
  readonly length: number;
  /** Keys handed out and not yet done. */
  readonly processing: number;
  /** Takes no more keys; get() hands out what waits, then undefined. */
  shutdown(): void;
  /** shutdown(), then resolves once every handed-out key is done. */
  shutdownWithDrain(): Promise<void>;
  /** Whether shutdown() was called. */
  readonly shuttingDown: boolean;
}

/** A work queue with client-go's default rate limiter (per-key backoff and an overall bucket). */
export function createWorkQueue<K = string>(options: WorkQueueOptions<K> = {}): WorkQueue<K> {
  const clock = options.clock ?? realClock;
  const limiter = options.rateLimiter ?? defaultRateLimiter<K>(options, clock);
  const queue: K[] = [];
  const dirty = new Set<K>();
  const processing = new Set<K>();
  const waiting = new Map<K, { at: number; handle: unknown }>();
  const getters: ((key: K | undefined) => void)[] = [];
  const drained: (() => void)[] = [];
  let down = false;

  const hand = () => {
    while (getters.length && (queue.length || down)) {
      const resolve = getters.shift() as (key: K | undefined) => void;
      const key = queue.shift();
      if (key !== undefined) {
        processing.add(key);
        dirty.delete(key);
      }
      resolve(key);
    }
  };

  const q: WorkQueue<K> = {
    add(key) {
      if (down || dirty.has(key)) return;
      dirty.add(key);
      if (processing.has(key)) return;
      queue.push(key);
      hand();
    },
    addAfter(key, ms) {
      if (down) return;
      if (!(ms > 0)) return q.add(key);
      const at = clock.now() + ms;
      const pending = waiting.get(key);
      if (pending && pending.at <= at) return;
      if (pending) clock.clearTimeout(pending.handle);
      const handle = clock.setTimeout(() => {
        waiting.delete(key);
        q.add(key);
      }, ms);
      waiting.set(key, { at, handle });
    },
    addRateLimited: (key) => q.addAfter(key, limiter.when(key)),
    forget: (key) => limiter.forget(key),
    numRequeues: (key) => limiter.numRequeues(key),
    get() {
      return new Promise<K | undefined>((resolve) => {
        getters.push(resolve);
        hand();
      });
    },
    done(key) {
      processing.delete(key);
      // Added while processing (or before a shutdown, which still hands it out): queue it again.
      if (dirty.has(key)) {
        queue.push(key);
        hand();
      }
      if (processing.size === 0) for (const r of drained.splice(0)) r();
    },
    get length() {
      return queue.length;
    },
    get processing() {
      return processing.size;
    },
    get shuttingDown() {
      return down;
    },
    shutdown() {
      if (down) return;
      down = true;
      for (const { handle } of waiting.values()) clock.clearTimeout(handle);
      waiting.clear();
      hand();
    },
    shutdownWithDrain() {
      q.shutdown();
      if (processing.size === 0) return Promise.resolve();
      return new Promise<void>((r) => drained.push(r));
    },
  };
  return q;
}
