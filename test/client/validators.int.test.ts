import assert from "node:assert/strict";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { InvalidObjectError, KubeError, loadConfig } from "kubefetch";
import { runCli } from "../helpers/cli.js";
import { testCluster, uniqueName } from "../helpers/cluster.js";
import { installCrd } from "../helpers/crd.js";
import { kubectl, kubectlOrThrow } from "../helpers/kubectl-run.js";
import { scratchDir } from "../helpers/spec-check.js";
import { until } from "../helpers/wait.js";

// A CRD generated with --crd: with the generated validators, the typed client and
// kube.resource() refuse an object that does not match the CRD's schema before sending it;
// without them, the same object reaches the server.
const cluster = testCluster();
const GROUP = `v${process.pid}.validators.kubefetch.example`;
const crd = {
  apiVersion: "apiextensions.k8s.io/v1",
  kind: "CustomResourceDefinition",
  metadata: { name: `widgets.${GROUP}` },
  spec: {
    group: GROUP,
    scope: "Namespaced",
    names: { plural: "widgets", singular: "widget", kind: "Widget", listKind: "WidgetList" },
    versions: [
      {
        name: "v1",
        served: true,
        storage: true,
        subresources: { status: {} },
        schema: {
          openAPIV3Schema: {
            type: "object",
            required: ["spec"],
            properties: {
              spec: {
                type: "object",
                required: ["size"],
                properties: {
                  size: { type: "string", enum: ["small", "large"] },
                  replicas: { type: "integer" },
                },
              },
              status: { type: "object", properties: { ready: { type: "boolean" } } },
            },
          },
        },
      },
    ],
  },
};

type Obj = { apiVersion: string; kind: string; metadata: { name: string }; spec?: unknown; status?: unknown };
type Api = {
  create(o: Obj, opts?: { namespace?: string }): Promise<Obj>;
  get(r: { namespace: string; name: string }): Promise<Obj>;
  status?: { replace(o: Obj, opts?: { namespace?: string }): Promise<Obj> };
};
type Client = {
  resource(r: { apiVersion: string; kind: string }): Api;
  close(): Promise<void>;
} & Record<string, Record<string, Record<string, Api>>>;

describe("createClient(config, { validators }) checks objects of --crd kinds before sending", () => {
  const out = scratchDir("validators");
  const ns = uniqueName("validators");
  const apiVersion = `${GROUP}/v1`;
  const widget = (name: string, spec: unknown): Obj => ({
    apiVersion,
    kind: "Widget",
    metadata: { name },
    spec,
  });
  let checked: Client;
  let unchecked: Client;
  let groupKey = "";

  before(async () => {
    const file = join(out, "widgets.json");
    rmSync(out, { recursive: true, force: true });
    const gen = join(out, "api");
    mkdirSync(out, { recursive: true });
    writeFileSync(file, JSON.stringify(crd));
    const r = await runCli("generate", "--crd", file, "--groups", `core,${GROUP}`, "--out", gen);
    assert.equal(r.code, 0, r.stderr);
    const [{ createClient, registry }, { validators }] = await Promise.all([
      import(join(gen, "index.ts")),
      import(join(gen, "schemas.ts")),
    ]);
    groupKey = Object.keys(registry).find((k) => k !== "core") ?? "";
    const config = await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} });
    checked = createClient(config, { validators }) as Client;
    unchecked = createClient(config) as Client;
    await kubectlOrThrow(cluster, ["create", "namespace", ns]);
    await installCrd(cluster, crd);
    // Served a moment after Established: wait until a list answers.
    await until(
      async () =>
        unchecked
          .resource({ apiVersion, kind: "Widget" })
          .create(widget("probe", { size: "small" }), { namespace: ns })
          .then(() => true)
          .catch(() => false),
      { what: "the Widget kind to be served" },
    );
  });
  after(async () => {
    await Promise.all([checked?.close(), unchecked?.close()]);
    await kubectl(cluster, ["delete", "namespace", ns, "--wait=false"]);
    await kubectl(cluster, ["delete", "crd", `widgets.${GROUP}`, "--wait=false"]);
    rmSync(out, { recursive: true, force: true });
  });

  const notThere = async (name: string) => {
    const e = await unchecked
      .resource({ apiVersion, kind: "Widget" })
      .get({ namespace: ns, name })
      .catch((x: unknown) => x);
    assert.ok(e instanceof KubeError && e.status === 404, `${name} was not created: ${String(e)}`);
  };

  it("the typed client refuses a bad object, naming the field; nothing is sent", async () => {
    const widgets = checked[groupKey]?.v1?.widgets as Api;
    const e = await widgets
      .create(widget("typed-bad", { size: "medium", replicas: "two" }), { namespace: ns })
      .catch((x: unknown) => x);
    assert.ok(e instanceof InvalidObjectError, String(e));
    assert.equal(e.verb, "create");
    assert.match(e.schema, /\.v1\.Widget$/);
    assert.deepEqual(e.issues.map((i) => i.path).sort(), ["spec.replicas", "spec.size"]);
    assert.match(e.message, /nothing was sent/);
    await notThere("typed-bad");
    const ok = await widgets.create(widget("typed-ok", { size: "large" }), { namespace: ns });
    assert.equal(ok.metadata.name, "typed-ok");
  });

  it("kube.resource() uses the generated schema of a kind the registry knows", async () => {
    const api = checked.resource({ apiVersion, kind: "Widget" });
    const e = await api
      .create({ apiVersion, kind: "Widget", metadata: { name: "dyn-bad" } }, { namespace: ns })
      .catch((x: unknown) => x);
    assert.ok(e instanceof InvalidObjectError, String(e));
    assert.deepEqual(e.issues, [{ path: "spec", message: "required" }]);
    await notThere("dyn-bad");
    const ok = await api.create(widget("dyn-ok", { size: "small" }), { namespace: ns });
    assert.equal(ok.metadata.name, "dyn-ok");
  });

  it("the status subresource's body is checked too", async () => {
    const widgets = checked[groupKey]?.v1?.widgets as Api;
    const current = await widgets.get({ namespace: ns, name: "typed-ok" });
    const e = await widgets.status
      ?.replace({ ...current, status: { ready: "yes" } }, { namespace: ns })
      .catch((x: unknown) => x);
    assert.ok(e instanceof InvalidObjectError, String(e));
    assert.deepEqual(
      e.issues.map((i) => i.path),
      ["status.ready"],
    );
  });

  it("without validators the same object reaches the server, which refuses it itself", async () => {
    const e = await unchecked
      .resource({ apiVersion, kind: "Widget" })
      .create(widget("server-bad", { size: "medium" }), { namespace: ns })
      .catch((x: unknown) => x);
    assert.ok(e instanceof KubeError, String(e));
    assert.equal(e.status, 422);
  });
});
