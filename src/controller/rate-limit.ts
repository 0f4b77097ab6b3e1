// The default controller rate limiter of client-go (workqueue.DefaultTypedControllerRateLimiter):
// the max of a per-key exponential backoff and an overall token bucket.

import type { Clock } from "./clock.js";

/** The default rate limiter's numbers, client-go's unless given. */
export interface RateLimitOptions {
  /** First per-key retry delay, doubled per failure (client-go: 5 ms). */
  baseDelayMs?: number;
  /** Cap of the per-key delay (client-go: 1000 s). */
  maxDelayMs?: number;
  /** Overall retries per second (client-go: 10). */
  qps?: number;
  /** Retries allowed at once before qps applies (client-go: 100). */
  burst?: number;
}

/** How long a failed key waits before its retry, as client-go's workqueue.TypedRateLimiter. */
export interface RateLimiter<K> {
  /** How long to wait before `key` is retried; counts a failure of the key. */
  when(key: K): number;
  /** Resets the key's failures (it succeeded). */
  forget(key: K): void;
  /** The key's failures counted so far. */
  numRequeues(key: K): number;
}

/** ItemExponentialFailureRateLimiter: base * 2^failures, capped. */
export function itemBackoff<K>(baseDelayMs: number, maxDelayMs: number): RateLimiter<K> {
  const failures = new Map<K, number>();
  return {
    when(key) {
      const n = failures.get(key) ?? 0;
      failures.set(key, n + 1);
      // 2^n overflows to Infinity long before n does; the cap holds either way.
      return Math.min(maxDelayMs, baseDelayMs * 2 ** n);
    },
    forget: (key) => void failures.delete(key),
    numRequeues: (key) => failures.get(key) ?? 0,
  };
}

/**
 * BucketRateLimiter (golang.org/x/time/rate's Reserve): a bucket of `burst` tokens refilled at
 * `qps`; each retry takes one, and when none is left the delay is the time until its token.
 */
export function tokenBucket<K>(qps: number, burst: number, clock: Clock): RateLimiter<K> {
  let tokens = burst;
  let last = clock.now();
  return {
    when() {
      const now = clock.now();
      tokens = Math.min(burst, tokens + ((now - last) / 1000) * qps);
      last = now;
      tokens -= 1;
      return tokens >= 0 ? 0 : (-tokens / qps) * 1000;
    },
    forget() {},
    numRequeues: () => 0,
  };
}

export function defaultRateLimiter<K>(o: RateLimitOptions, clock: Clock): RateLimiter<K> {
  const item = itemBackoff<K>(o.baseDelayMs ?? 5, o.maxDelayMs ?? 1_000_000);
  const bucket = tokenBucket<K>(o.qps ?? 10, o.burst ?? 100, clock);
  return {
    when: (key) => Math.max(item.when(key), bucket.when(key)),
    forget: (key) => item.forget(key),
    numRequeues: (key) => item.numRequeues(key),
  };
}
