// Delays over 2^31-1 ms: Node clamps a platform timer's delay to 1 ms past that, so every
// timer of the library goes through src/core/timers.ts. Each case names a caller that looped
// hot before (the security and liveness review, #25).
import assert from "node:assert/strict";
import { describe, it, mock } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { createWorkQueue } from "../../src/controller/index.js";
import {
  MAX_TIMER_MS,
  setLongInterval,
  setLongTimeout,
  sleepOrThrow,
  sleepOrWake,
  timeoutSignal,
} from "../../src/core/timers.js";
import { createConfig } from "../../src/index.js";
import { createInformer } from "../../src/informer/index.js";
import { fakeApiserver, json } from "../helpers/fake-apiserver.js";

const DAY = 86_400_000;
const wait = (ms: number) => new Promise((r) => setTimeout(r, ms));

describe("long delays wait as long as they say", () => {
  it("setLongTimeout(30 days) has not fired after 100 ms (a bare setTimeout fires after 1)", async () => {
    let fired = false;
    const t = setLongTimeout(() => {
      fired = true;
    }, 30 * DAY);
    await wait(100);
    t.clear();
    assert.equal(fired, false);
  });

  it("a chain of platform timers: fires once, when the whole delay has passed", () => {
    mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
    try {
      let fired = 0;
      setLongTimeout(() => fired++, 30 * DAY);
      mock.timers.tick(MAX_TIMER_MS);
      assert.equal(fired, 0);
      mock.timers.tick(30 * DAY - MAX_TIMER_MS - 1);
      assert.equal(fired, 0);
      mock.timers.tick(1);
      assert.equal(fired, 1);
      for (let d = 0; d < 60; d++) mock.timers.tick(DAY);
      assert.equal(fired, 1);
    } finally {
      mock.timers.reset();
    }
  });

  it("setLongInterval(30 days) repeats every 30 days, not every millisecond", () => {
    mock.timers.enable({ apis: ["setTimeout", "Date"], now: 0 });
    try {
      let n = 0;
      const t = setLongInterval(() => n++, 30 * DAY);
      mock.timers.tick(30 * DAY - 1);
      assert.equal(n, 0);
      mock.timers.tick(1);
      assert.equal(n, 1);
      // Day by day: timers armed inside one tick wait for the next (mock.timers' rule).
      for (let d = 0; d < 60; d++) mock.timers.tick(DAY);
      assert.equal(n, 3);
      t.clear();
      for (let d = 0; d < 60; d++) mock.timers.tick(DAY);
      assert.equal(n, 3);
    } finally {
      mock.timers.reset();
    }
  });

  it("sleepOrWake resolves on abort, sleepOrThrow rejects with the reason, timeoutSignal(30 days) has not aborted", async () => {
    const a = new AbortController();
    const d = sleepOrWake(30 * DAY, a.signal);
    const s = sleepOrThrow(30 * DAY, a.signal);
    a.abort(new Error("stop"));
    await d;
    await assert.rejects(s, /stop/);
    const sig = timeoutSignal(30 * DAY);
    await wait(50);
    assert.equal(sig.aborted, false);
    assert.throws(() => setLongTimeout(() => {}, Number.NaN), RangeError);
  });

  it("a work queue's addAfter(key, 30 days) does not hand the key out now", async () => {
    const q = createWorkQueue<string>();
    q.addAfter("cert", 30 * DAY);
    const got = await Promise.race([q.get(), wait(150).then(() => "nothing")]);
    assert.equal(got, "nothing");
    q.shutdown();
  });

  it("an informer's resyncMs of 30 days gives no resync in 300 ms", async () => {
    const s = await fakeApiserver((req, res) => {
      if (!req.url.includes("watch=")) {
        return json(res, 200, {
          kind: "ConfigMapList",
          metadata: { resourceVersion: "1" },
          items: [{ metadata: { name: "a", namespace: "d", resourceVersion: "1" } }],
        });
      }
      res.writeHead(200, { "content-type": "application/json" });
    });
    const kube = createClient(createConfig({ server: s.url, namespace: "d", env: {} }), {
      onWarning: () => {},
    });
    const inf = createInformer(kube.core.v1.configmaps, { resyncMs: 30 * DAY });
    let updates = 0;
    inf.on("update", () => updates++);
    await inf.start();
    await inf.synced;
    await wait(300);
    assert.equal(updates, 0);
    await inf.stop();
    await kube.close();
    await s.close();
  });
});
