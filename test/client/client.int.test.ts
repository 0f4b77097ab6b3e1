import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import {
  isAlreadyExists,
  isConflict,
  isForbidden,
  isInvalid,
  isNotFound,
  type KubeError,
  type KubeObject,
  loadConfig,
} from "../../src/index.js";
import { generateFromClusterUntil } from "../helpers/cli.js";
import { testCluster, uniqueName } from "../helpers/cluster.js";
import { crdFor } from "../helpers/crd.js";
import { kubectlOrThrow } from "../helpers/kubectl-run.js";
import { myJob, nodeCluster } from "../helpers/node.js";
import { scratchDir } from "../helpers/spec-check.js";

const run = promisify(execFile);
const cluster = testCluster();
const ns = uniqueName("client");
let kube: Client;

const deployment = (name: string, replicas = 1) => ({
  metadata: { name, namespace: ns, labels: { app: name } },
  spec: {
    replicas,
    selector: { matchLabels: { app: name } },
    template: {
      metadata: { labels: { app: name } },
      spec: { containers: [{ name: "web", image: "nginx:1" }] },
    },
  },
});

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  await kube.core.v1.namespaces.create({ metadata: { name: ns } });
});
after(async () => {
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
});

describe("CRUD on the real cluster", () => {
  it("namespaces: create fills apiVersion/kind, get, list, delete", async () => {
    const name = uniqueName("ns");
    const created = await kube.core.v1.namespaces.create({ metadata: { name } });
    assert.equal(created.kind, "Namespace");
    assert.equal((await kube.core.v1.namespaces.get({ name })).metadata?.name, name);
    assert.ok((await kube.core.v1.namespaces.list()).items.some((n) => n.metadata?.name === name));
    await kube.core.v1.namespaces.delete({ name });
    // A namespace is finalized by a controller this test cluster does not run: it stays Terminating.
    assert.equal((await kube.core.v1.namespaces.get({ name })).status?.phase, "Terminating");
  });

  it("configmaps: create, get, list by label with limit, replace, delete", async () => {
    await kube.core.v1.configmaps.create({
      metadata: { name: "a", namespace: ns, labels: { x: "y" } },
      data: { k: "v" },
    });
    const a = await kube.core.v1.configmaps.get({ namespace: ns, name: "a" });
    assert.deepEqual(a.data, { k: "v" });
    const list = await kube.core.v1.configmaps.list({ namespace: ns, labelSelector: "x=y", limit: 2 });
    assert.deepEqual(
      list.items.map((i) => [i.kind, i.metadata?.name]),
      [["ConfigMap", "a"]],
    );
    const replaced = await kube.core.v1.configmaps.replace({ ...a, data: { k: "v2" } });
    assert.deepEqual(replaced.data, { k: "v2" });
    await kube.core.v1.configmaps.delete({ namespace: ns, name: "a" });
    await assert.rejects(kube.core.v1.configmaps.get({ namespace: ns, name: "a" }), isNotFound);
  });

  it("secrets and services", async () => {
    const s = await kube.core.v1.secrets.create({
      metadata: { name: "s", namespace: ns },
      stringData: { password: "x" },
    });
    assert.equal(s.data?.password, Buffer.from("x").toString("base64"));
    const svc = await kube.core.v1.services.create({
      metadata: { name: "web", namespace: ns },
      spec: { ports: [{ port: 80, targetPort: "http" }], selector: { app: "web" } },
    });
    assert.equal(svc.spec?.ports?.[0]?.targetPort, "http");
    await kube.core.v1.services.delete({ namespace: ns, name: "web" });
    await kube.core.v1.secrets.delete({ namespace: ns, name: "s" });
  });

  it("deployments: all four patch types, scale and status subresources", async () => {
    await kube.apps.v1.deployments.create(deployment("web"));
    const ref = { namespace: ns, name: "web" };
    await kube.apps.v1.deployments.patch(ref, [{ op: "replace", path: "/spec/replicas", value: 2 }], {
      type: "json",
    });
    await kube.apps.v1.deployments.patch(ref, { metadata: { labels: { merged: "yes" } } }, { type: "merge" });
    // Strategic merge: containers merge by name, so this adds an env var to "web" without a second container.
    await kube.apps.v1.deployments.patch(
      ref,
      { spec: { template: { spec: { containers: [{ name: "web", env: [{ name: "A", value: "1" }] }] } } } },
      { type: "strategic" },
    );
    const d = await kube.apps.v1.deployments.get(ref);
    assert.equal(d.spec?.replicas, 2);
    assert.equal(d.metadata?.labels?.merged, "yes");
    assert.equal(d.spec?.template.spec?.containers.length, 1);
    assert.deepEqual(d.spec?.template.spec?.containers[0]?.env, [{ name: "A", value: "1" }]);
    const scale = await kube.apps.v1.deployments.scale.get(ref);
    assert.equal(scale.kind, "Scale");
    assert.equal(scale.spec?.replicas, 2);
    const status = await kube.apps.v1.deployments.status.patch(
      ref,
      { status: { replicas: 7 } },
      { type: "merge" },
    );
    assert.equal(status.status?.replicas, 7);
    // Not read back: the test cluster's Deployment controller rewrites status at once.
  });

  it("server-side apply: a field-manager conflict is a 409, force takes the field", async () => {
    const name = "applied";
    await kube.apps.v1.deployments.apply(deployment(name, 1), { fieldManager: "team-a" });
    const conflict = await kube.apps.v1.deployments
      .apply({ metadata: { name, namespace: ns }, spec: { replicas: 3 } }, { fieldManager: "team-b" })
      .catch((e: unknown) => e);
    assert.ok(isConflict(conflict), String(conflict));
    assert.match((conflict as KubeError).message, /conflict with "team-a"/);
    const forced = await kube.apps.v1.deployments.apply(
      { metadata: { name, namespace: ns }, spec: { replicas: 3 } },
      { fieldManager: "team-b", force: true },
    );
    assert.equal(forced.spec?.replicas, 3);
    assert.ok(forced.metadata?.managedFields?.some((f) => f.manager === "team-b"));
  });

  it("dryRun leaves nothing behind", async () => {
    await kube.core.v1.configmaps.create({ metadata: { name: "dry", namespace: ns } }, { dryRun: true });
    await assert.rejects(kube.core.v1.configmaps.get({ namespace: ns, name: "dry" }), isNotFound);
    await kube.core.v1.configmaps.create({ metadata: { name: "kept", namespace: ns } });
    await kube.core.v1.configmaps.delete({ namespace: ns, name: "kept" }, { dryRun: true });
    assert.equal((await kube.core.v1.configmaps.get({ namespace: ns, name: "kept" })).metadata?.name, "kept");
    await kube.apps.v1.deployments.apply(deployment("dry-applied"), { fieldManager: "me", dryRun: true });
    await assert.rejects(kube.apps.v1.deployments.get({ namespace: ns, name: "dry-applied" }), isNotFound);
  });

  it("listAll pages through 7 objects with limit 2", async () => {
    for (let i = 0; i < 7; i++) {
      await kube.core.v1.configmaps.create({
        metadata: { name: `page-${i}`, namespace: ns, labels: { page: "yes" } },
      });
    }
    const first = await kube.core.v1.configmaps.list({ namespace: ns, labelSelector: "page=yes", limit: 2 });
    assert.equal(first.items.length, 2);
    assert.ok(first.metadata.continue, "the server pages");
    const names: string[] = [];
    for await (const cm of kube.core.v1.configmaps.listAll({
      namespace: ns,
      labelSelector: "page=yes",
      limit: 2,
    })) {
      names.push(cm.metadata?.name ?? "");
    }
    assert.deepEqual(names.sort(), ["page-0", "page-1", "page-2", "page-3", "page-4", "page-5", "page-6"]);
    await kube.core.v1.configmaps.deleteCollection({ namespace: ns, labelSelector: "page=yes" });
    assert.equal(
      (await kube.core.v1.configmaps.list({ namespace: ns, labelSelector: "page=yes" })).items.length,
      0,
    );
  });

  it("jobs: list all jobs cluster-wide and get default/my-job (the seed's example)", async () => {
    // The same my-job as the node and examples tests (a Job's template is immutable).
    await kube.batch.v1.jobs.create(myJob(nodeCluster().images)).catch((e: unknown) => {
      if (!isAlreadyExists(e)) throw e;
    });
    const all = await kube.batch.v1.jobs.list({ allNamespaces: true });
    assert.ok(all.items.some((j) => j.metadata?.namespace === "default" && j.metadata.name === "my-job"));
    const job = await kube.batch.v1.jobs.get({ namespace: "default", name: "my-job" });
    assert.equal(job.kind, "Job");
    assert.equal(job.spec?.template.spec?.containers[0]?.image, nodeCluster().images.busybox);
  });
});

describe("errors arrive as the right KubeError", () => {
  it("404 NotFound, 409 AlreadyExists, 422 Invalid with causes, 403 Forbidden", async () => {
    await assert.rejects(kube.core.v1.configmaps.get({ namespace: ns, name: "nope" }), isNotFound);
    await kube.core.v1.configmaps.create({ metadata: { name: "dup", namespace: ns } });
    await assert.rejects(
      kube.core.v1.configmaps.create({ metadata: { name: "dup", namespace: ns } }),
      isAlreadyExists,
    );
    const invalid = await kube.core.v1.configmaps
      .create({ metadata: { name: "Not_Valid", namespace: ns } })
      .catch((e: unknown) => e);
    assert.ok(isInvalid(invalid));
    assert.equal((invalid as KubeError).causes[0]?.field, "metadata.name");
    const alice = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.unprivileged, env: {} }));
    const forbidden = await alice.core.v1.namespaces.list().catch((e: unknown) => e);
    assert.ok(isForbidden(forbidden));
    assert.equal((forbidden as KubeError).reason, "Forbidden");
    await alice.close();
  });
});

describe("discovery equals kubectl get --raw", () => {
  for (const [path, call] of [
    ["/version", () => kube.discovery.version()],
    ["/api", () => kube.discovery.api()],
    ["/apis", () => kube.discovery.groups()],
    ["/apis/batch", () => kube.discovery.group("batch")],
    ["/apis/batch/v1", () => kube.discovery.resources("batch/v1")],
    ["/api/v1", () => kube.discovery.resources("v1")],
  ] as const) {
    it(path, async () => {
      const raw = await kubectlOrThrow(cluster, ["get", "--raw", path]);
      const ours = await (call as () => Promise<unknown>)();
      const theirs = JSON.parse(raw) as Record<string, unknown>;
      // /api lists the client's own address; kubectl and we connect from different ports.
      if (path === "/api") delete theirs.serverAddressByClientCIDRs;
      const mine = { ...(ours as Record<string, unknown>) };
      if (path === "/api") delete mine.serverAddressByClientCIDRs;
      // Ours come from the aggregated answers: they carry no storageVersionHash, and order
      // groups of one priority (CRDs) by name where the per-group /apis has its own order.
      for (const r of (theirs.resources ?? []) as Record<string, unknown>[]) delete r.storageVersionHash;
      const byName = (doc: Record<string, unknown>) => {
        const groups = doc.groups as { name: string }[] | undefined;
        if (groups) doc.groups = [...groups].sort((a, b) => a.name.localeCompare(b.name));
      };
      byName(theirs);
      byName(mine);
      assert.deepEqual(mine, theirs);
    });
  }

  it("answers from its cache until refresh()", async () => {
    const a = await kube.discovery.resources("batch/v1");
    assert.equal(await kube.discovery.resources("batch/v1"), a);
    kube.discovery.refresh();
    assert.notEqual(await kube.discovery.resources("batch/v1"), a);
  });
});

describe("a CRD: generated from the cluster, typed, and through the dynamic client", () => {
  const crd = crdFor({
    group: "shop.example.com",
    kind: "Widget",
    plural: "widgets",
    spec: {
      required: ["size"],
      properties: { size: { type: "integer" }, color: { type: "string", enum: ["red", "blue"] } },
    },
  });

  it("generate --from-cluster, typed CRUD through that client, and the same objects via kube.resource()", async () => {
    await kube.apiextensions.v1.customresourcedefinitions.create(crd as never).catch((e: unknown) => {
      if (!isAlreadyExists(e)) throw e;
    });
    const out = join(scratchDir("crd"), "client");
    const registry = await generateFromClusterUntil(cluster.kubeconfigs.admin, out, '"widgets"');
    assert.ok(registry.includes('"widgets"'), "the CRD reached /openapi/v2");

    // The CRD's schema fields are typed: a consumer with a wrong field type does not compile.
    writeFileSync(
      join(out, "..", "consumer.ts"),
      [
        'import { createClient } from "./client/index.js";',
        "export async function f(kube: ReturnType<typeof createClient>) {",
        '  await kube.shopExampleCom.v1.widgets.create({ metadata: { name: "w" }, spec: { size: 3, color: "red" } });',
        '  const w = await kube.shopExampleCom.v1.widgets.get({ name: "w" });',
        "  const size: number = w.spec?.size ?? 0;",
        "  // @ts-expect-error size is an integer",
        '  await kube.shopExampleCom.v1.widgets.create({ metadata: { name: "w" }, spec: { size: "3" } });',
        "  // @ts-expect-error not one of the enum's colors",
        '  await kube.shopExampleCom.v1.widgets.create({ metadata: { name: "w" }, spec: { size: 3, color: "green" } });',
        "  return size;",
        "}",
      ].join("\n"),
    );
    writeFileSync(
      join(out, "..", "tsconfig.json"),
      JSON.stringify({
        extends: "../../../tsconfig.json",
        compilerOptions: { noEmit: true },
        include: ["consumer.ts"],
      }),
    );
    const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
    await run(process.execPath, [tsc, "-p", join(out, "..", "tsconfig.json")]).catch(
      (e: { stdout: string }) => {
        assert.fail(e.stdout);
      },
    );

    const generated = (await import(join(out, "index.ts"))) as { createClient: typeof createClient };
    const typed = generated.createClient(kube.config) as unknown as {
      shopExampleCom: { v1: { widgets: Client["core"]["v1"]["configmaps"] } };
    };
    const widgets = typed.shopExampleCom.v1.widgets;
    await widgets.create({ metadata: { name: "w1", namespace: ns }, spec: { size: 3 } } as never);
    const got = (await widgets.get({ namespace: ns, name: "w1" })) as unknown as KubeObject & {
      spec: { size: number };
    };
    assert.equal(got.kind, "Widget");
    assert.equal(got.spec.size, 3);

    const dynamic = kube.resource({ apiVersion: "shop.example.com/v1", kind: "Widget" });
    assert.deepEqual(await dynamic.info(), {
      apiVersion: "shop.example.com/v1",
      kind: "Widget",
      plural: "widgets",
      namespaced: true,
      verbs: ["delete", "deletecollection", "get", "list", "patch", "create", "update", "watch"],
    });
    const listed = await dynamic.list({ namespace: ns });
    assert.deepEqual(
      listed.items.map((i) => [i.kind, i.metadata?.name]),
      [["Widget", "w1"]],
    );
    await dynamic.patch({ namespace: ns, name: "w1" }, { spec: { color: "blue" } }, { type: "merge" });
    assert.equal(
      ((await widgets.get({ namespace: ns, name: "w1" })) as unknown as { spec: { color: string } }).spec
        .color,
      "blue",
    );
    await dynamic.delete({ namespace: ns, name: "w1" });
    await assert.rejects(widgets.get({ namespace: ns, name: "w1" }), isNotFound);
  });
});

describe("raw", () => {
  it("kube.raw reaches any path on the same credentials", async () => {
    const r = await kube.raw.GET("/api/v1/namespaces/{namespace}", { params: { path: { namespace: ns } } });
    assert.equal(r.response.status, 200);
    assert.equal((r.data as KubeObject).metadata?.name, ns);
  });
});
