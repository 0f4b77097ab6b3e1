import assert from "node:assert/strict";
import { readFileSync, rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { parseAllDocuments } from "yaml";
import { isForbidden, isInvalid, KubeError, loadConfig } from "../../src/index.js";
import { testCluster, uniqueName } from "../helpers/cluster.js";
import { generateForCrd, installCrd } from "../helpers/crd.js";
import { kubectl } from "../helpers/kubectl-run.js";
import { specsDir } from "../helpers/paths.js";
import { scratchDir } from "../helpers/spec-check.js";
import { until } from "../helpers/wait.js";

// What the server refuses on its own rules (CEL in a CRD, a ValidatingAdmissionPolicy) reaches
// the caller as a KubeError carrying the Status the server sent. The judge is the same request
// made again through kube.raw, whose body is the server's Status as parsed JSON.
const cluster = testCluster();
type Cause = { reason?: string; message?: string; field?: string };
type ServerStatus = { code?: number; reason?: string; message?: string; details?: { causes?: Cause[] } };

/** The request sent raw: what the server answered, status code and Status body. */
async function sentRaw(kube: Client, path: string, body: unknown) {
  const r = await kube.raw.POST(path, { body });
  assert.ok(!r.response.ok, `the raw request was refused too (${r.response.status})`);
  return { status: r.response.status, body: r.error as ServerStatus };
}

/** The error a call threw (and proof that it threw one). */
async function thrown(call: Promise<unknown>): Promise<KubeError> {
  const e = await call.then(
    () => undefined,
    (x: unknown) => x,
  );
  assert.ok(e instanceof KubeError, `a KubeError, not ${String(e)}`);
  return e;
}

/** A KubeError holds what the server sent: status, reason, message, every cause as sent. */
function assertCarries(e: KubeError, raw: { status: number; body: ServerStatus }) {
  assert.equal(e.status, raw.status);
  assert.equal(e.status, raw.body.code);
  assert.equal(e.reason, raw.body.reason);
  assert.ok(raw.body.message && e.message.includes(raw.body.message), e.message);
  assert.deepEqual(e.causes, raw.body.details?.causes ?? []);
}

type Rule = { path: string; message: string };
/** The x-kubernetes-validations of a schema, with the dotted path of the field each sits on. */
function celRules(schema: Record<string, unknown>, path = ""): Rule[] {
  const own = ((schema["x-kubernetes-validations"] ?? []) as { message: string }[]).map((r) => ({
    path,
    message: r.message,
  }));
  const props = Object.entries((schema.properties ?? {}) as Record<string, Record<string, unknown>>);
  return [...own, ...props.flatMap(([k, s]) => celRules(s, path ? `${path}.${k}` : k))];
}

describe("a create refused by a CRD's x-kubernetes-validations rules", () => {
  // The spec corpus's CEL sample, in a group of this process's own so runs never share it.
  const out = scratchDir("validation-causes");
  const group = `v${process.pid}.causes.kubefetch.example`;
  const source = readFileSync(join(specsDir, "crds/cel_basic.yaml"), "utf8");
  const [crd] = parseAllDocuments(source)
    .map((d) => d.toJS())
    .filter(Boolean);
  crd.metadata.name = `${crd.spec.names.plural}.${group}`;
  crd.spec.group = group;
  const apiVersion = `${group}/v1`;
  const plural: string = crd.spec.names.plural;
  const rules = celRules(crd.spec.versions[0].schema.openAPIV3Schema);
  const ns = uniqueName("cel-causes");
  type Api = { create(o: object, opts: { namespace: string }): Promise<unknown> };
  type CrdClient = Record<string, Record<string, Record<string, Api>>> & { close(): Promise<void> };
  let crdClient: CrdClient;
  let typed: Api;
  let kube: Client;

  before(async () => {
    const { generated, groupKey } = await generateForCrd(crd, out);
    const config = await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} });
    kube = createClient(config);
    crdClient = generated.createClient(config) as CrdClient;
    typed = crdClient[groupKey]?.v1?.[plural] as Api;
    await kube.core.v1.namespaces.create({ metadata: { name: ns } });
    await installCrd(cluster, crd);
    // Served a moment after Established: wait until a valid object is taken.
    let n = 0;
    await until(
      () =>
        typed
          .create(
            { apiVersion, kind: crd.spec.names.kind, metadata: { name: `ok-${n++}` }, value: 1 },
            { namespace: ns },
          )
          .then(() => true)
          .catch(() => false),
      { what: `${plural}.${group} to be served` },
    );
  });
  after(async () => {
    await kube?.core.v1.namespaces.delete({ name: ns }).catch(() => {});
    await kubectl(cluster, ["delete", "crd", crd.metadata.name, "--wait=false"]);
    await Promise.all([kube?.close(), crdClient?.close()]);
    rmSync(out, { recursive: true, force: true });
  });

  it("the sample has two rules: one on a field, one on the whole object", () => {
    assert.deepEqual(
      rules.map((r) => r.path),
      ["", "value"],
    );
  });

  it("the typed client throws a KubeError with one cause per broken rule: field, message and reason as the server sent them", async () => {
    // value -3 breaks `self > 0`; other_value 5 is no multiple of -3, the object-level rule.
    const bad = {
      apiVersion,
      kind: crd.spec.names.kind,
      metadata: { name: "bad" },
      value: -3,
      other_value: 5,
    };
    const e = await thrown(typed.create(bad, { namespace: ns }));
    const raw = await sentRaw(kube, `/apis/${apiVersion}/namespaces/${ns}/${plural}`, bad);
    assertCarries(e, raw);
    assert.ok(isInvalid(e), `${e.status} ${e.reason}`);
    assert.equal(e.causes.length, rules.length, JSON.stringify(e.causes));
    for (const rule of rules) {
      const hits = e.causes.filter((c) => c.message?.includes(rule.message));
      assert.equal(hits.length, 1, `one cause says "${rule.message}": ${JSON.stringify(e.causes)}`);
      // A field rule's cause names its field; the object-level rule's path is the root.
      if (rule.path) assert.equal(hits[0]?.field, rule.path);
      else assert.ok(!rules.some((r) => r.path && r.path === hits[0]?.field), hits[0]?.field);
    }
  });
});

describe("a create refused by a ValidatingAdmissionPolicy", () => {
  const ns = uniqueName("vap-causes");
  const name = uniqueName("kubefetch-no-keys");
  // Two validations: the first with the default reason, the second with reason Forbidden.
  const invalidMessage = "the key invalid is not allowed";
  const forbiddenMessage = "the key forbidden is not allowed";
  let kube: Client;

  const configMap = (cmName: string, data: Record<string, string>) => ({
    metadata: { name: cmName, namespace: ns },
    data,
  });

  before(async () => {
    kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
    await kube.core.v1.namespaces.create({ metadata: { name: ns } });
    await kube.admissionregistration.v1.validatingadmissionpolicies.create({
      metadata: { name },
      spec: {
        failurePolicy: "Fail",
        matchConstraints: {
          resourceRules: [
            { apiGroups: [""], apiVersions: ["v1"], operations: ["CREATE"], resources: ["configmaps"] },
          ],
        },
        validations: [
          { expression: "!has(object.data) || !('invalid' in object.data)", message: invalidMessage },
          {
            expression: "!has(object.data) || !('forbidden' in object.data)",
            message: forbiddenMessage,
            reason: "Forbidden",
          },
        ],
      },
    });
    // Bound to this test's namespace only (every namespace carries its name as a label).
    await kube.admissionregistration.v1.validatingadmissionpolicybindings.create({
      metadata: { name },
      spec: {
        policyName: name,
        validationActions: ["Deny"],
        matchResources: { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": ns } } },
      },
    });
    // The apiserver picks a new policy up a moment later: dry runs pass through admission too.
    await until(
      () =>
        kube.core.v1.configmaps
          .create(configMap("probe", { invalid: "x" }), { dryRun: true })
          .then(() => false)
          .catch((e: unknown) => e instanceof KubeError),
      { what: `policy ${name} to be in force` },
    );
  });
  after(async () => {
    await kube.admissionregistration.v1.validatingadmissionpolicybindings.delete({ name }).catch(() => {});
    await kube.admissionregistration.v1.validatingadmissionpolicies.delete({ name }).catch(() => {});
    await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
    await kube.close();
  });

  const refused = async (data: Record<string, string>) => {
    const cm = configMap("cm", data);
    const e = await thrown(kube.core.v1.configmaps.create(cm));
    const raw = await sentRaw(kube, `/api/v1/namespaces/${ns}/configmaps`, cm);
    assertCarries(e, raw);
    return e;
  };

  it("a validation with the default reason: a KubeError 422 Invalid with the server's one cause, the policy's message in it", async () => {
    const e = await refused({ invalid: "x" });
    assert.ok(isInvalid(e), `${e.status} ${e.reason}`);
    assert.equal(e.causes.length, 1, JSON.stringify(e.causes));
    assert.ok(e.causes[0]?.message?.includes(invalidMessage), e.causes[0]?.message);
    assert.ok(e.causes[0]?.message?.includes(name), "the cause names the policy");
  });

  it("a validation with reason Forbidden: a KubeError 403 with its message as the cause", async () => {
    const e = await refused({ forbidden: "x" });
    assert.ok(isForbidden(e), `${e.status} ${e.reason}`);
    assert.equal(e.causes.length, 1, JSON.stringify(e.causes));
    assert.ok(e.causes[0]?.message?.includes(forbiddenMessage), e.causes[0]?.message);
  });

  it("an object breaking both: the server reports the first failing validation only", async () => {
    const e = await refused({ invalid: "x", forbidden: "y" });
    assert.ok(isInvalid(e), `${e.status} ${e.reason}`);
    assert.equal(e.causes.length, 1, JSON.stringify(e.causes));
    assert.ok(!e.message.includes(forbiddenMessage), e.message);
  });
});
