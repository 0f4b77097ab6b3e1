/** Exponential backoff with jitter: half fixed, half random, so many clients do not retry in step. */
export function jitteredBackoff(minMs: number, maxMs: number, failures: number): number {
  const exp = Math.min(maxMs, minMs * 2 ** failures);
  return exp / 2 + Math.random() * (exp / 2);
}

/** Waits `ms`, or less when the signal aborts (it never throws: callers check the signal). */
export function pause(ms: number, signal: AbortSignal | undefined): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done() {
      clearTimeout(t);
      signal?.removeEventListener("abort", done);
      resolve();
    }
    signal?.addEventListener("abort", done, { once: true });
  });
}
