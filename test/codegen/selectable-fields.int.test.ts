import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { parse } from "yaml";
import { KubeError, loadConfig } from "../../src/index.js";
import { testCluster, uniqueName } from "../helpers/cluster.js";
import { generateForCrd, installCrd } from "../helpers/crd.js";
import { kubectl, kubectlOrThrow } from "../helpers/kubectl-run.js";
import { repoRoot } from "../helpers/paths.js";
import { scratchDir } from "../helpers/spec-check.js";
import { until } from "../helpers/wait.js";

// The Kubernetes docs' selectableFields example (test/fixtures/crds/kubernetes-website/),
// generated with --crd and installed in a group of this process's own: the server filters a
// list by the CRD's selectable fields, asked through the generated client's fieldSelector.
const cluster = testCluster();
type Shirt = {
  apiVersion: string;
  kind: string;
  metadata: { name: string };
  spec: { color: string; size: string };
};
type Shirts = {
  create(o: Shirt, opts: { namespace: string }): Promise<Shirt>;
  list(opts: { namespace: string; fieldSelector?: string }): Promise<{ items: Shirt[] }>;
};
type CrdClient = Record<string, Record<string, Record<string, Shirts>>> & {
  raw: { GET(path: string, init?: object): Promise<{ error?: unknown; response: Response }> };
  close(): Promise<void>;
};

describe("field selectors on a CRD's selectableFields, through the client generated --crd", () => {
  const out = scratchDir("selectable-fields");
  const fixture = join(repoRoot, "test/fixtures/crds/kubernetes-website/shirt-resource-definition.yaml");
  const crd = parse(readFileSync(fixture, "utf8"));
  const group = `v${process.pid}.shirts.kubefetch.example`;
  crd.metadata.name = `${crd.spec.names.plural}.${group}`;
  crd.spec.group = group;
  const apiVersion = `${group}/v1`;
  const { kind, plural } = crd.spec.names as { kind: string; plural: string };
  const selectable = (crd.spec.versions[0].selectableFields as { jsonPath: string }[]).map((f) =>
    f.jsonPath.slice(1),
  );
  const ns = uniqueName("selectable-fields");
  const made: Shirt[] = [
    ["blue-s", "blue", "S"],
    ["blue-m", "blue", "M"],
    ["red-m", "red", "M"],
    ["green-l", "green", "L"],
  ].map(([name, color, size]) => ({
    apiVersion,
    kind,
    metadata: { name: name as string },
    spec: { color: color as string, size: size as string },
  }));
  let kube: CrdClient;
  let shirts: Shirts;

  const names = (list: { items: Shirt[] }) => list.items.map((s) => s.metadata.name).sort();
  const expected = (test: (s: Shirt) => boolean) =>
    made
      .filter(test)
      .map((s) => s.metadata.name)
      .sort();

  before(async () => {
    const { generated, groupKey } = await generateForCrd(crd, out);
    kube = generated.createClient(
      await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }),
    ) as CrdClient;
    shirts = kube[groupKey]?.v1?.[plural] as Shirts;
    await kubectlOrThrow(cluster, ["create", "namespace", ns]);
    await installCrd(cluster, crd);
    // Served a moment after Established: wait until a list answers.
    await until(
      () =>
        shirts
          .list({ namespace: ns })
          .then(() => true)
          .catch(() => false),
      { what: `${plural}.${group} to be served` },
    );
    for (const s of made) await shirts.create(s, { namespace: ns });
  });
  after(async () => {
    await kube?.close();
    await kubectl(cluster, ["delete", "namespace", ns, "--wait=false"]);
    await kubectl(cluster, ["delete", "crd", crd.metadata.name, "--wait=false"]);
    rmSync(out, { recursive: true, force: true });
  });

  it("the fixture declares spec.color and spec.size selectable", () => {
    assert.deepEqual(selectable, ["spec.color", "spec.size"]);
  });

  it("fieldSelector spec.color=blue lists exactly the blue shirts", async () => {
    const list = await shirts.list({ namespace: ns, fieldSelector: "spec.color=blue" });
    assert.deepEqual(
      names(list),
      expected((s) => s.spec.color === "blue"),
    );
    assert.ok(list.items.length > 0 && list.items.length < made.length);
  });

  it("combined selectors (and, !=) on both fields list exactly the matching shirts", async () => {
    assert.deepEqual(
      names(await shirts.list({ namespace: ns, fieldSelector: "spec.color=blue,spec.size=M" })),
      expected((s) => s.spec.color === "blue" && s.spec.size === "M"),
    );
    assert.deepEqual(
      names(await shirts.list({ namespace: ns, fieldSelector: "spec.color!=blue,spec.size=M" })),
      expected((s) => s.spec.color !== "blue" && s.spec.size === "M"),
    );
    assert.deepEqual(names(await shirts.list({ namespace: ns, fieldSelector: "spec.size=XL" })), []);
  });

  it("a selector on a field that is not selectable is the server's 400 BadRequest, as a KubeError", async () => {
    const fieldSelector = "spec.material=cotton";
    const e = await shirts.list({ namespace: ns, fieldSelector }).catch((x: unknown) => x);
    assert.ok(e instanceof KubeError, String(e));
    const raw = await kube.raw.GET(`/apis/${apiVersion}/namespaces/${ns}/${plural}`, {
      params: { query: { fieldSelector } },
    });
    const body = raw.error as { code?: number; reason?: string; message?: string };
    assert.equal(e.status, 400);
    assert.equal(e.status, raw.response.status);
    assert.equal(e.reason, body.reason);
    assert.equal(e.body?.message, body.message);
    assert.ok(body.message?.includes("spec.material"), body.message);
  });
});
