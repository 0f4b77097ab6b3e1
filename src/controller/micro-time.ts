/**
 * A metav1.MicroTime as Go writes it (RFC3339Micro in UTC: "2006-01-02T15:04:05.000000Z"),
 * from epoch milliseconds with a fraction: Go and TypeScript replicas then write the same text.
 */
export function microTime(ms: number): string {
  const whole = Math.floor(ms);
  const micros = Math.min(999, Math.floor((ms - whole) * 1000));
  return new Date(whole).toISOString().replace(/Z$/, `${String(micros).padStart(3, "0")}Z`);
}

/** Epoch milliseconds now, to the microsecond where the platform has it. */
export function preciseNow(): number {
  return performance.timeOrigin + performance.now();
}
