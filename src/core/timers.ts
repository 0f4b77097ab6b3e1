// Every timer of the library goes through here. Node (and browsers) clamp a delay over
// 2^31-1 ms (~24.8 days) to 1 ms, so a caller's `addAfter(key, 30 days)` or a certificate's
// `requeueAfterMs` would fire at once and loop hot. Long delays run as a chain of shorter
// timers instead. This module imports nothing of the project: every layer may use it.

/** The longest delay one platform timer holds without clamping. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** A pending timer: `clear()` cancels it, `unref()` lets the process exit while it waits. */
export interface Timer {
  clear(): void;
  unref(): Timer;
}

function checkMs(ms: number, what: string): number {
  if (Number.isNaN(ms)) throw new RangeError(`${what}: the delay is NaN`);
  return Math.max(0, ms);
}

/**
 * `fn` after `ms`, however long: over MAX_TIMER_MS the wait is a chain of timers, each
 * re-armed with what remains (measured against Date.now(), so a suspended machine catches up).
 */
export function setLongTimeout(fn: () => void, ms: number): Timer {
  const due = Date.now() + checkMs(ms, "setLongTimeout");
  let handle: ReturnType<typeof setTimeout> | undefined;
  let unref = false;
  let cleared = false;
  const arm = (left: number) => {
    handle = setTimeout(tick, Math.min(left, MAX_TIMER_MS));
    if (unref) handle.unref?.();
  };
  function tick() {
    const left = due - Date.now();
    if (left > 0) return arm(left);
    handle = undefined;
    if (!cleared) fn();
  }
  arm(due - Date.now());
  const timer: Timer = {
    clear() {
      cleared = true;
      if (handle) clearTimeout(handle);
      handle = undefined;
    },
    unref() {
      unref = true;
      handle?.unref?.();
      return timer;
    },
  };
  return timer;
}

/** `fn` every `ms` (first after `ms`), however long the period. */
export function setLongInterval(fn: () => void, ms: number): Timer {
  const period = checkMs(ms, "setLongInterval");
  let current: Timer | undefined;
  let unref = false;
  let cleared = false;
  const arm = () => {
    current = setLongTimeout(() => {
      if (cleared) return;
      arm();
      fn();
    }, period);
    if (unref) current.unref();
  };
  arm();
  const timer: Timer = {
    clear() {
      cleared = true;
      current?.clear();
    },
    unref() {
      unref = true;
      current?.unref();
      return timer;
    },
  };
  return timer;
}

/**
 * Waits `ms`; ends early, without throwing, when the signal aborts (callers check the signal
 * after it). For loops that stop on abort: backoffs, lease renewals.
 */
export function sleepOrWake(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      t.clear();
      signal?.removeEventListener("abort", done);
      resolve();
    };
    const t = setLongTimeout(done, ms);
    signal?.addEventListener("abort", done, { once: true });
  });
}

/** Waits `ms`; rejects with the signal's reason when it aborts. For calls whose caller awaits an abort as an error. */
export function sleepOrThrow(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      t.clear();
      reject(signal?.reason);
    };
    const t = setLongTimeout(() => {
      signal?.removeEventListener("abort", onAbort);
      resolve();
    }, ms);
    signal?.addEventListener("abort", onAbort, { once: true });
  });
}

/**
 * An AbortSignal that aborts after `ms` with a TimeoutError, as AbortSignal.timeout() does,
 * but without its clamping: AbortSignal.timeout(30 days) aborts after 1 ms.
 */
export function timeoutSignal(ms: number): AbortSignal {
  if (ms <= MAX_TIMER_MS) return AbortSignal.timeout(Math.max(0, ms));
  const c = new AbortController();
  // As AbortSignal.timeout's timer, this one does not keep the process alive.
  setLongTimeout(
    () => c.abort(new DOMException(`The operation was aborted due to timeout`, "TimeoutError")),
    ms,
  ).unref();
  return c.signal;
}

/** The caller's signal and a timeout as one signal; undefined when there is neither. */
export function callSignal(
  signal: AbortSignal | undefined,
  timeoutMs: number | undefined,
): AbortSignal | undefined {
  const timeout = timeoutMs !== undefined ? timeoutSignal(timeoutMs) : undefined;
  if (signal && timeout) return AbortSignal.any([signal, timeout]);
  return signal ?? timeout;
}
