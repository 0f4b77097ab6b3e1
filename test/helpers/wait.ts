// The two ways a test waits on a cluster or a process. `until` polls for a state: the probe
// answers "not yet" with a falsy value, and a probe that throws fails the wait at once (an
// error is a failure, not a state). `eventually` retries an action through failures (an API
// server restarting, a link cut): every throw is "not yet", and the last one is the cause
// when time runs out.
import { sleepOrWake } from "../../src/core/timers.js";

type Falsy = false | 0 | "" | null | undefined;

export interface WaitOptions {
  /**
   * What is awaited, for the failure message. A function is called when the wait fails, so
   * the message can say what was seen last.
   */
  what: string | (() => string);
  /** How long to keep trying; 60 s by default. */
  timeoutMs?: number;
  /** The pause between attempts (the default is `until`'s or `eventually`'s own). */
  intervalMs?: number;
}

export interface RetryOptions extends WaitOptions {
  /**
   * An error that means the action already took effect: a create whose first answer was lost
   * to the fault and whose retry meets AlreadyExists. It ends the retries with `undefined`.
   */
  tookEffect?: (err: unknown) => boolean;
}

const DEFAULT_TIMEOUT_MS = 60_000;

function described(what: WaitOptions["what"]): string {
  return typeof what === "string" ? what : what();
}

/**
 * Polls `probe` until it returns a truthy value, and returns that value. Every 250 ms by
 * default: a probe is often a request, a kubectl run or a port-forward of its own.
 */
export async function until<T>(
  probe: () => T | Promise<T>,
  { what, timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = 250 }: WaitOptions,
): Promise<Exclude<T, Falsy>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value as Exclude<T, Falsy>;
    if (Date.now() > deadline)
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${described(what)}`);
    await sleepOrWake(intervalMs);
  }
}

/**
 * Runs `action` until it resolves, and returns what it resolved to. Every 100 ms by default:
 * the faults a test makes (a restart, a cut link) end within seconds, and the test goes on
 * as soon as they do.
 */
export function eventually<T>(
  action: () => Promise<T>,
  options: RetryOptions & { tookEffect: (err: unknown) => boolean },
): Promise<T | undefined>;
export function eventually<T>(action: () => Promise<T>, options: WaitOptions): Promise<T>;
export async function eventually<T>(
  action: () => Promise<T>,
  { what, timeoutMs = DEFAULT_TIMEOUT_MS, intervalMs = 100, tookEffect }: RetryOptions,
): Promise<T | undefined> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    try {
      return await action();
    } catch (err) {
      if (tookEffect?.(err)) return undefined;
      if (Date.now() > deadline) {
        const last = err instanceof Error ? err.message : String(err);
        throw new Error(`${described(what)}: still failing after ${timeoutMs} ms: ${last}`, { cause: err });
      }
    }
    await sleepOrWake(intervalMs);
  }
}
