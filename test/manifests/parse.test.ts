import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { registry } from "kubefetch/generated/kubernetes-1.36";
import { validators } from "kubefetch/generated/kubernetes-1.36/schemas";
import { ManifestError, parseManifests } from "kubefetch/manifests";
import { stringify } from "yaml";
import { crdFor } from "../helpers/crd.js";

const api = { registry, validators };

const deployment = (containers: string) => `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
spec:
  selector:
    matchLabels: { app: web }
  template:
    metadata:
      labels: { app: web }
    spec:
      containers: ${containers}
`;

/** The ManifestError a YAML text gives, or a failed assertion. */
async function rejection(
  yaml: string,
  options: Partial<Parameters<typeof parseManifests>[1]> = {},
): Promise<ManifestError> {
  try {
    await parseManifests(yaml, { api, ...options });
  } catch (e) {
    assert.ok(e instanceof ManifestError, String(e));
    return e;
  }
  assert.fail("parseManifests accepted the YAML");
}

const CRD = stringify(
  crdFor({
    group: "example.com",
    kind: "Widget",
    plural: "widgets",
    spec: { required: ["size"], properties: { size: { type: "integer" }, color: { type: "string" } } },
  }),
);

describe("parseManifests: YAML to objects mapped and validated", () => {
  it("maps each document to its resource and defaults the namespace of namespaced ones", async () => {
    const ms = await parseManifests(
      `apiVersion: v1\nkind: Namespace\nmetadata: { name: shop }\n---\n${deployment("[{ name: web, image: nginx }]")}---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: c, namespace: shop }\ndata: { a: "1" }\n`,
      { api },
    );
    assert.deepEqual(
      ms.map((m) => [m.index, m.line, m.kind, m.name, m.namespace, m.plural, m.namespaced, m.source]),
      [
        [1, 1, "Namespace", "shop", undefined, "namespaces", false, "registry"],
        [2, 5, "Deployment", "web", "default", "deployments", true, "registry"],
        [3, 18, "ConfigMap", "c", "shop", "configmaps", true, "registry"],
      ],
    );
    assert.equal(ms[1]?.object.metadata?.namespace, "default");
  });

  it("names the document, its kind and name, and the field path of a missing field", async () => {
    const yaml = `apiVersion: v1\nkind: Namespace\nmetadata: { name: a }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\n---\n${deployment("[{ image: nginx }]")}`;
    const e = await rejection(yaml);
    assert.equal(e.message, "doc 3 Deployment web: spec.template.spec.containers[0].name: required");
    assert.deepEqual(e.issues, [
      {
        index: 3,
        line: 9,
        kind: "Deployment",
        name: "web",
        path: "spec.template.spec.containers[0].name",
        message: "required",
      },
    ]);
  });

  it("reports misspelt fields as unknown, as the API server's strict validation does", async () => {
    const e = await rejection(
      deployment(
        "[{ name: web, image: nginx, imagePullPolicy: Always, ports: [{ containerPort: 80, protocl: TCP }] }]",
      ).replace("selector:", "selectr:"),
    );
    assert.deepEqual(
      e.issues.map((i) => `${i.path}: ${i.message}`),
      [
        "spec.selector: required",
        "spec.selectr: unknown field",
        "spec.template.spec.containers[0].ports[0].protocl: unknown field",
      ],
    );
  });

  it("accepts any key in maps and open objects (labels, annotations, RawExtension)", async () => {
    const ms = await parseManifests(
      `apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: c\n  labels: { any.key/x: v }\n  annotations: { "x": "y" }\ndata: { whatever: v }\n`,
      { api },
    );
    assert.equal(ms.length, 1);
  });

  it("reports every problem of every document at once, each on its own line, in document order", async () => {
    const e = await rejection(
      `kind: ConfigMap\nmetadata: { name: a }\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: b }\ndata: { num: 1 }\n---\n- a list\n---\napiVersion: v1\nkind: Service\nspec: { ports: [{ port: "80" }] }\n`,
    );
    assert.deepEqual(e.message.split("\n"), [
      "doc 1 ConfigMap a: apiVersion: required",
      "doc 2 ConfigMap b: data.num: expected string, received number",
      "doc 3: expected an object, found a list",
      "doc 4 Service: metadata.name: required",
      "doc 4 Service: spec.ports[0].port: expected number, received string",
    ]);
  });

  it("reads YAML as kubectl does (YAML 1.1: yes is a boolean, timestamps stay strings)", async () => {
    const e = await rejection(
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c }\ndata: { enabled: yes }\n`,
    );
    assert.equal(e.message, "doc 1 ConfigMap c: data.enabled: expected string, received boolean");
    const [m] = await parseManifests(
      `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c, creationTimestamp: 2024-01-01T00:00:00Z }\ndata: { mode: "0755" }\n`,
      { api },
    );
    assert.equal(m?.object.metadata?.creationTimestamp, "2024-01-01T00:00:00Z");
  });

  it("gives YAML syntax errors with the document and line, and skips empty documents keeping their index", async () => {
    const e = await rejection(
      `---\n# only a comment\n---\napiVersion: v1\nkind: ConfigMap\nmetadata: { name: [a }\n`,
    );
    assert.equal(e.issues.length, 1);
    assert.match(e.message, /^doc 2: YAML: .* at line 6, column \d+$/);
    const ms = await parseManifests(
      `---\n# nothing\n---\napiVersion: v1\nkind: Namespace\nmetadata: { name: x }\n---\n`,
      { api },
    );
    assert.deepEqual(
      ms.map((m) => m.index),
      [2],
    );
    assert.deepEqual(await parseManifests("", { api }), []);
  });

  it("rejects duplicate keys and runaway aliases", async () => {
    const dup = await rejection(`apiVersion: v1\nkind: Namespace\nmetadata: { name: x }\nkind: Pod\n`);
    assert.match(dup.message, /^doc 1: YAML: Map keys must be unique/);
    const a = "a: &a [x, x, x, x, x, x, x, x, x, x]\n";
    const bomb = `${a}b: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nc: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: [*c, *c, *c, *c, *c, *c, *c, *c, *c, *c]\n`;
    assert.match((await rejection(bomb)).message, /^doc 1: YAML: .*alias/i);
  });

  it("says a kind is unknown, and how to ask the server, when neither the API nor the YAML defines it", async () => {
    const e = await rejection(`apiVersion: example.com/v1\nkind: Gadget\nmetadata: { name: g }\n`);
    assert.equal(
      e.message,
      "doc 1 Gadget g: no resource of kind Gadget in example.com/v1 in the API (pass { kube } to ask the server)",
    );
  });

  it("types custom objects by a CustomResourceDefinition in the same YAML, checking them against its schema", async () => {
    const ms = await parseManifests(
      `${CRD}---\napiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\nspec: { size: 3 }\n`,
      { api },
    );
    assert.deepEqual(
      ms.map((m) => [m.kind, m.source, m.plural, m.namespaced, m.namespace]),
      [
        ["CustomResourceDefinition", "registry", "customresourcedefinitions", false, undefined],
        ["Widget", "crd", "widgets", true, "default"],
      ],
    );
    const e = await rejection(
      `apiVersion: example.com/v1\nkind: Widget\nmetadata: { name: w }\nspec: { size: big, colour: red }\n---\n${CRD}`,
    );
    assert.deepEqual(e.message.split("\n"), [
      "doc 1 Widget w: spec.size: expected number, received string",
      "doc 1 Widget w: spec.colour: unknown field",
    ]);
  });

  it("finds the same object twice, and a namespace other than the one given in the options", async () => {
    const cm = (ns: string) => `apiVersion: v1\nkind: ConfigMap\nmetadata: { name: c, namespace: ${ns} }\n`;
    const dup = await rejection(`${cm("a")}---\n${cm("a")}`);
    assert.equal(dup.message, "doc 2 ConfigMap c: the same object as doc 1");
    const ns = await rejection(cm("a"), { namespace: "b" });
    assert.equal(
      ns.message,
      'doc 1 ConfigMap c: metadata.namespace: "a" is not the namespace "b" given in the options',
    );
  });

  it("never puts a secret's value in its messages", async () => {
    const e = await rejection(
      `apiVersion: v1\nkind: Secret\nmetadata: { name: s }\ndata: { password: 123456789 }\nstringData: { token: [hunter2-secret] }\n`,
    );
    assert.equal(e.issues.length, 2);
    assert.doesNotMatch(e.message, /123456789|hunter2/);
  });
  it("maps and validates with the generated API it is given (a regenerated folder with CRDs)", async () => {
    const yaml = deployment("[{ name: web, image: nginx }]");
    assert.equal((await parseManifests(yaml, { api }))[0]?.source, "registry");
    const e = await rejection(yaml, { api: { registry: { core: registry.core }, validators } });
    assert.match(e.message, /^doc 1 Deployment web: no resource of kind Deployment in apps\/v1 in the API/);
  });
});
