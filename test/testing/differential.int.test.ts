// The differential suite of kubefetch/testing (issue #26): the same scenarios against the real
// test apiserver and against createFakeCluster, compared on the wire after normalising what must
// differ. KUBEFETCH_DIFF_ONLY=real runs the real server alone (to check the scenarios);
// KUBEFETCH_DIFF_DUMP=<file> writes both targets' normalised records there.

import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import { after, before, describe, it } from "node:test";
import { Agent, request } from "undici";
import { sleepOrWake } from "../../src/core/timers.js";
import { testCluster } from "../helpers/cluster.js";
import { compare, flatSteps, runAll, type StepRecord, type Target } from "./differential/run.js";
import { KNOWN_DIFFERENCES, STEPS, WIDGET_CRD } from "./differential/scenarios.js";

const only = process.env.KUBEFETCH_DIFF_ONLY;
if (only !== undefined && only !== "real")
  throw new Error(`KUBEFETCH_DIFF_ONLY must be "real" (got ${only})`);
const cluster = testCluster();
const ns = `kf-diff-${process.pid}-${Math.random().toString(36).slice(2, 7)}`;
// The same User-Agent on both: a manager of an update without fieldManager is named after it.
const USER_AGENT = "kf-diff/1.0";
const MIN_STEPS = 80;

const real: Target = {
  name: "real",
  url: cluster.server,
  headers: { authorization: `Bearer ${cluster.tokens.admin}`, "user-agent": USER_AGENT },
  dispatcher: new Agent({ connect: { ca: readFileSync(cluster.ca) } }),
};
let fake: (Target & { close(): Promise<void> }) | undefined;
let realRecords: StepRecord[] = [];
let fakeRecords: StepRecord[] = [];
let fakeFailure: unknown;
const timings: string[] = [];

async function realCall(method: "GET" | "DELETE", path: string): Promise<number> {
  const r = await request(`${real.url}${path}`, {
    method,
    headers: real.headers,
    dispatcher: real.dispatcher,
  });
  await r.body.text();
  return r.statusCode;
}

/** Deletes the suite's CRD on the real server (its objects with it) and waits until it is gone. */
async function removeCrd(): Promise<void> {
  const path = `/apis/apiextensions.k8s.io/v1/customresourcedefinitions/${WIDGET_CRD.metadata.name}`;
  if ((await realCall("GET", path)) === 404) return;
  await realCall("DELETE", path);
  const deadline = Date.now() + 30_000;
  while ((await realCall("GET", path)) !== 404) {
    if (Date.now() > deadline)
      throw new Error(`the CRD ${WIDGET_CRD.metadata.name} was not deleted within 30 s`);
    await sleepOrWake(200);
  }
}

async function startFake(): Promise<Target & { close(): Promise<void> }> {
  // Imported only here: KUBEFETCH_DIFF_ONLY=real runs before the fake is complete.
  const { createFakeCluster } = await import("../../src/testing/fake/server.js");
  const { registryData } = await import("../../generated/kubernetes-1.36/registry.js");
  const { validators } = await import("../../generated/kubernetes-1.36/schemas.js");
  const f = await createFakeCluster({ registry: registryData, validators });
  const dispatcher = new Agent();
  return {
    name: "fake",
    url: f.url,
    headers: { "user-agent": USER_AGENT },
    dispatcher,
    close: async () => {
      await dispatcher.close();
      await f.close();
    },
  };
}

before(async () => {
  await removeCrd();
  let t = Date.now();
  realRecords = await runAll(real, STEPS, ns);
  timings.push(`real server: ${realRecords.length} steps in ${Date.now() - t} ms`);
  if (only !== "real") {
    // A fake that fails to start fails the comparisons, not the scenarios' check on the real server.
    try {
      fake = await startFake();
      t = Date.now();
      fakeRecords = await runAll(fake, STEPS, ns);
      timings.push(`fake: ${fakeRecords.length} steps in ${Date.now() - t} ms`);
    } catch (e) {
      fakeFailure = e;
    }
  }
  const dump = process.env.KUBEFETCH_DIFF_DUMP;
  if (dump) writeFileSync(dump, JSON.stringify({ real: realRecords, fake: fakeRecords }, null, 1));
});

after(async () => {
  await realCall("DELETE", `/api/v1/namespaces/${ns}`).catch(() => 0);
  await realCall("DELETE", `/api/v1/namespaces/${ns}-doomed`).catch(() => 0);
  await removeCrd().catch(() => {});
  await real.dispatcher.close();
  await fake?.close();
});

describe("the differential suite: the fake answers as the real apiserver does", () => {
  it(`runs at least ${MIN_STEPS} compared steps, each with its own id`, (t) => {
    for (const line of timings) t.diagnostic(line);
    const ids = flatSteps(STEPS).map((s) => s.id);
    assert.ok(ids.length >= MIN_STEPS, `only ${ids.length} steps`);
    assert.deepEqual(
      ids.filter((id, i) => ids.indexOf(id) !== i),
      [],
      "duplicate step ids",
    );
    assert.equal(realRecords.length, ids.length);
  });

  it("every step answers its expected status on the real server (the scenarios are true)", () => {
    const problems = realRecords.flatMap((r) => r.problems.map((p) => `${r.id} (${r.what}): ${p}`));
    assert.deepEqual(problems, [], `\n${problems.join("\n")}`);
  });

  it("the fake answers every step as the real server does, but for KNOWN_DIFFERENCES", {
    skip: only === "real" ? "KUBEFETCH_DIFF_ONLY=real" : false,
  }, () => {
    if (fakeFailure) throw fakeFailure;
    const fakeProblems = fakeRecords.flatMap((r) =>
      r.problems
        .filter((p) => p.startsWith("until") || p.startsWith("failed") || p.startsWith("watch"))
        .map((p) => `${r.id}: fake ${p}`),
    );
    const { differences } = compare(realRecords, fakeRecords, KNOWN_DIFFERENCES);
    const all = [...differences, ...fakeProblems];
    assert.deepEqual(all, [], `${all.length} of ${realRecords.length} steps differ:\n${all.join("\n")}`);
  });

  it("every KNOWN_DIFFERENCES entry still differs (the list stays true)", {
    skip: only === "real" ? "KUBEFETCH_DIFF_ONLY=real" : false,
  }, () => {
    if (fakeFailure) throw fakeFailure;
    const { stale } = compare(realRecords, fakeRecords, KNOWN_DIFFERENCES);
    assert.deepEqual(stale, [], `\n${stale.join("\n")}`);
  });
});
