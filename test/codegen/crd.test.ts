import assert from "node:assert/strict";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { loadCrdFiles } from "../../codegen/crd-files.js";
import { definitionName } from "../../codegen/crd-merge.js";
import { runCli } from "../helpers/cli.js";
import { definitionText, readRegistry as readEntries, readValidators } from "../helpers/generated.js";
import { repoRoot, specsDir } from "../helpers/paths.js";
import { scratchDir, typecheckGenerated } from "../helpers/spec-check.js";

const corpus = join(repoRoot, "test/fixtures/crds");
const sharedCrds = join(specsDir, "crds");
const base = scratchDir("crd");
after(() => rmSync(base, { recursive: true, force: true }));

type Entry = {
  group: string;
  version: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: string[];
  schema?: string;
  listKind?: string;
  subresources: Record<string, { apiVersion: string; kind: string; verbs: string[] }>;
};

const readRegistry = (dir: string) => readEntries<Entry>(dir);

function entries(dir: string): Entry[] {
  return Object.values(readRegistry(dir)).flatMap((vs) =>
    Object.values(vs).flatMap((ps) => Object.values(ps)),
  );
}

/** Regex checks on generated files that print the pattern, not the megabytes, on failure. */
const has = (text: string, re: RegExp) => assert.ok(re.test(text), `expected ${re}`);
const lacks = (text: string, re: RegExp) => assert.ok(!re.test(text), `unexpected ${re}`);

const validatorsOf = readValidators;

describe("generate --crd: the corpus onto the embedded spec", () => {
  const out = join(base, "corpus");
  let stdout = "";
  before(async () => {
    const r = await runCli("generate", "--crd", corpus, sharedCrds, "--out", out);
    assert.equal(r.code, 0, r.stderr);
    stdout = r.stdout;
  });

  it("turns every served version of every CRD into a resource with its kind, list kind, scope and schema", async () => {
    const { crds } = await loadCrdFiles([corpus, sharedCrds]);
    assert.ok(crds.length >= 50, `corpus has ${crds.length} CRDs`);
    assert.match(stdout, new RegExp(`crds: +${crds.length} from \\d+ files`));
    const byId = new Map(entries(out).map((e) => [`${e.group}/${e.version}/${e.plural}`, e]));
    let served = 0;
    for (const crd of crds) {
      const spec = crd.value.spec as {
        group: string;
        scope: string;
        version?: string;
        versions?: { name: string; served: boolean }[];
        names: { kind: string; plural: string; listKind?: string };
      };
      const versions: { name: string; served: boolean }[] = spec.versions ?? [
        { name: spec.version ?? "", served: true },
      ];
      for (const v of versions) {
        const e = byId.get(`${spec.group}/${v.name}/${spec.names.plural}`);
        if (!v.served) {
          assert.equal(e, undefined, `${crd.name} ${v.name} is not served`);
          continue;
        }
        served++;
        assert.ok(e, `${crd.name} ${v.name} missing from the registry`);
        assert.equal(e.kind, spec.names.kind);
        assert.equal(e.listKind, spec.names.listKind ?? `${spec.names.kind}List`);
        assert.equal(e.namespaced, spec.scope === "Namespaced");
        assert.equal(e.schema, definitionName(spec.group, v.name, spec.names.kind));
        assert.deepEqual(e.verbs, [
          "create",
          "delete",
          "deletecollection",
          "get",
          "list",
          "patch",
          "update",
          "watch",
        ]);
      }
    }
    assert.ok(served > crds.length, "some CRDs serve several versions");
  });

  it("is byte-identical across runs", async () => {
    const first = new Map(readdirSync(out).map((f) => [f, readFileSync(join(out, f))]));
    const r = await runCli("generate", "--crd", corpus, sharedCrds, "--out", out);
    assert.equal(r.code, 0, r.stderr);
    for (const [f, bytes] of first) {
      assert.ok(bytes.equals(readFileSync(join(out, f))), `${f} differs between runs`);
    }
  });

  it("adds status and scale subresources as the server publishes them", () => {
    const gadget = readRegistry(out).edgeKubefetchExample?.v1?.gadgets as Entry;
    assert.deepEqual(gadget.subresources.status, {
      apiVersion: "edge.kubefetch.example/v1",
      kind: "Gadget",
      verbs: ["get", "patch", "update"],
      path: "/apis/edge.kubefetch.example/v1/namespaces/{namespace}/gadgets/{name}/status",
      schema: "example.kubefetch.edge.v1.Gadget",
    });
    assert.equal(gadget.subresources.scale?.apiVersion, "autoscaling/v1");
    assert.equal(gadget.subresources.scale?.kind, "Scale");
    const cluster = readRegistry(out).crewTestprojectOrg?.v1?.admirales as Entry & { paths: object };
    assert.equal(cluster.namespaced, false);
    assert.deepEqual(cluster.paths, {
      item: "/apis/crew.testproject.org/v1/admirales/{name}",
      collection: "/apis/crew.testproject.org/v1/admirales",
    });
  });

  it("leaves unserved versions out and marks deprecated ones @deprecated with the warning", () => {
    const registry = readRegistry(out);
    assert.equal(registry.edgeKubefetchExample?.v1alpha1, undefined);
    const types = readFileSync(join(out, "components.d.ts"), "utf8");
    assert.match(
      types,
      /@deprecated\n\s+\* @description Deprecated: edge\.kubefetch\.example\/v1beta1 Gadget is going away; use edge\.kubefetch\.example\/v1\n\s+\*\/\n\s+"example\.kubefetch\.edge\.v1beta1\.Gadget"/,
    );
    lacks(types, /"example\.kubefetch\.edge\.v1alpha1\.Gadget"/);
  });

  it("types the schema: enums (YAML 1.1 as kubectl reads it), int-or-string, nullable, maps, open objects, embedded resources", () => {
    const types = readFileSync(join(out, "components.d.ts"), "utf8");
    const body = definitionText(types, "example.kubefetch.edge.v1.Gadget");
    for (const line of [
      'mode: "=" | "<" | ">";',
      "port?: number | string;",
      "tags?: string[] | null;",
      "lastSeen?: string | null;",
      'metadata?: components["schemas"]["io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta"];',
    ]) {
      assert.ok(body.includes(line), `Gadget lacks ${line}`);
    }
    has(body, /labels\?: \{\n\s+\[key: string\]: string;/);
    has(body, /config\?: \{\n\s+\[key: string\]: unknown;/);
    // An embedded resource needs apiVersion and kind: the server refuses one without them and
    // publishes them required in its /openapi/v3.
    has(body, /owner\?: \{\n\s+apiVersion: string;\n\s+kind: string;\n\s+metadata\?: components/);
    // The oneOf of `required` lists restricts values only: no union type comes of it.
    lacks(body, /sizeFrom: string/);
  });

  it("an allOf of enums narrows the string, as the server publishes it (velero's RotationScheme)", () => {
    const types = readFileSync(join(out, "components.d.ts"), "utf8");
    has(
      definitionText(types, "io.velero.v1.RotationScheme"),
      /rotationSchemePhase\?: string & \(\("New" \| "Enabled" \| "FailedValidation"\) & \("New" \| "Enabled" \| "FailedValidation"\)\);/,
    );
  });

  it("drops CEL rules and extensions from the validators, and validates what the server accepts", () => {
    const v = validatorsOf(out);
    const definition = JSON.stringify(v.definition("example.kubefetch.edge.v1.Gadget"));
    lacks(definition, /x-kubernetes-validations|self\.replicas|oneOf/);
    const gadget = (spec: object) => ({
      apiVersion: "edge.kubefetch.example/v1",
      kind: "Gadget",
      metadata: { name: "g" },
      spec,
    });
    const ok = (spec: object) => v.validate("example.kubefetch.edge.v1.Gadget", gadget(spec));
    assert.equal(ok({ mode: "=", port: 80, tags: null, config: { any: { thing: 1 } } }).success, true);
    assert.equal(ok({ mode: "<", port: "http" }).success, true);
    const bad = ok({ mode: "~", port: true });
    assert.equal(bad.success, false);
    assert.deepEqual(bad.success ? [] : bad.issues.map((i) => i.path).sort(), ["spec.mode", "spec.port"]);
  });

  it("reads a field named constructor, toString or valueOf only from the object itself", () => {
    const v = validatorsOf(out);
    const base = { apiVersion: "edge.kubefetch.example/v1", kind: "Gadget", metadata: { name: "g" } };
    assert.equal(
      v.validate("example.kubefetch.edge.v1.Gadget", { ...base, spec: { mode: "=" } }).success,
      true,
    );
    const r = v.validate("example.kubefetch.edge.v1.Gadget", { ...base, spec: { mode: "=", valueOf: "x" } });
    assert.deepEqual(r.success ? [] : r.issues.map((i) => i.path), ["spec.valueOf"]);
  });

  it("types a v1beta1 CRD without a schema as an open object with apiVersion, kind and metadata", () => {
    const types = readFileSync(join(out, "components.d.ts"), "utf8");
    const policy = definitionText(types, "io.kope.scalingpolicy.v1alpha1.ScalingPolicy");
    assert.ok(/apiVersion: "scalingpolicy\.kope\.io\/v1alpha1";/.test(policy), policy);
    assert.ok(
      /metadata\?: components\["schemas"\]\["io\.k8s\.apimachinery\.pkg\.apis\.meta\.v1\.ObjectMeta"\];\n\s*\} & \{\n\s+\[key: string\]: unknown;/.test(
        policy,
      ),
      policy,
    );
  });

  it("gives a consumer typed use of the CRDs; misuse fails to type-check", async () => {
    writeFileSync(
      join(out, "crd-consumer.ts"),
      [
        'import type { components, Client } from "./index.js";',
        'type S = components["schemas"];',
        'export const bsl: S["io.velero.v1.BackupStorageLocation"] = {',
        '  apiVersion: "velero.io/v1",',
        '  kind: "BackupStorageLocation",',
        '  metadata: { name: "default", namespace: "velero" },',
        '  spec: { provider: "aws", objectStorage: { bucket: "b" }, accessMode: "ReadOnly", backupSyncPeriod: null },',
        "};",
        // Gadget's spec has fields named constructor, toString and valueOf: a literal without
        // them type-checks (the generator lets Object's members through), one that sets them
        // is checked.
        'export const gadget: S["example.kubefetch.edge.v1.Gadget"] = {',
        '  apiVersion: "edge.kubefetch.example/v1", kind: "Gadget", metadata: { name: "g" },',
        '  spec: { mode: "=", size: "1Gi" },',
        "};",
        'export const named: S["example.kubefetch.edge.v1.Gadget"]["spec"] = { mode: "<", size: "1", toString: "t", valueOf: 2 };',
        "// @ts-expect-error: valueOf is an integer field here",
        'export const badValueOf: S["example.kubefetch.edge.v1.Gadget"]["spec"] = { mode: "<", size: "1", valueOf: "2" };',
        'export const port: S["example.kubefetch.edge.v1.Gadget"]["spec"]["port"] = "http";',
        'export const mode: S["example.kubefetch.edge.v1.Gadget"]["spec"]["mode"] = "=";',
        'export const phase = (s: S["org.testproject.crew.v1.Sailor"]) => s.status?.conditions?.[0]?.status;',
        'export const narrowed: "True" | "False" | "Unknown" | undefined = phase({} as S["org.testproject.crew.v1.Sailor"]);',
        "export async function list(kube: Client) {",
        '  const r = await kube.veleroIo.v1.backupstoragelocations.list({ namespace: "velero" });',
        "  return r.items.map((b) => b.spec?.objectStorage.bucket);",
        "}",
        "// @ts-expect-error: accessMode is an enum",
        'export const badEnum: S["io.velero.v1.BackupStorageLocation"]["spec"]["accessMode"] = "ReadMostly";',
        "// @ts-expect-error: objectStorage is required",
        'export const noBucket: S["io.velero.v1.BackupStorageLocation"]["spec"] = { provider: "aws" };',
        "// @ts-expect-error: port is an int-or-string",
        'export const badPort: S["example.kubefetch.edge.v1.Gadget"]["spec"]["port"] = true;',
        "// @ts-expect-error: the kind is a literal",
        'export const badKind: S["org.testproject.crew.v1.Sailor"]["kind"] = "Captain";',
        "// @ts-expect-error: Gadget v1alpha1 is not served",
        'export type Unserved = S["example.kubefetch.edge.v1alpha1.Gadget"];',
        "",
      ].join("\n"),
    );
    const r = await typecheckGenerated(out);
    assert.ok(r.ok, r.output);
  });
});

describe("generate --crd: problems are errors naming the file", () => {
  const tmp = scratchDir("crd-errors");
  after(() => rmSync(tmp, { recursive: true, force: true }));
  const file = (name: string, text: string) => {
    const p = join(tmp, name);
    writeFileSync(p, text);
    return p;
  };
  const crd = (group: string, kind: string, plural: string) =>
    [
      "apiVersion: apiextensions.k8s.io/v1",
      "kind: CustomResourceDefinition",
      `metadata: {name: ${plural}.${group}}`,
      "spec:",
      `  group: ${group}`,
      `  names: {kind: ${kind}, plural: ${plural}}`,
      "  scope: Namespaced",
      "  versions:",
      "  - {name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}",
      "",
    ].join("\n");

  it("a CRD that redefines a kind of the base spec, naming both", async () => {
    const p = file("apps.yaml", crd("apps", "Deployment", "mydeployments"));
    const r = await runCli("generate", "--crd", p, "--out", join(tmp, "o1"));
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /apps\.yaml#1 \(CustomResourceDefinition mydeployments\.apps\): apps\/v1 Deployment is already defined by embedded Kubernetes 1\.36 spec .*\(definition io\.k8s\.api\.apps\.v1\.Deployment\)/,
    );
  });

  it("two CRDs with the same kind, naming both files", async () => {
    const a = file("a.yaml", crd("x.example.com", "Thing", "things"));
    const b = file("b.yaml", `---\n${crd("x.example.com", "Thing", "things2")}`);
    const r = await runCli("generate", "--crd", a, b, "--out", join(tmp, "o2"));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /b\.yaml#1 .*x\.example\.com\/v1 Thing is already defined by .*a\.yaml#1/);
  });

  it("a file without any CRD, and YAML that does not parse, with file, document and line", async () => {
    const none = file("none.yaml", "apiVersion: v1\nkind: ConfigMap\nmetadata: {name: c}\n");
    let r = await runCli("generate", "--crd", none, "--out", join(tmp, "o3"));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /none\.yaml: holds no CustomResourceDefinition/);
    const broken = file("broken.yaml", `${crd("y.example.com", "Y", "ys")}---\nkind: [unclosed\n`);
    r = await runCli("generate", "--crd", broken, "--out", join(tmp, "o4"));
    assert.equal(r.code, 1);
    assert.match(r.stderr, /broken\.yaml#2 \(line 1[0-9]\): YAML: /);
  });

  it("a CRD without a scope or kind", async () => {
    const p = file("noscope.yaml", crd("z.example.com", "Z", "zs").replace("  scope: Namespaced\n", ""));
    const r = await runCli("generate", "--crd", p, "--out", join(tmp, "o5"));
    assert.equal(r.code, 1);
    assert.match(
      r.stderr,
      /noscope\.yaml#1 \(CustomResourceDefinition zs\.z\.example\.com\): spec\.scope is undefined/,
    );
  });
});
