import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { isConflict, isNotFound, KubeError, loadConfig } from "../../src/index.js";
import { fakeApiserver, json, status } from "../helpers/fake-apiserver.js";

const CM = { apiVersion: "v1", kind: "ConfigMap", metadata: { name: "a", namespace: "d" } };
const fast = { retry: { baseDelayMs: 5, maxDelayMs: 50, maxRetries: 3 } };

async function clientFor(url: string, options = {}) {
  return createClient(await loadConfig({ server: url, namespace: "d", env: {} }), { ...fast, ...options });
}

describe("retries", () => {
  it("a 503 with Retry-After is retried for any verb, waiting as long as it says", async () => {
    const s = await fakeApiserver((_r, res, n) =>
      n === 1
        ? json(res, 503, status(503, "ServiceUnavailable", "busy"), { "retry-after": "1" })
        : json(res, 201, CM),
    );
    const kube = await clientFor(s.url, { retry: { baseDelayMs: 5, maxDelayMs: 2000, maxRetries: 3 } });
    const t = Date.now();
    await kube.core.v1.configmaps.create({ metadata: { name: "a" } });
    assert.ok(Date.now() - t >= 950, `waited ${Date.now() - t} ms`);
    assert.deepEqual(
      s.seen.map((r) => r.method),
      ["POST", "POST"],
    );
    await kube.close();
    await s.close();
  });

  it("a 429 with Retry-After is retried for a POST too", async () => {
    const s = await fakeApiserver((_r, res, n) =>
      n < 3
        ? json(res, 429, status(429, "TooManyRequests", "slow down"), { "retry-after": "0" })
        : json(res, 201, CM),
    );
    const kube = await clientFor(s.url);
    await kube.core.v1.configmaps.create({ metadata: { name: "a" } });
    assert.equal(s.seen.length, 3);
    await kube.close();
    await s.close();
  });

  it("a 500 is retried for GET, never for POST (the server may have acted)", async () => {
    const s = await fakeApiserver((r, res, n) =>
      r.method === "GET" && n >= 3
        ? json(res, 200, CM)
        : json(res, 500, status(500, "InternalError", "oops")),
    );
    const kube = await clientFor(s.url);
    await kube.core.v1.configmaps.get({ name: "a" });
    assert.equal(s.seen.length, 3);
    await assert.rejects(
      kube.core.v1.configmaps.create({ metadata: { name: "b" } }),
      (e: unknown) => e instanceof KubeError && e.status === 500,
    );
    assert.equal(s.seen.filter((r) => r.method === "POST").length, 1);
    await kube.close();
    await s.close();
  });

  it("attempts are bounded", async () => {
    const s = await fakeApiserver((_r, res) =>
      json(res, 503, status(503, "ServiceUnavailable", "down"), { "retry-after": "0" }),
    );
    const kube = await clientFor(s.url);
    await assert.rejects(
      kube.core.v1.configmaps.get({ name: "a" }),
      (e: unknown) => e instanceof KubeError && e.status === 503,
    );
    assert.equal(s.seen.length, 4);
    await kube.close();
    await s.close();
  });

  it("a reset connection is retried for GET", async () => {
    const s = await fakeApiserver((_r, res, n) => {
      if (n === 1) res.socket?.destroy();
      else json(res, 200, CM);
    });
    const kube = await clientFor(s.url);
    assert.equal((await kube.core.v1.configmaps.get({ name: "a" })).metadata?.name, "a");
    assert.equal(s.seen.length, 2);
    await kube.close();
    await s.close();
  });

  it("a timeout or an abort also cuts the waits between retries", async () => {
    const s = await fakeApiserver((_r, res) =>
      json(res, 503, status(503, "x", "y"), { "retry-after": "30" }),
    );
    const kube = await clientFor(s.url, { retry: { maxDelayMs: 60_000 } });
    const t = Date.now();
    await assert.rejects(
      kube.core.v1.configmaps.get({ name: "a" }, { timeoutMs: 200 }),
      (e: Error) => e.name === "TimeoutError",
    );
    assert.ok(Date.now() - t < 5000);
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 100);
    await assert.rejects(
      kube.core.v1.configmaps.get({ name: "a" }, { signal: ac.signal }),
      (e: Error) => e.name === "AbortError",
    );
    await kube.close();
    await s.close();
  });
});

describe("errors and odd answers", () => {
  it("a Status body becomes a KubeError with reason, details and causes", async () => {
    const s = await fakeApiserver((_r, res) =>
      json(res, 409, {
        ...status(409, "AlreadyExists", 'configmaps "a" already exists'),
        details: { name: "a", kind: "configmaps", causes: [{ field: "x" }] },
      }),
    );
    const kube = await clientFor(s.url);
    const err = await kube.core.v1.configmaps.create({ metadata: { name: "a" } }).catch((e: unknown) => e);
    assert.ok(err instanceof KubeError);
    assert.equal(err.status, 409);
    assert.equal(err.reason, "AlreadyExists");
    assert.equal(err.method, "POST");
    assert.equal(err.path, "/api/v1/namespaces/d/configmaps");
    assert.deepEqual(err.causes, [{ field: "x" }]);
    assert.equal(isConflict(err), false);
    assert.equal(
      err.message,
      'POST /api/v1/namespaces/d/configmaps: 409 AlreadyExists: configmaps "a" already exists',
    );
    await kube.close();
    await s.close();
  });

  it("a non-JSON error body still gives a KubeError with the status and the first bytes", async () => {
    const s = await fakeApiserver((_r, res) =>
      res.writeHead(404, { "content-type": "text/html" }).end("<html>nginx: not here</html>"),
    );
    const kube = await clientFor(s.url);
    const err = await kube.core.v1.configmaps.get({ name: "a" }).catch((e: unknown) => e);
    assert.ok(isNotFound(err));
    assert.equal((err as KubeError).bodyPrefix, "<html>nginx: not here</html>");
    await kube.close();
    await s.close();
  });

  it("a 200 that is not JSON is a KubeError, not a crash", async () => {
    const s = await fakeApiserver((_r, res) => res.writeHead(200).end("{truncated"));
    const kube = await clientFor(s.url);
    const err = await kube.core.v1.configmaps.get({ name: "a" }).catch((e: unknown) => e);
    assert.ok(err instanceof KubeError);
    assert.equal(err.status, 200);
    assert.match(err.message, /the answer is not JSON/);
    await kube.close();
    await s.close();
  });

  it("Warning headers reach onWarning, the text unquoted", async () => {
    const s = await fakeApiserver((_r, res) =>
      json(res, 200, CM, { warning: '299 - "v1 ConfigMap is deprecated, \\"use\\" v2"' }),
    );
    const warnings: string[] = [];
    const kube = await clientFor(s.url, { onWarning: (m: string) => warnings.push(m) });
    await kube.core.v1.configmaps.get({ name: "a" });
    await kube.core.v1.configmaps.get({ name: "a" });
    assert.deepEqual(warnings, [
      'v1 ConfigMap is deprecated, "use" v2',
      'v1 ConfigMap is deprecated, "use" v2',
    ]);
    await kube.close();
    await s.close();
  });
});

describe("default warning handler", () => {
  it("prints each distinct Warning once, as kubectl does", async () => {
    let n = 0;
    const s = await fakeApiserver((_r, res) =>
      json(res, 200, CM, { warning: `299 - "warning ${n++ < 2 ? "one" : "two"}"` }),
    );
    const printed: string[] = [];
    const original = console.warn;
    console.warn = (m: string) => printed.push(m);
    try {
      const kube = createClient(await loadConfig({ server: s.url, namespace: "d", env: {} }));
      for (let i = 0; i < 4; i++) await kube.core.v1.configmaps.get({ name: "a" });
      await kube.close();
    } finally {
      console.warn = original;
      await s.close();
    }
    assert.deepEqual(printed, ["Warning: warning one", "Warning: warning two"]);
  });
});

describe("requests as the server sees them", () => {
  it("fill apiVersion/kind and take the namespace from the object, else the option, else the config", async () => {
    const s = await fakeApiserver((r, res) => json(res, 201, JSON.parse(r.body || "{}")));
    const kube = await clientFor(s.url);
    await kube.core.v1.configmaps.create({ metadata: { name: "a", namespace: "from-object" } });
    await kube.core.v1.configmaps.create({ metadata: { name: "a" } }, { namespace: "from-option" });
    await kube.core.v1.configmaps.create({ metadata: { name: "a" } });
    assert.deepEqual(
      s.seen.map((r) => r.url),
      [
        "/api/v1/namespaces/from-object/configmaps",
        "/api/v1/namespaces/from-option/configmaps",
        "/api/v1/namespaces/d/configmaps",
      ],
    );
    assert.deepEqual(JSON.parse(s.seen[2]?.body ?? ""), {
      metadata: { name: "a" },
      apiVersion: "v1",
      kind: "ConfigMap",
    });
    await kube.close();
    await s.close();
  });

  it("send each patch type's content type, and apply's fieldManager and force", async () => {
    const s = await fakeApiserver((_r, res) => json(res, 200, CM));
    const kube = await clientFor(s.url);
    await kube.apps.v1.deployments.patch({ name: "w" }, [{ op: "remove", path: "/x" }], { type: "json" });
    await kube.apps.v1.deployments.patch({ name: "w" }, { spec: { replicas: 1 } }, { type: "merge" });
    await kube.apps.v1.deployments.patch(
      { name: "w" },
      { spec: { replicas: 1 } },
      { type: "strategic", dryRun: true },
    );
    await kube.apps.v1.deployments.apply({ metadata: { name: "w" } }, { fieldManager: "me", force: true });
    assert.deepEqual(
      s.seen.map((r) => [r.url, r.headers["content-type"]]),
      [
        ["/apis/apps/v1/namespaces/d/deployments/w", "application/json-patch+json"],
        ["/apis/apps/v1/namespaces/d/deployments/w", "application/merge-patch+json"],
        ["/apis/apps/v1/namespaces/d/deployments/w?dryRun=All", "application/strategic-merge-patch+json"],
        [
          "/apis/apps/v1/namespaces/d/deployments/w?fieldManager=me&force=true",
          "application/apply-patch+yaml",
        ],
      ],
    );
    assert.deepEqual(JSON.parse(s.seen[3]?.body ?? ""), {
      metadata: { name: "w" },
      apiVersion: "apps/v1",
      kind: "Deployment",
    });
    await kube.close();
    await s.close();
  });

  it("list with allNamespaces lists all namespaces, and its items get their kind", async () => {
    const s = await fakeApiserver((_r, res) =>
      json(res, 200, {
        kind: "JobList",
        apiVersion: "batch/v1",
        metadata: {},
        items: [{ metadata: { name: "j" } }],
      }),
    );
    const kube = await clientFor(s.url);
    const jobs = await kube.batch.v1.jobs.list({ allNamespaces: true });
    assert.equal(s.seen[0]?.url, "/apis/batch/v1/jobs");
    assert.equal(jobs.items[0]?.kind, "Job");
    assert.equal(jobs.items[0]?.apiVersion, "batch/v1");
    await kube.close();
    await s.close();
  });
});

describe("pod logs", () => {
  it("stream line by line as they arrive (follow), and close the request when the loop ends", async () => {
    let closed = false;
    const s = await fakeApiserver((_r, res) => {
      res.writeHead(200, { "content-type": "text/plain" });
      res.write("one\ntw");
      setTimeout(() => res.write("o\nthree\n"), 50);
      res.on("close", () => {
        closed = true;
      });
    });
    const kube = await clientFor(s.url);
    const got: string[] = [];
    for await (const line of kube.core.v1.pods.log({ name: "p", follow: true, container: "c" })) {
      got.push(line);
      if (got.length === 3) break;
    }
    assert.deepEqual(got, ["one", "two", "three"]);
    assert.equal(s.seen[0]?.url, "/api/v1/namespaces/d/pods/p/log?follow=true&container=c");
    await new Promise((r) => setTimeout(r, 50));
    assert.equal(closed, true, "breaking out of the loop closes the stream");
    await kube.close();
    await s.close();
  });

  it("give the whole text in one go", async () => {
    const s = await fakeApiserver((_r, res) => res.writeHead(200).end("a\nb\n"));
    const kube = await clientFor(s.url);
    assert.equal(await kube.core.v1.pods.log({ name: "p" }).text(), "a\nb\n");
    await kube.close();
    await s.close();
  });
});
