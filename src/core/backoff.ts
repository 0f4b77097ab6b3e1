/** Exponential backoff with jitter: half fixed, half random, so many clients do not retry in step. */
export function jitteredBackoff(minMs: number, maxMs: number, failures: number): number {
  const exp = Math.min(maxMs, minMs * 2 ** failures);
  return exp / 2 + Math.random() * (exp / 2);
}
