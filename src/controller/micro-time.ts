/**
 * A metav1.MicroTime as Go writes it (RFC3339Micro in UTC: "2006-01-02T15:04:05.000000Z"),
 * from epoch milliseconds with a fraction: Go and TypeScript replicas then write the same text.
 */
export function microTime(ms: number): string {
  // Whole microseconds first: splitting the float would turn .9 ms into 899 µs.
  const micros = Math.round(ms * 1000);
  const rest = String(micros % 1000).padStart(3, "0");
  return new Date(Math.floor(micros / 1000)).toISOString().replace(/Z$/, `${rest}Z`);
}

/** Epoch milliseconds now, to the microsecond where the platform has it. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
