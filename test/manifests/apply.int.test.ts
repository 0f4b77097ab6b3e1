import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { type Client, createClient, registry } from "kubefetch/generated/kubernetes-1.36";
import { validators } from "kubefetch/generated/kubernetes-1.36/schemas";
import { applyManifests, ManifestError } from "kubefetch/manifests";
import { stringify } from "yaml";
import { isConflict, isNotFound, KubeError, loadConfig } from "../../src/index.js";
import { testCluster, uniqueName } from "../helpers/cluster.js";
import { crdFor } from "../helpers/crd.js";

const api = { registry, validators };

const cluster = testCluster();
let kube: Client;
const namespaces: string[] = [];
const crds: string[] = [];

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
});
after(async () => {
  for (const name of namespaces) await kube.core.v1.namespaces.delete({ name }).catch(() => {});
  for (const name of crds)
    await kube.apiextensions.v1.customresourcedefinitions.delete({ name }).catch(() => {});
  await kube.close();
});

/** A fresh namespace name, deleted after the tests. */
function namespace(prefix: string): string {
  const name = uniqueName(prefix);
  namespaces.push(name);
  return name;
}

/** A CRD of a fresh group, so tests never share kinds. */
function crd(scope: "Namespaced" | "Cluster" = "Namespaced") {
  const group = `${uniqueName("g")}.example.com`;
  crds.push(`gadgets.${group}`);
  return {
    group,
    yaml: stringify(
      crdFor({
        group,
        kind: "Gadget",
        plural: "gadgets",
        scope,
        spec: { properties: { size: { type: "integer" } } },
      }),
    ),
  };
}

const cm = (name: string, ns?: string, data = "a: '1'") =>
  `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: ${name}${ns ? `, namespace: ${ns}` : ""} }\ndata: { ${data} }\n`;

describe("applyManifests on the real cluster", () => {
  it("applies Namespaces first, whatever their place in the YAML, and reports each document in order", async () => {
    const ns = namespace("apply");
    const yaml = `${cm("first", ns)}---\napiVersion: apps/v1
kind: Deployment
metadata: { name: web, namespace: ${ns} }
spec:
  selector: { matchLabels: { app: web } }
  template:
    metadata: { labels: { app: web } }
    spec: { containers: [{ name: web, image: "nginx:1" }] }
---
apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n`;
    const results = await applyManifests(kube, yaml, { api, fieldManager: "kubefetch-test" });
    assert.deepEqual(
      results.map((r) => [r.index, r.kind, r.name, r.namespace, r.outcome]),
      [
        [1, "ConfigMap", "first", ns, "applied"],
        [2, "Deployment", "web", ns, "applied"],
        [3, "Namespace", ns, undefined, "applied"],
      ],
    );
    const live = await kube.apps.v1.deployments.get({ namespace: ns, name: "web" });
    assert.equal(live.metadata?.uid, results[1]?.object?.metadata?.uid);
    assert.ok(
      live.metadata?.managedFields?.some((f) => f.manager === "kubefetch-test" && f.operation === "Apply"),
    );
  });

  it("applies nothing when any document is invalid", async () => {
    const ns = namespace("invalid");
    const yaml = `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n---\n${cm("ok", ns)}---\napiVersion: v1\nkind: Service\nmetadata: { name: s, namespace: ${ns} }\nspec: { ports: [{ port: http }] }\n`;
    await assert.rejects(
      applyManifests(kube, yaml, { api, fieldManager: "kubefetch-test" }),
      (e: unknown) => {
        assert.ok(e instanceof ManifestError);
        assert.equal(e.message, "doc 3 Service s: spec.ports[0].port: expected number, received string");
        return true;
      },
    );
    await assert.rejects(kube.core.v1.namespaces.get({ name: ns }), isNotFound);
  });

  it("applies a CRD and its objects from the same YAML, waiting until the CRD is Established", async () => {
    const ns = namespace("crd");
    const { group, yaml } = crd();
    const results = await applyManifests(
      kube,
      `apiVersion: ${group}/v1\nkind: Gadget\nmetadata: { name: g1, namespace: ${ns} }\nspec: { size: 3 }\n---\n${yaml}---\napiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n`,
      { api, fieldManager: "kubefetch-test" },
    );
    assert.deepEqual(
      results.map((r) => [r.kind, r.outcome, r.error?.message]),
      [
        ["Gadget", "applied", undefined],
        ["CustomResourceDefinition", "applied", undefined],
        ["Namespace", "applied", undefined],
      ],
    );
    const live = await kube
      .resource({ apiVersion: `${group}/v1`, kind: "Gadget" })
      .get({ namespace: ns, name: "g1" });
    assert.deepEqual(live.spec, { size: 3 });
  });

  it("maps kinds the API does not know through discovery, and checks them no further than the server does", async () => {
    const ns = namespace("disc");
    const { group, yaml } = crd("Cluster");
    await applyManifests(kube, `${yaml}---\napiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n`, {
      api,
      fieldManager: "kubefetch-test",
    });
    const results = await applyManifests(
      kube,
      `apiVersion: ${group}/v1\nkind: Gadget\nmetadata: { name: g2 }\nspec: { size: 1 }\n`,
      {
        api,
        fieldManager: "kubefetch-test",
      },
    );
    assert.deepEqual(
      results.map((r) => [r.kind, r.namespace, r.outcome]),
      [["Gadget", undefined, "applied"]],
    );
    await assert.rejects(
      applyManifests(kube, `apiVersion: ${group}/v1\nkind: Gizmo\nmetadata: { name: g }\n`, {
        api,
        fieldManager: "kubefetch-test",
      }),
      {
        name: "ManifestError",
        message: `doc 1 Gizmo g: no resource of kind Gizmo in ${group}/v1 in the API or on the server`,
      },
    );
  });

  it("dry run persists nothing, and skips objects whose CRD is new, saying why", async () => {
    const ns = namespace("dry");
    const { group, yaml } = crd();
    const results = await applyManifests(
      kube,
      `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n---\n${yaml}---\napiVersion: ${group}/v1\nkind: Gadget\nmetadata: { name: g, namespace: default }\n`,
      { api, fieldManager: "kubefetch-test", dryRun: true },
    );
    assert.deepEqual(
      results.map((r) => [r.kind, r.outcome]),
      [
        ["Namespace", "applied"],
        ["CustomResourceDefinition", "applied"],
        ["Gadget", "skipped"],
      ],
    );
    assert.match(
      results[2]?.reason ?? "",
      /^dry run: its CustomResourceDefinition gadgets\..* \(doc 2\) does not exist yet$/,
    );
    await assert.rejects(kube.core.v1.namespaces.get({ name: ns }), isNotFound);
    await assert.rejects(
      kube.apiextensions.v1.customresourcedefinitions.get({ name: `gadgets.${group}` }),
      isNotFound,
    );
  });

  it("a failing document fails alone: the others are applied; a conflict needs force", async () => {
    const ns = namespace("conflict");
    await applyManifests(
      kube,
      `apiVersion: v1\nkind: Namespace\nmetadata: { name: ${ns} }\n---\n${cm("owned", ns)}`,
      {
        api,
        fieldManager: "someone-else",
      },
    );
    const yaml = `${cm("owned", ns, "a: '2'")}---\n${cm("missing-ns", uniqueName("nowhere"))}---\n${cm("fresh", ns)}`;
    const results = await applyManifests(kube, yaml, { api, fieldManager: "kubefetch-test" });
    assert.deepEqual(
      results.map((r) => [r.name, r.outcome]),
      [
        ["owned", "failed"],
        ["missing-ns", "failed"],
        ["fresh", "applied"],
      ],
    );
    assert.ok(results[0]?.error instanceof KubeError && isConflict(results[0].error));
    assert.ok(isNotFound(results[1]?.error));
    const forced = await applyManifests(kube, cm("owned", ns, "a: '2'"), {
      api,
      fieldManager: "kubefetch-test",
      force: true,
    });
    assert.equal(forced[0]?.outcome, "applied");
    assert.deepEqual((await kube.core.v1.configmaps.get({ namespace: ns, name: "owned" })).data, { a: "2" });
  });

  it("defaults the namespace to the client's and refuses an empty YAML", async () => {
    const results = await applyManifests(kube, cm(uniqueName("defaulted")), {
      api,
      fieldManager: "kubefetch-test",
      dryRun: true,
    });
    assert.equal(results[0]?.namespace, kube.config.namespace);
    await assert.rejects(applyManifests(kube, "# nothing\n", { api, fieldManager: "kubefetch-test" }), {
      name: "ManifestError",
      message: "the YAML has no objects to apply",
    });
  });
});
