// Bounded fuzzing for the readers of untrusted bytes (WebSocket frames, tar, watch lines,
// kubeconfig): fast-check generates and mutates inputs for a fixed time; each case must end
// within its own deadline, throw nothing but the reader's typed errors, and keep memory
// within a bound, so a hang, a crash or an allocation that follows a length field all fail.
import assert from "node:assert/strict";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import fc from "fast-check";

export { fc };

export interface FuzzOptions {
  /** How long the whole run may take (fast-check stops generating after it). */
  seconds: number;
  /** One case's deadline: a case still running after it is a hang. */
  caseMs?: number;
  /** Most heap + ArrayBuffer growth over the start allowed after any case. */
  maxGrowthMiB?: number;
  /** The errors a reader may throw: anything else fails the run. */
  expected: ReadonlyArray<abstract new (...args: never[]) => Error>;
}

// A full GC before judging growth: garbage of earlier cases is not memory a reader holds.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

const used = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
};

/** Runs `check` on generated inputs; returns how many cases ran (a run of none fails). */
export async function fuzz<T>(
  arbitrary: fc.Arbitrary<T>,
  check: (input: T) => unknown,
  options: FuzzOptions,
): Promise<number> {
  const caseMs = options.caseMs ?? 2000;
  const limit = (options.maxGrowthMiB ?? 64) * 1024 * 1024;
  const start = used();
  let cases = 0;
  await fc.assert(
    fc.asyncProperty(arbitrary, async (input) => {
      cases++;
      let timer: NodeJS.Timeout | undefined;
      const hang = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`a case ran over ${caseMs} ms (a hang)`)), caseMs);
      });
      try {
        await Promise.race([Promise.resolve().then(() => check(input)), hang]);
      } catch (err) {
        const typed = options.expected.some((E) => err instanceof E);
        if (!typed) throw err;
      } finally {
        clearTimeout(timer);
      }
      let growth = used() - start;
      if (growth >= limit) {
        gc();
        growth = used() - start;
      }
      assert.ok(growth < limit, `memory grew by ${(growth / 1048576).toFixed(1)} MiB over one case`);
    }),
    {
      numRuns: Number.MAX_SAFE_INTEGER,
      interruptAfterTimeLimit: options.seconds * 1000,
      markInterruptAsFailure: false,
    },
  );
  assert.ok(cases > 0, "the fuzzer ran no case");
  return cases;
}

/** Bytes delivered in random pieces, as a socket would. */
export async function* pieces(bytes: Uint8Array, cuts: number[]): AsyncGenerator<Buffer> {
  let at = 0;
  for (const c of cuts) {
    if (at >= bytes.length) break;
    const n = Math.max(1, c);
    yield Buffer.from(bytes.subarray(at, at + n));
    at += n;
  }
  if (at < bytes.length) yield Buffer.from(bytes.subarray(at));
}

/** A valid input with some of its bytes overwritten, some cut, some inserted. */
export function mutated(valid: fc.Arbitrary<Uint8Array>): fc.Arbitrary<Uint8Array> {
  return fc
    .tuple(
      valid,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.option(fc.nat()),
      fc.uint8Array({ maxLength: 32 }),
    )
    .map(([bytes, flips, cut, insert]) => {
      const b = Buffer.from(bytes);
      for (const [i, v] of flips) if (b.length) b[i % b.length] = v;
      const end = cut === null || b.length === 0 ? b.length : cut % (b.length + 1);
      const at = b.length ? (flips[0]?.[0] ?? 0) % (end + 1) : 0;
      return Buffer.concat([b.subarray(0, at), insert, b.subarray(at, end)]);
    });
}
