import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Clock } from "../../src/controller/clock.js";
import { createWorkQueue } from "../../src/controller/index.js";

/** A clock that moves only when told: delayed adds fire in order of their due time. */
function fakeClock() {
  let now = 1_000_000;
  let seq = 0;
  const timers = new Map<number, { at: number; fn: () => void }>();
  const clock: Clock = {
    now: () => now,
    setTimeout(fn, ms) {
      const id = ++seq;
      timers.set(id, { at: now + ms, fn });
      return id;
    },
    clearTimeout: (h) => void timers.delete(h as number),
  };
  return {
    clock,
    pending: () => [...timers.values()].map((t) => t.at - now).sort((a, b) => a - b),
    advance(ms: number) {
      const end = now + ms;
      for (;;) {
        const next = [...timers.entries()]
          .filter(([, t]) => t.at <= end)
          .sort((a, b) => a[1].at - b[1].at)[0];
        if (!next) break;
        timers.delete(next[0]);
        now = next[1].at;
        next[1].fn();
      }
      now = end;
    },
  };
}

const tick = () => new Promise((r) => setImmediate(r));

describe("createWorkQueue, with client-go's rules", () => {
  it("a key waits in the queue at most once: adding it again is a no-op", async () => {
    const q = createWorkQueue<string>();
    q.add("a");
    q.add("b");
    q.add("a");
    q.add("a");
    assert.equal(q.length, 2);
    assert.equal(await q.get(), "a");
    assert.equal(await q.get(), "b");
    assert.equal(q.length, 0);
  });

  it("a key being processed is not handed to a second worker; added meanwhile, it comes back after done()", async () => {
    const q = createWorkQueue<string>();
    q.add("a");
    const first = await q.get();
    assert.equal(first, "a");
    q.add("a");
    q.add("a");
    assert.equal(q.length, 0, "not queued while processing");
    let second: string | undefined;
    void q.get().then((k) => {
      second = k;
    });
    await tick();
    assert.equal(second, undefined, "a second worker waits");
    q.done("a");
    await tick();
    assert.equal(second, "a", "processed again once, after done");
    q.done("a");
    assert.equal(q.length, 0);
  });

  it("many workers over many adds never hold one key at once, and every last add is processed", async () => {
    const q = createWorkQueue<string>();
    const holding = new Set<string>();
    let overlaps = 0;
    const processed = new Map<string, number>();
    const lastAdd = new Map<string, number>();
    let addSeq = 0;
    const worker = async () => {
      for (;;) {
        const key = await q.get();
        if (key === undefined) return;
        if (holding.has(key)) overlaps++;
        holding.add(key);
        const seen = addSeq;
        await tick();
        processed.set(key, seen);
        holding.delete(key);
        q.done(key);
      }
    };
    const workers = Array.from({ length: 8 }, worker);
    for (let i = 0; i < 2000; i++) {
      const key = `k${i % 10}`;
      addSeq++;
      lastAdd.set(key, addSeq);
      q.add(key);
      if (i % 7 === 0) await tick();
    }
    await q.shutdownWithDrain();
    await Promise.all(workers);
    assert.equal(overlaps, 0);
    for (const [key, seq] of lastAdd) {
      assert.ok((processed.get(key) ?? -1) >= seq, `${key} was processed after its last add`);
    }
  });

  it("addAfter adds when the time comes, and keeps the earliest time per key", async () => {
    const t = fakeClock();
    const q = createWorkQueue<string>({ clock: t.clock });
    q.addAfter("a", 100);
    q.addAfter("a", 500);
    q.addAfter("a", 50);
    assert.deepEqual(t.pending(), [50]);
    t.advance(49);
    assert.equal(q.length, 0);
    t.advance(1);
    assert.equal(q.length, 1);
    q.addAfter("b", 0);
    assert.equal(q.length, 2, "no delay: at once");
  });

  it("addRateLimited backs off per key 5 ms * 2^n up to the 1000 s cap; forget resets it", () => {
    const t = fakeClock();
    const q = createWorkQueue<string>({ clock: t.clock, qps: 1e9, burst: 1e9 });
    const delays: number[] = [];
    for (let i = 0; i < 30; i++) {
      q.addRateLimited("a");
      delays.push(t.pending()[0] as number);
      t.advance(delays[i] as number);
      assert.equal(q.length, 1);
      void q.get();
      q.done("a");
    }
    assert.deepEqual(delays.slice(0, 4), [5, 10, 20, 40]);
    assert.equal(Math.max(...delays), 1_000_000);
    assert.equal(delays.at(-1), 1_000_000);
    assert.equal(q.numRequeues("a"), 30);
    q.forget("a");
    assert.equal(q.numRequeues("a"), 0);
    q.addRateLimited("a");
    assert.deepEqual(t.pending(), [5]);
  });

  it("the backoff of one key does not slow another", () => {
    const t = fakeClock();
    const q = createWorkQueue<string>({ clock: t.clock });
    for (let i = 0; i < 10; i++) q.addRateLimited("slow");
    q.addRateLimited("fresh");
    // "slow" is still waiting (the earliest time is kept); "fresh" waits only 5 ms.
    assert.deepEqual(t.pending(), [5, 5]);
    assert.equal(q.numRequeues("slow"), 10);
    assert.equal(q.numRequeues("fresh"), 1);
  });

  it("the overall token bucket allows a burst of 100, then 10 per second", () => {
    const t = fakeClock();
    const q = createWorkQueue<string>({ clock: t.clock });
    for (let i = 0; i < 100; i++) q.addRateLimited(`k${i}`);
    // The first failure of each key is 5 ms: the bucket adds nothing within the burst.
    assert.ok(t.pending().every((d) => d === 5));
    t.advance(5);
    assert.equal(q.length, 100);
    q.addRateLimited("k100");
    q.addRateLimited("k101");
    // Tokens refilled in 5 ms at 10/s: 0.05; the 101st waits (1 - 0.05) / 10 s.
    assert.deepEqual(
      t.pending().map((d) => Math.round(d)),
      [95, 195],
    );
  });

  it("shutdown ignores new adds, still hands out what is queued, then get() returns undefined", async () => {
    const q = createWorkQueue<string>();
    const waiter = q.get();
    q.add("a");
    assert.equal(await waiter, "a");
    q.add("b");
    q.shutdown();
    q.add("c");
    q.addAfter("d", 10);
    assert.equal(await q.get(), "b");
    assert.equal(await q.get(), undefined);
    assert.equal(q.shuttingDown, true);
  });

  it("shutdown wakes idle workers", async () => {
    const q = createWorkQueue<string>();
    const idle = [q.get(), q.get()];
    q.shutdown();
    assert.deepEqual(await Promise.all(idle), [undefined, undefined]);
  });

  it("shutdownWithDrain resolves only when every handed-out key is done", async () => {
    const q = createWorkQueue<string>();
    q.add("a");
    q.add("b");
    await q.get();
    await q.get();
    let drained = false;
    const d = q.shutdownWithDrain().then(() => {
      drained = true;
    });
    q.done("a");
    await tick();
    assert.equal(drained, false);
    q.done("b");
    await d;
    assert.equal(drained, true);
  });

  it("shutdown cancels delayed adds", () => {
    const t = fakeClock();
    const q = createWorkQueue<string>({ clock: t.clock });
    q.addAfter("a", 100);
    q.shutdown();
    assert.deepEqual(t.pending(), []);
  });
});
