// The apiserver's three non-apply patch types: JSON merge patch (RFC 7386 via json-patch v4),
// JSON patch (RFC 6902 via json-patch v4) and strategic merge patch (apimachinery's
// strategicpatch), the latter on the real generated 1.36 schemas of Deployment, Pod and Service.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { validators } from "../../generated/kubernetes-1.36/schemas.js";
import {
  applyJsonPatch,
  applyMergePatch,
  applyStrategicMergePatch,
  PatchError,
} from "../../src/testing/fake/patch.js";
import { type JsonSchemaNode, shapeResolver, UNTYPED_SHAPE } from "../../src/testing/fake/shape.js";

const shapes = shapeResolver((name) => validators.definition(name) as JsonSchemaNode | undefined);
const DEPLOYMENT = shapes("io.k8s.api.apps.v1.Deployment");
const POD = shapes("io.k8s.api.core.v1.Pod");
const SERVICE = shapes("io.k8s.api.core.v1.Service");
const PDB = shapes("io.k8s.api.policy.v1.PodDisruptionBudget");

function deepFreeze<T>(v: T): T {
  if (typeof v === "object" && v !== null) {
    for (const key of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[key]);
    Object.freeze(v);
  }
  return v;
}

function fails(fn: () => unknown, status: number, message: string, causes: readonly string[] = []): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof PatchError, `not a PatchError: ${String(err)}`);
    assert.equal(err.status, status);
    assert.equal(err.message, message);
    assert.deepEqual(err.causes, causes);
    return true;
  });
}

const UNPROCESSABLE = "the server rejected our request due to an error in our request";

function nested(depth: number): unknown {
  let v: unknown = 1;
  for (let i = 0; i < depth; i++) v = { a: v };
  return v;
}

describe("applyMergePatch", () => {
  it("merges objects per key, deletes on null, replaces arrays and scalars (RFC 7386 appendix A)", () => {
    const rows: [unknown, unknown, unknown][] = [
      [{ a: "b" }, { a: "c" }, { a: "c" }],
      [{ a: "b" }, { b: "c" }, { a: "b", b: "c" }],
      [{ a: "b" }, { a: null }, {}],
      [{ a: "b", b: "c" }, { a: null }, { b: "c" }],
      [{ a: ["b"] }, { a: "c" }, { a: "c" }],
      [{ a: "c" }, { a: ["b"] }, { a: ["b"] }],
      [{ a: { b: "c" } }, { a: { b: "d", c: null } }, { a: { b: "d" } }],
      [{ a: [{ b: "c" }] }, { a: [1] }, { a: [1] }],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: "b", c: null }, { a: "b" }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, want] of rows) assert.deepEqual(applyMergePatch(target, patch), want);
  });

  it("prunes nulls from a newly set value, array elements included, as json-patch v4 does", () => {
    assert.deepEqual(applyMergePatch({}, { a: [1, null, { b: null, c: 2 }] }), { a: [1, { c: 2 }] });
  });

  it("takes an array patch as the result and refuses a null or scalar patch with 400", () => {
    assert.deepEqual(applyMergePatch({ a: 1 }, [1, 2]), [1, 2]);
    fails(() => applyMergePatch({ a: 1 }, null), 400, "Invalid JSON Patch");
    fails(() => applyMergePatch({ a: 1 }, "x"), 400, "Invalid JSON Patch");
  });

  it("never mutates its inputs", () => {
    const target = deepFreeze({ metadata: { labels: { a: "1" } }, spec: { list: [1] } });
    const patch = deepFreeze({ metadata: { labels: { a: null, b: "2" } }, spec: { list: [2] } });
    assert.deepEqual(applyMergePatch(target, patch), {
      metadata: { labels: { b: "2" } },
      spec: { list: [2] },
    });
  });

  it("keeps a __proto__ key as data and pollutes no prototype", () => {
    const patch = JSON.parse('{"metadata":{"__proto__":{"polluted":true}}}');
    const out = applyMergePatch({ metadata: {} }, patch) as { metadata: object };
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(Object.getPrototypeOf(out.metadata), Object.prototype);
    assert.equal(JSON.stringify(out), '{"metadata":{"__proto__":{"polluted":true}}}');
  });

  it("refuses a patch nested deeper than 1000 levels with 400", () => {
    assert.throws(
      () => applyMergePatch({}, nested(1001)),
      (err: unknown) => err instanceof PatchError && err.status === 400,
    );
    assert.doesNotThrow(() => applyMergePatch({}, nested(900)));
  });

  // JSON values without null: a merge patch cannot set a null, so the diff round trip needs none.
  const { value } = fc.letrec((tie) => ({
    value: fc.oneof(
      { depthSize: "small", withCrossShrink: true },
      fc.string({ maxLength: 4 }),
      fc.integer(),
      fc.boolean(),
      fc.array(tie("value"), { maxLength: 3 }),
      tie("object"),
    ),
    object: fc.dictionary(fc.string({ maxLength: 3 }), tie("value"), { maxKeys: 4 }),
  }));
  const objects = fc.dictionary(fc.string({ maxLength: 3 }), value, { maxKeys: 5 });

  /** A simple merge-patch diff: null for a removed key, recursion into two objects, else the new value. */
  function diff(from: Record<string, unknown>, to: Record<string, unknown>): Record<string, unknown> {
    const patch: Record<string, unknown> = {};
    const put = (k: string, v: unknown) =>
      Object.defineProperty(patch, k, { value: v, enumerable: true, writable: true });
    for (const k of Object.keys(from)) if (!Object.hasOwn(to, k)) put(k, null);
    for (const k of Object.keys(to)) {
      const a = Object.hasOwn(from, k) ? from[k] : undefined;
      const b = to[k];
      const isObj = (v: unknown) => typeof v === "object" && v !== null && !Array.isArray(v);
      if (isObj(a) && isObj(b)) put(k, diff(a as Record<string, unknown>, b as Record<string, unknown>));
      else if (JSON.stringify(a) !== JSON.stringify(b)) put(k, b);
    }
    return patch;
  }

  it("turns any object into any other through the patch a simple diff produces (property)", () => {
    fc.assert(
      fc.property(objects, objects, (from, to) => {
        const out = applyMergePatch(deepFreeze(structuredClone(from)), diff(from, to));
        assert.equal(JSON.stringify(sortKeys(out)), JSON.stringify(sortKeys(to)));
      }),
      { numRuns: 300 },
    );
  });

  it("leaves the target unchanged under an empty patch (property)", () => {
    fc.assert(
      fc.property(objects, (target) => {
        assert.equal(JSON.stringify(sortKeys(applyMergePatch(target, {}))), JSON.stringify(sortKeys(target)));
      }),
      { numRuns: 100 },
    );
  });
});

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys);
  if (typeof v === "object" && v !== null) {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(v).sort()) {
      Object.defineProperty(out, k, { value: sortKeys((v as Record<string, unknown>)[k]), enumerable: true });
    }
    return out;
  }
  return v;
}

describe("applyJsonPatch", () => {
  const doc = () =>
    deepFreeze({ metadata: { name: "a", labels: { "app/x": "1", "t~y": "2" } }, spec: { list: [1, 2, 3] } });

  it("adds, removes, replaces, moves, copies and tests, in order", () => {
    const out = applyJsonPatch(doc(), [
      { op: "add", path: "/spec/new", value: { x: 1 } },
      { op: "add", path: "/spec/list/1", value: 9 },
      { op: "add", path: "/spec/list/-", value: 4 },
      { op: "remove", path: "/spec/list/0" },
      { op: "replace", path: "/metadata/name", value: "b" },
      { op: "move", from: "/spec/new", path: "/spec/moved" },
      { op: "copy", from: "/spec/moved", path: "/spec/copied" },
      { op: "test", path: "/spec/list", value: [9, 2, 3, 4] },
    ]);
    assert.deepEqual(out, {
      metadata: { name: "b", labels: { "app/x": "1", "t~y": "2" } },
      spec: { list: [9, 2, 3, 4], moved: { x: 1 }, copied: { x: 1 } },
    });
  });

  it("unescapes ~1 as / and ~0 as ~ in a path", () => {
    const out = applyJsonPatch(doc(), [
      { op: "replace", path: "/metadata/labels/app~1x", value: "9" },
      { op: "remove", path: "/metadata/labels/t~0y" },
    ]) as { metadata: { labels: object } };
    assert.deepEqual(out.metadata.labels, { "app/x": "9" });
  });

  it("copies by value: changing the copy leaves the source", () => {
    const out = applyJsonPatch({ a: { b: 1 } }, [
      { op: "copy", from: "/a", path: "/c" },
      { op: "replace", path: "/c/b", value: 2 },
    ]);
    assert.deepEqual(out, { a: { b: 1 }, c: { b: 2 } });
  });

  it("counts negative indices from the end, as json-patch v4 does", () => {
    assert.deepEqual(applyJsonPatch({ l: [1, 2, 3] }, [{ op: "remove", path: "/l/-1" }]), { l: [1, 2] });
  });

  it("keeps v4's leniencies: a scalar replacing the root is a no-op, a null test matches a missing member", () => {
    assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: "replace", path: "", value: 5 }]), { a: 1 });
    assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: "replace", path: "", value: { b: 2 } }]), { b: 2 });
    assert.deepEqual(applyJsonPatch({ a: 1 }, [{ op: "test", path: "/nope", value: null }]), { a: 1 });
  });

  it("answers a failed test with 422 and v4's message as the cause", () => {
    fails(
      () => applyJsonPatch(doc(), [{ op: "test", path: "/metadata/name", value: "z" }]),
      422,
      UNPROCESSABLE,
      ["testing value /metadata/name failed: test failed"],
    );
  });

  it("answers paths that do not exist with 422", () => {
    fails(() => applyJsonPatch(doc(), [{ op: "remove", path: "/spec/nope" }]), 422, UNPROCESSABLE, [
      "error in remove for path: '/spec/nope': unable to remove nonexistent key: nope: missing value",
    ]);
    fails(() => applyJsonPatch(doc(), [{ op: "add", path: "/spec/a/b", value: 1 }]), 422, UNPROCESSABLE, [
      'add operation does not apply: doc is missing path: "/spec/a/b": missing value',
    ]);
    fails(
      () => applyJsonPatch(doc(), [{ op: "replace", path: "/spec/nope", value: 1 }]),
      422,
      UNPROCESSABLE,
      ["replace operation does not apply: doc is missing key: /spec/nope: missing value"],
    );
    fails(() => applyJsonPatch(doc(), [{ op: "add", path: "/spec/list/7", value: 1 }]), 422, UNPROCESSABLE, [
      "error in add for path: '/spec/list/7': Unable to access invalid index: 7: invalid index referenced",
    ]);
    fails(() => applyJsonPatch(doc(), [{ op: "move", from: "/nope/x", path: "/y" }]), 422, UNPROCESSABLE, [
      "move operation does not apply: doc is missing from path: /nope/x: missing value",
    ]);
  });

  it("answers an unknown op or a missing path with 422", () => {
    fails(() => applyJsonPatch(doc(), [{ op: "frob", path: "/a" }]), 422, UNPROCESSABLE, [
      "Unexpected kind: frob",
    ]);
    fails(() => applyJsonPatch(doc(), [{ op: "add", value: 1 }]), 422, UNPROCESSABLE, [
      "add operation failed to decode path: missing value",
    ]);
  });

  it("applies all operations or none: a failure leaves the input as it was", () => {
    const target = { a: 1 };
    assert.throws(() =>
      applyJsonPatch(target, [
        { op: "replace", path: "/a", value: 2 },
        { op: "test", path: "/a", value: 3 },
      ]),
    );
    assert.deepEqual(target, { a: 1 });
  });

  it("refuses a body that is not a list of operation objects with 400", () => {
    fails(
      () => applyJsonPatch(doc(), { op: "add" }),
      400,
      "json: cannot unmarshal object into Go value of type jsonpatch.Patch",
    );
    fails(
      () => applyJsonPatch(doc(), ["add"]),
      400,
      "json: cannot unmarshal string into Go value of type jsonpatch.Operation",
    );
  });

  it("refuses more than 10000 operations with 413", () => {
    const ops = Array.from({ length: 10001 }, () => ({ op: "test", path: "/a", value: 1 }));
    fails(
      () => applyJsonPatch({ a: 1 }, ops),
      413,
      "Request entity too large: The allowed maximum operations in a JSON patch is 10000, got 10001",
    );
  });

  it("keeps a __proto__ member as data", () => {
    const out = applyJsonPatch(
      {},
      JSON.parse('[{"op":"add","path":"/__proto__","value":{"polluted":true}}]'),
    );
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.equal(JSON.stringify(out), '{"__proto__":{"polluted":true}}');
  });
});

const deployment = () =>
  deepFreeze({
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: {
      name: "web",
      labels: { app: "web", tier: "front" },
      finalizers: ["example.com/a", "example.com/b"],
      ownerReferences: [{ apiVersion: "v1", kind: "X", name: "x", uid: "u1" }],
    },
    spec: {
      replicas: 2,
      strategy: { type: "RollingUpdate", rollingUpdate: { maxSurge: 1, maxUnavailable: 0 } },
      template: {
        metadata: { labels: { app: "web" } },
        spec: {
          containers: [
            {
              name: "app",
              image: "nginx:1",
              ports: [{ containerPort: 80, name: "http" }],
              env: [
                { name: "A", value: "1" },
                { name: "B", value: "2" },
              ],
            },
            { name: "sidecar", image: "busybox" },
          ],
          volumes: [{ name: "data", emptyDir: {} }],
          tolerations: [{ key: "k1", operator: "Exists" }],
        },
      },
    },
  });

type Deployment = ReturnType<typeof deployment>;
const smp = (patch: unknown) => applyStrategicMergePatch(deployment(), patch, DEPLOYMENT) as Deployment;
const podSpec = (d: Deployment) => d.spec.template.spec;

describe("applyStrategicMergePatch on a Deployment", () => {
  it("merges containers by name, leaving the others", () => {
    const out = smp({ spec: { template: { spec: { containers: [{ name: "app", image: "nginx:2" }] } } } });
    assert.deepEqual(
      podSpec(out).containers.map((c) => [c.name, c.image]),
      [
        ["app", "nginx:2"],
        ["sidecar", "busybox"],
      ],
    );
    assert.deepEqual(podSpec(out).containers[0]?.env, deployment().spec.template.spec.containers[0]?.env);
  });

  it("puts a container new to the list before the target's others, as normalizeElementOrder orders it", () => {
    const out = smp({ spec: { template: { spec: { containers: [{ name: "log", image: "fluent" }] } } } });
    assert.deepEqual(
      podSpec(out).containers.map((c) => c.name),
      ["log", "app", "sidecar"],
    );
  });

  it("honours $setElementOrder for the merged list", () => {
    const out = smp({
      spec: {
        template: {
          spec: {
            "$setElementOrder/containers": [{ name: "sidecar" }, { name: "app" }, { name: "log" }],
            containers: [{ name: "log", image: "fluent" }],
          },
        },
      },
    });
    assert.deepEqual(
      podSpec(out).containers.map((c) => c.name),
      ["sidecar", "app", "log"],
    );
  });

  it("deletes a container with $patch: delete", () => {
    const out = smp({
      spec: { template: { spec: { containers: [{ name: "sidecar", $patch: "delete" }] } } },
    });
    assert.deepEqual(
      podSpec(out).containers.map((c) => c.name),
      ["app"],
    );
  });

  it("replaces the whole list with a $patch: replace item", () => {
    const out = smp({
      spec: { template: { spec: { containers: [{ $patch: "replace" }, { name: "only", image: "x" }] } } },
    });
    assert.deepEqual(podSpec(out).containers, [{ name: "only", image: "x" }]);
  });

  it("merges ports by containerPort and env by name, deleting env with $patch: delete", () => {
    const out = smp({
      spec: {
        template: {
          spec: {
            containers: [
              {
                name: "app",
                ports: [{ containerPort: 80, name: "web" }, { containerPort: 443 }],
                env: [
                  { name: "B", value: "20" },
                  { name: "A", $patch: "delete" },
                ],
              },
            ],
          },
        },
      },
    });
    const app = podSpec(out).containers[0] as { ports: unknown; env: unknown };
    assert.deepEqual(app.ports, [{ containerPort: 80, name: "web" }, { containerPort: 443 }]);
    assert.deepEqual(app.env, [{ name: "B", value: "20" }]);
  });

  it("unions finalizers as a set and removes some with $deleteFromPrimitiveList", () => {
    const added = smp({ metadata: { finalizers: ["example.com/b", "example.com/c"] } });
    assert.deepEqual(added.metadata.finalizers, ["example.com/a", "example.com/b", "example.com/c"]);
    const removed = smp({ metadata: { "$deleteFromPrimitiveList/finalizers": ["example.com/a"] } });
    assert.deepEqual(removed.metadata.finalizers, ["example.com/b"]);
  });

  it("merges ownerReferences by uid", () => {
    const out = smp({ metadata: { ownerReferences: [{ uid: "u1", controller: true }] } });
    assert.deepEqual(out.metadata.ownerReferences, [
      { apiVersion: "v1", kind: "X", name: "x", uid: "u1", controller: true },
    ]);
  });

  it("merges labels per key, null deleting one", () => {
    const out = smp({ metadata: { labels: { tier: null, env: "prod" } } });
    assert.deepEqual(out.metadata.labels, { app: "web", env: "prod" });
  });

  it("replaces a map's content with $patch: replace", () => {
    const out = smp({ spec: { template: { metadata: { labels: { $patch: "replace", only: "this" } } } } });
    assert.deepEqual(out.spec.template.metadata.labels, { only: "this" });
  });

  it("replaces tolerations, an atomic list, whole", () => {
    const out = smp({ spec: { template: { spec: { tolerations: [{ key: "k2", operator: "Exists" }] } } } });
    assert.deepEqual(podSpec(out).tolerations, [{ key: "k2", operator: "Exists" }]);
  });

  it("drops the strategy's other keys with $retainKeys when switching to Recreate", () => {
    const out = smp({ spec: { strategy: { $retainKeys: ["type"], type: "Recreate" } } });
    assert.deepEqual(out.spec.strategy, { type: "Recreate" });
    const merged = smp({ spec: { strategy: { type: "Recreate" } } });
    assert.deepEqual(merged.spec.strategy, {
      type: "Recreate",
      rollingUpdate: { maxSurge: 1, maxUnavailable: 0 },
    });
  });

  it("switches a volume's source with $retainKeys inside the merged item", () => {
    const out = smp({
      spec: {
        template: {
          spec: {
            volumes: [{ name: "data", configMap: { name: "cm" }, $retainKeys: ["configMap", "name"] }],
          },
        },
      },
    });
    assert.deepEqual(podSpec(out).volumes, [{ name: "data", configMap: { name: "cm" } }]);
  });

  it("answers an item without its merge key with 500 and strategicpatch's message", () => {
    fails(
      () => smp({ spec: { template: { spec: { containers: [{ image: "nginx" }] } } } }),
      500,
      "map: map[image:nginx] does not contain declared merge key: name",
    );
  });

  it("answers an unknown $patch value with 500", () => {
    fails(
      () => smp({ metadata: { labels: { $patch: "frob" } } }),
      500,
      "unknown patch type: frob in map: map[$patch:frob]",
    );
  });

  it("answers malformed directives with 400", () => {
    fails(
      () => smp({ spec: { strategy: { $retainKeys: "type" } } }),
      400,
      "invalid patch format of retainKeys",
    );
    fails(
      () => smp({ spec: { strategy: { $retainKeys: ["type"], type: "Recreate", rollingUpdate: {} } } }),
      400,
      "invalid patch format of retainKeys",
    );
    fails(
      () => smp({ spec: { template: { spec: { $setElementOrder: [] } } } }),
      400,
      "invalid patch format of setElementOrder list",
    );
    fails(
      () => smp({ metadata: { $deleteFromPrimitiveList: ["a"] } }),
      400,
      "invalid patch format of primitive list",
    );
    fails(() => smp([]), 400, "json: cannot unmarshal array into Go value of type map[string]interface {}");
  });

  it("answers a list of lists with 422, and lists of mixed types with 500", () => {
    const empty = { metadata: { finalizers: [] } };
    fails(
      () => applyStrategicMergePatch(empty, { metadata: { finalizers: [["a"]] } }, DEPLOYMENT),
      422,
      UNPROCESSABLE,
      ["lists of lists are not supported"],
    );
    fails(
      () => smp({ metadata: { finalizers: [["a"]] } }),
      500,
      "list element types are not identical: [[example.com/a example.com/b] [[a]]]",
    );
  });

  it("never mutates the target or the patch", () => {
    const patch = deepFreeze({
      spec: { template: { spec: { containers: [{ name: "app", image: "nginx:2" }] } } },
    });
    assert.doesNotThrow(() => applyStrategicMergePatch(deployment(), patch, DEPLOYMENT));
  });

  it("keeps a __proto__ label as data", () => {
    const out = smp(JSON.parse('{"metadata":{"labels":{"__proto__":"x"}}}')) as {
      metadata: { labels: object };
    };
    assert.equal(Object.getPrototypeOf(out.metadata.labels), Object.prototype);
    assert.equal(Object.getOwnPropertyDescriptor(out.metadata.labels, "__proto__")?.value, "x");
  });
});

describe("applyStrategicMergePatch on other kinds", () => {
  it("merges a Pod's containers and keeps its volumes by name", () => {
    const pod = deepFreeze({
      spec: {
        containers: [{ name: "a", image: "1" }],
        volumes: [
          { name: "v1", emptyDir: {} },
          { name: "v2", secret: { secretName: "s" } },
        ],
      },
    });
    const out = applyStrategicMergePatch(
      pod,
      {
        spec: {
          volumes: [{ name: "v2", secret: { secretName: "t" } }],
          containers: [{ name: "a", image: "2" }],
        },
      },
      POD,
    );
    assert.deepEqual(out, {
      spec: {
        containers: [{ name: "a", image: "2" }],
        volumes: [
          { name: "v1", emptyDir: {} },
          { name: "v2", secret: { secretName: "t" } },
        ],
      },
    });
  });

  it("merges a Service's ports by port", () => {
    const svc = deepFreeze({ spec: { ports: [{ port: 80, targetPort: 8080 }, { port: 443 }] } });
    const out = applyStrategicMergePatch(svc, { spec: { ports: [{ port: 80, targetPort: 9090 }] } }, SERVICE);
    assert.deepEqual(out, { spec: { ports: [{ port: 80, targetPort: 9090 }, { port: 443 }] } });
  });

  it("replaces a PodDisruptionBudget's selector whole (patch strategy replace)", () => {
    const pdb = deepFreeze({ spec: { selector: { matchLabels: { a: "1" }, matchExpressions: [] } } });
    const out = applyStrategicMergePatch(pdb, { spec: { selector: { matchLabels: { b: "2" } } } }, PDB);
    assert.deepEqual(out, { spec: { selector: { matchLabels: { b: "2" } } } });
  });

  it("merges untyped values like a JSON merge patch: per key, lists replaced, null deleting", () => {
    const out = applyStrategicMergePatch(
      { spec: { a: 1, b: { c: 2, d: 3 }, l: [1, 2] } },
      { spec: { a: null, b: { c: 4 }, l: [3] } },
      UNTYPED_SHAPE,
    );
    assert.deepEqual(out, { spec: { b: { c: 4, d: 3 }, l: [3] } });
  });

  it("takes a new value without its nulls and directives", () => {
    const out = applyStrategicMergePatch({}, { spec: { a: null, b: { c: null, d: 1 } } }, UNTYPED_SHAPE);
    assert.deepEqual(out, { spec: { b: { d: 1 } } });
  });
});
