// Server-side apply and managedFields tracking of the fake API server, as specifications of
// what the apiserver (structured-merge-diff and the managedfields package) does.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  ApplyError,
  type Conflict,
  conflictCauses,
  conflictMessage,
  type ManagedFieldsEntry,
  type ManageOptions,
  serverSideApply,
  trackUpdate,
} from "../../src/testing/fake/apply.js";
import { fromFieldsV1, paths, toFieldsV1 } from "../../src/testing/fake/field-set.js";
import type { Shape } from "../../src/testing/fake/shape.js";
import { configMap, deployment, preserved } from "./shapes-by-hand.js";

type Obj = Record<string, unknown> & { metadata?: Record<string, unknown> };

const T0 = "2024-05-01T10:00:00Z";
const T1 = "2024-05-01T10:05:00Z";
const T2 = "2024-05-01T10:10:00Z";

const opts = (manager: string, now = T0, more: Partial<ManageOptions> = {}): ManageOptions => ({
  manager,
  apiVersion: "apps/v1",
  now,
  shape: deployment,
  ...more,
});

function apply(
  live: object | undefined,
  config: object,
  manager: string,
  now = T0,
  force = false,
  more = {},
): Obj {
  const r = serverSideApply(live, config, { ...opts(manager, now, more), force });
  if ("conflicts" in r) assert.fail(`unexpected conflicts: ${conflictMessage(r.conflicts)}`);
  return r.object as Obj;
}

function conflicts(live: object, config: object, manager: string): Conflict[] {
  const r = serverSideApply(live, config, { ...opts(manager), force: false });
  if (!("conflicts" in r)) return assert.fail("expected conflicts");
  return r.conflicts;
}

const entries = (o: Obj) => (o.metadata?.managedFields ?? []) as ManagedFieldsEntry[];
const entry = (o: Obj, manager: string, operation: "Apply" | "Update" = "Apply") =>
  entries(o).find((e) => e.manager === manager && e.operation === operation);
/** The paths a manager owns, as conflicts print them. */
const owned = (o: Obj, manager: string, operation: "Apply" | "Update" = "Apply") => {
  const e = entry(o, manager, operation);
  return e ? paths(fromFieldsV1(e.fieldsV1)).map((p) => p.join("/")) : [];
};
const spec = (o: Obj) => o.spec as Record<string, unknown>;
const containers = (o: Obj) =>
  ((spec(o).template as Obj).spec as { containers: Record<string, unknown>[] }).containers;

const deploy = (specFields: Record<string, unknown>, meta: Record<string, unknown> = {}) => ({
  apiVersion: "apps/v1",
  kind: "Deployment",
  metadata: { name: "web", namespace: "default", ...meta },
  spec: specFields,
});
const podSpec = (cs: Record<string, unknown>[]) => ({ template: { spec: { containers: cs } } });

describe("apply on a missing object", () => {
  it("creates it, owned by one Apply entry in the apiserver's FieldsV1 form", () => {
    const created = apply(
      undefined,
      deploy({ replicas: 2, ...podSpec([{ name: "web", image: "nginx:1" }]) }, { labels: { app: "web" } }),
      "kubectl",
    );
    assert.equal(spec(created).replicas, 2);
    assert.deepEqual(created.metadata?.managedFields, [
      {
        manager: "kubectl",
        operation: "Apply",
        apiVersion: "apps/v1",
        time: T0,
        fieldsType: "FieldsV1",
        fieldsV1: {
          "f:metadata": { "f:labels": { "f:app": {} } },
          "f:spec": {
            "f:replicas": {},
            "f:template": {
              "f:spec": {
                "f:containers": { 'k:{"name":"web"}': { ".": {}, "f:image": {}, "f:name": {} } },
              },
            },
          },
        },
      },
    ]);
  });

  it("never tracks apiVersion, kind, or metadata's name, namespace, uid, resourceVersion, generation", () => {
    const created = apply(
      undefined,
      deploy({ replicas: 1 }, { uid: "u", resourceVersion: "5", generation: 3, creationTimestamp: T0 }),
      "m",
    );
    assert.deepEqual(owned(created, "m"), ["f:spec/f:replicas"]);
  });

  it("keys a container port by containerPort and the protocol's default", () => {
    const created = apply(undefined, deploy(podSpec([{ name: "web", ports: [{ containerPort: 80 }] }])), "m");
    assert.ok(
      owned(created, "m").includes(
        'f:spec/f:template/f:spec/f:containers/k:{"name":"web"}/f:ports/k:{"containerPort":80,"protocol":"TCP"}',
      ),
    );
  });
});

describe("conflicts", () => {
  const byUpdate = trackUpdate(
    undefined,
    { ...deploy({ replicas: 1 }), metadata: { name: "web", uid: "1" } },
    opts("kubectl-client-side-apply"),
  );

  it("a scalar another manager owns, changed by an apply, is a conflict with the apiserver's message", () => {
    const c = conflicts(byUpdate, deploy({ replicas: 3 }), "ssa");
    assert.deepEqual(c, [
      {
        manager: "kubectl-client-side-apply",
        operation: "Update",
        apiVersion: "apps/v1",
        field: ".spec.replicas",
      },
    ]);
    assert.equal(
      conflictMessage(c),
      'Apply failed with 1 conflict: conflict with "kubectl-client-side-apply" using apps/v1: .spec.replicas',
    );
    assert.deepEqual(conflictCauses(c), [
      {
        type: "FieldManagerConflict",
        message: 'conflict with "kubectl-client-side-apply" using apps/v1',
        field: ".spec.replicas",
      },
    ]);
  });

  it("force takes the field over: the value changes and the field leaves the other manager's set", () => {
    const forced = apply(byUpdate, deploy({ replicas: 3 }), "ssa", T1, true);
    assert.equal(spec(forced).replicas, 3);
    assert.deepEqual(owned(forced, "ssa"), ["f:spec/f:replicas"]);
    // The create added spec, which the creator owns itself (as for a CRD's object, whose empty
    // object has no spec; a built-in kind's Go zero value already has one).
    assert.deepEqual(owned(forced, "kubectl-client-side-apply", "Update"), ["f:spec"]);
  });

  it("two managers applying the same value share the field without conflict", () => {
    const a = apply(undefined, deploy({ replicas: 2 }), "a");
    const b = apply(a, deploy({ replicas: 2 }), "b", T1);
    assert.deepEqual(owned(b, "a"), ["f:spec/f:replicas"]);
    assert.deepEqual(owned(b, "b"), ["f:spec/f:replicas"]);
    assert.equal(
      "conflicts" in serverSideApply(b, deploy({ replicas: 5 }), { ...opts("c"), force: false }),
      true,
    );
  });

  it("a conflict inside a keyed list names the item by its key, and several conflicts group by manager", () => {
    const a = apply(undefined, deploy({ replicas: 1, ...podSpec([{ name: "web", image: "nginx:1" }]) }), "a");
    const c = conflicts(a, deploy({ replicas: 2, ...podSpec([{ name: "web", image: "nginx:2" }]) }), "b");
    assert.deepEqual(
      c.map((x) => x.field),
      [".spec.replicas", '.spec.template.spec.containers[name="web"].image'],
    );
    assert.equal(
      conflictMessage(c),
      'Apply failed with 2 conflicts: conflicts with "a":\n- .spec.replicas\n- .spec.template.spec.containers[name="web"].image',
    );
  });

  it("an Update after an Apply takes the field, and the applier then conflicts with it", () => {
    const applied = apply(undefined, deploy({ replicas: 2 }), "ssa");
    const scaled = trackUpdate(applied, { ...applied, spec: { replicas: 5 } }, opts("hpa", T1)) as Obj;
    assert.deepEqual(owned(scaled, "hpa", "Update"), ["f:spec/f:replicas"]);
    assert.deepEqual(owned(scaled, "ssa"), []);
    const c = conflicts(scaled, deploy({ replicas: 2 }), "ssa");
    assert.equal(
      conflictMessage(c),
      'Apply failed with 1 conflict: conflict with "hpa" using apps/v1: .spec.replicas',
    );
  });

  it("a manager writing through a subresource is printed with it", () => {
    const c: Conflict = {
      manager: "ctl",
      operation: "Update",
      apiVersion: "apps/v1",
      subresource: "scale",
      field: ".spec.replicas",
    };
    assert.equal(
      conflictMessage([c]),
      'Apply failed with 1 conflict: conflict with "ctl" with subresource "scale" using apps/v1: .spec.replicas',
    );
  });
});

describe("what an applier stops applying", () => {
  it("is removed from the object when nobody else owns it", () => {
    const first = apply(undefined, deploy({ replicas: 2, paused: true }), "m");
    const second = apply(first, deploy({ replicas: 2 }), "m", T1);
    assert.equal(spec(second).paused, undefined);
    assert.deepEqual(owned(second, "m"), ["f:spec/f:replicas"]);
  });

  it("stays when another manager owns it; only the ownership goes", () => {
    const a = apply(undefined, deploy({ replicas: 2, paused: true }), "a");
    const b = apply(a, deploy({ paused: true }), "b", T1);
    const a2 = apply(b, deploy({ replicas: 2 }), "a", T2);
    assert.equal(spec(a2).paused, true);
    assert.deepEqual(owned(a2, "a"), ["f:spec/f:replicas"]);
    assert.deepEqual(owned(a2, "b"), ["f:spec/f:paused"]);
  });

  it("stays when an Update manager owns it", () => {
    const a = apply(undefined, deploy({ replicas: 2, paused: true }), "a");
    const u = trackUpdate(a, { ...a, spec: { replicas: 2, paused: false } }, opts("editor", T1)) as Obj;
    const a2 = apply(u, deploy({ replicas: 2 }), "a", T2);
    assert.equal(spec(a2).paused, false);
  });

  it("a keyed list item it stops applying is removed, the others keep their place", () => {
    const cs: Record<string, unknown>[] = [
      { name: "a", image: "a:1" },
      { name: "b", image: "b:1" },
      { name: "c", image: "c:1" },
    ];
    const first = apply(undefined, deploy(podSpec(cs)), "m");
    const second = apply(first, deploy(podSpec([cs[0] ?? {}, cs[2] ?? {}])), "m", T1);
    assert.deepEqual(
      containers(second).map((c) => c.name),
      ["a", "c"],
    );
    assert.ok(!owned(second, "m").some((p) => p.includes('"b"')));
  });

  it("a list item another applier also applies stays", () => {
    const first = apply(undefined, deploy(podSpec([{ name: "a", image: "a:1" }, { name: "side" }])), "m");
    const other = apply(first, deploy(podSpec([{ name: "side" }])), "other", T1);
    const second = apply(other, deploy(podSpec([{ name: "a", image: "a:1" }])), "m", T2);
    assert.deepEqual(
      containers(second).map((c) => c.name),
      ["a", "side"],
    );
  });

  it("a map key it stops applying is removed, other keys stay", () => {
    const cm = (data: Record<string, string>) => ({
      apiVersion: "v1",
      kind: "ConfigMap",
      metadata: { name: "c" },
      data,
    });
    const o = { ...opts("m"), apiVersion: "v1", shape: configMap };
    const r1 = serverSideApply(undefined, cm({ a: "1", b: "2" }), { ...o, force: false });
    assert.ok("object" in r1);
    const edited = trackUpdate(
      r1.object,
      { ...(r1.object as Obj), data: { a: "1", b: "2", c: "3" } },
      { ...o, manager: "ed" },
    );
    const r2 = serverSideApply(edited, cm({ a: "1" }), { ...o, now: T1, force: false });
    assert.ok("object" in r2);
    assert.deepEqual((r2.object as Obj).data, { a: "1", c: "3" });
  });

  it("a struct it alone had set is removed whole, not left as {}", () => {
    const first = apply(
      undefined,
      deploy({ replicas: 1, strategy: { rollingUpdate: { maxSurge: 1 } } }),
      "m",
    );
    const second = apply(first, deploy({ replicas: 1 }), "m", T1);
    assert.equal(spec(second).strategy, undefined);
  });
});

describe("merging an applied configuration", () => {
  it("merges granular maps per key and replaces atomic lists and maps whole", () => {
    const first = apply(
      undefined,
      deploy(
        { selector: { matchLabels: { a: "1", b: "2" } }, ...podSpec([{ name: "w", args: ["x", "y"] }]) },
        { labels: { a: "1" } },
      ),
      "m",
    );
    const labelled = trackUpdate(
      first,
      { ...first, metadata: { ...first.metadata, labels: { a: "1", z: "9" } } },
      opts("ed"),
    ) as Obj;
    const second = apply(
      labelled,
      deploy(
        { selector: { matchLabels: { c: "3" } }, ...podSpec([{ name: "w", args: ["z"] }]) },
        { labels: { a: "1" } },
      ),
      "m",
      T1,
    );
    assert.deepEqual(second.metadata?.labels, { a: "1", z: "9" });
    assert.deepEqual((spec(second).selector as Obj).matchLabels, { c: "3" });
    assert.deepEqual(containers(second)[0]?.args, ["z"]);
    assert.ok(owned(second, "m").includes("f:spec/f:selector"), "an atomic map is owned as one leaf");
    assert.ok(owned(second, "m").includes('f:spec/f:template/f:spec/f:containers/k:{"name":"w"}/f:args'));
  });

  it("owns set members by value", () => {
    const created = apply(undefined, deploy({}, { finalizers: ["a/x", "b/y"] }), "m");
    assert.deepEqual(entry(created, "m")?.fieldsV1, {
      "f:metadata": { "f:finalizers": { 'v:"a/x"': {}, 'v:"b/y"': {} } },
    });
  });

  it("keeps live's order and puts new applied items before the next shared one", () => {
    const live = apply(undefined, deploy(podSpec([{ name: "a" }, { name: "b" }, { name: "c" }])), "x");
    const merged = apply(live, deploy(podSpec([{ name: "n" }, { name: "b" }])), "y", T1);
    assert.deepEqual(
      containers(merged).map((c) => c.name),
      ["a", "n", "b", "c"],
    );
  });

  it("refuses an applied keyed list with duplicate keys, as the apiserver's 500", () => {
    assert.throws(
      () => apply(undefined, deploy(podSpec([{ name: "a" }, { name: "a" }])), "m"),
      (e: unknown) =>
        e instanceof ApplyError &&
        e.status === 500 &&
        /duplicate entries for key \[name="a"\]/.test(e.message),
    );
  });

  it("refuses metadata.managedFields in an applied configuration with a 400", () => {
    assert.throws(
      () => apply(undefined, deploy({}, { managedFields: [] }), "m"),
      (e: unknown) =>
        e instanceof ApplyError && e.status === 400 && e.message === "metadata.managedFields must be nil",
    );
  });

  it("merges preserve-unknown-fields maps per key, their lists whole", () => {
    const o = { ...opts("m"), apiVersion: "x.io/v1", shape: preserved as Shape };
    const cr = (s: object) => ({ apiVersion: "x.io/v1", kind: "X", metadata: { name: "x" }, spec: s });
    const r1 = serverSideApply(undefined, cr({ a: { b: 1 }, l: [1, 2] }), { ...o, force: false });
    assert.ok("object" in r1);
    const r2 = serverSideApply(r1.object, cr({ a: { c: 2 }, l: [3] }), { ...o, manager: "n", force: true });
    assert.ok("object" in r2);
    assert.deepEqual((r2.object as Obj).spec, { a: { b: 1, c: 2 }, l: [3] });
    assert.deepEqual(entry(r1.object as Obj, "m")?.fieldsV1, {
      "f:spec": { "f:a": { ".": {}, "f:b": {} }, "f:l": {} },
    });
  });
});

describe("updates", () => {
  const base = () =>
    trackUpdate(
      undefined,
      { ...deploy({ replicas: 1, paused: true }), metadata: { name: "web", uid: "1" } },
      opts("creator"),
    );

  it("a create is owned by its manager's Update entry", () => {
    const o = base() as Obj;
    assert.deepEqual(
      entries(o).map((e) => [e.manager, e.operation, e.time]),
      [["creator", "Update", T0]],
    );
    assert.deepEqual(owned(o, "creator", "Update"), ["f:spec", "f:spec/f:paused", "f:spec/f:replicas"]);
  });

  it("the updater takes what it changed or added; removed fields leave every set", () => {
    const o = base() as Obj;
    const u = trackUpdate(o, { ...o, spec: { replicas: 4, minReadySeconds: 5 } }, opts("ed", T1)) as Obj;
    assert.deepEqual(owned(u, "ed", "Update"), ["f:spec/f:minReadySeconds", "f:spec/f:replicas"]);
    assert.deepEqual(owned(u, "creator", "Update"), ["f:spec"]);
  });

  it("an update that changes nothing leaves entries and times alone", () => {
    const o = base() as Obj;
    const same = trackUpdate(o, structuredClone(o), opts("ed", T1)) as Obj;
    assert.deepEqual(same.metadata?.managedFields, o.metadata?.managedFields);
  });

  it("a manager whose set empties loses its entry", () => {
    const o = trackUpdate(
      undefined,
      { ...deploy({ replicas: 1 }), metadata: { name: "w", uid: "1" } },
      opts("a"),
    ) as Obj;
    const u = trackUpdate(o, { ...o, spec: { replicas: 2 } }, opts("b", T1)) as Obj;
    const v = trackUpdate(u, { ...u, spec: {} }, opts("c", T2)) as Obj;
    assert.deepEqual(owned(v, "a", "Update"), ["f:spec"]);
    assert.equal(entry(v, "b", "Update"), undefined);
  });

  it("writes one entry per manager, apiVersion and subresource, sorted Apply first, then by time and manager", () => {
    const a = apply(undefined, deploy({ replicas: 1 }), "z-applier", T2);
    const u1 = trackUpdate(a, { ...a, spec: { replicas: 1, paused: true } }, opts("b", T1)) as Obj;
    const u2 = trackUpdate(
      u1,
      { ...u1, spec: { replicas: 1, paused: true, minReadySeconds: 1 } },
      opts("a", T1),
    ) as Obj;
    const u3 = trackUpdate(
      u2,
      { ...u2, status: { replicas: 1 } },
      { ...opts("a", T0), subresource: "status" },
    ) as Obj;
    assert.deepEqual(
      entries(u3).map((e) => [e.operation, e.manager, e.subresource ?? "", e.time]),
      [
        ["Apply", "z-applier", "", T2],
        ["Update", "a", "status", T0],
        ["Update", "a", "", T1],
        ["Update", "b", "", T1],
      ],
    );
  });

  it("managedFields sent as [] clear them, and updates do not track the object again", () => {
    const o = base() as Obj;
    const cleared = trackUpdate(
      o,
      { ...o, metadata: { ...o.metadata, managedFields: [] } },
      opts("ed", T1),
    ) as Obj;
    assert.equal(cleared.metadata?.managedFields, undefined);
    const again = trackUpdate(cleared, { ...cleared, spec: { replicas: 9 } }, opts("ed", T2)) as Obj;
    assert.equal(again.metadata?.managedFields, undefined);
  });

  it("managedFields sent by a client replace the stored ones; absent ones keep them", () => {
    const o = base() as Obj;
    const mine: ManagedFieldsEntry[] = [
      {
        manager: "me",
        operation: "Apply",
        apiVersion: "apps/v1",
        time: T0,
        fieldsType: "FieldsV1",
        fieldsV1: { "f:spec": { "f:replicas": {} } },
      },
    ];
    const replaced = trackUpdate(
      o,
      { ...o, metadata: { ...o.metadata, managedFields: mine } },
      opts("ed", T1),
    ) as Obj;
    assert.deepEqual(replaced.metadata?.managedFields, mine);
    const { managedFields: _, ...meta } = o.metadata as Record<string, unknown>;
    const kept = trackUpdate(o, { ...o, metadata: meta }, opts("ed", T1)) as Obj;
    assert.deepEqual(kept.metadata?.managedFields, o.metadata?.managedFields);
  });

  it("on a subresource, sent managedFields are ignored", () => {
    const o = base() as Obj;
    const u = trackUpdate(
      o,
      { ...o, metadata: { ...o.metadata, managedFields: [] } },
      { ...opts("ed", T1), subresource: "status" },
    ) as Obj;
    assert.deepEqual(u.metadata?.managedFields, o.metadata?.managedFields);
  });

  it("past 10 Update managers, the oldest merge into ancient-changes", () => {
    let o = base() as Obj;
    for (let i = 0; i < 11; i++) {
      const t = `2024-05-01T11:${String(i).padStart(2, "0")}:00Z`;
      o = trackUpdate(o, { ...o, spec: { ...spec(o), [`f${i}`]: i } }, opts(`m${i}`, t)) as Obj;
    }
    const names = entries(o).map((e) => e.manager);
    assert.equal(names.length, 10);
    assert.ok(names.includes("ancient-changes"));
    assert.ok(!names.includes("creator") && !names.includes("m0"));
  });
});

describe("reset fields", () => {
  it("on the main resource, status is neither owned nor changed by an apply", () => {
    const created = apply(
      undefined,
      { ...deploy({ replicas: 1 }), status: { replicas: 7 } },
      "m",
      T0,
      false,
      {
        reset: [["status"]],
      },
    );
    assert.equal(created.status, undefined);
    assert.deepEqual(owned(created, "m"), ["f:spec/f:replicas"]);
  });

  it("on /status, an update owns status but not spec, whose stored value stays", () => {
    const live = { ...deploy({ replicas: 1 }), metadata: { name: "web", uid: "1" } };
    const created = trackUpdate(undefined, live, opts("creator")) as Obj;
    const u = trackUpdate(
      created,
      { ...created, spec: { replicas: 9 }, status: { readyReplicas: 1 } },
      {
        ...opts("ctrl", T1),
        subresource: "status",
        reset: [["spec"], ["metadata", "labels"]],
      },
    ) as Obj;
    assert.equal(spec(u).replicas, 1);
    assert.deepEqual(owned(u, "ctrl", "Update"), ["f:status", "f:status/f:readyReplicas"]);
  });
});

describe("an object that was never applied", () => {
  it("is first owned by before-first-apply when its managedFields are empty", () => {
    const plain = {
      ...deploy({ replicas: 1, paused: true }),
      metadata: { name: "web", namespace: "default", uid: "1" },
    };
    const applied = apply(plain, deploy({ replicas: 1 }), "m", T1);
    assert.deepEqual(
      entries(applied).map((e) => [e.manager, e.operation]),
      [
        ["m", "Apply"],
        ["before-first-apply", "Update"],
      ],
    );
    assert.equal(entry(applied, "m")?.time, undefined, "the apply changed nothing, so it has no time");
    assert.equal(spec(applied).paused, true);
  });
});

describe("FieldsV1", () => {
  it("reads and writes back the wire form, '.' for a member with children", () => {
    const wire = {
      "f:metadata": { "f:labels": { ".": {}, "f:app": {} } },
      'k:{"a":1,"b":"x"}': { ".": {}, "f:n": {} },
    };
    assert.deepEqual(toFieldsV1(fromFieldsV1(wire)), wire);
  });
});

// Applying the same configuration twice changes neither the object nor managedFields.
describe("idempotence", () => {
  const name = fc.constantFrom("a", "b", "c");
  const container = fc.record(
    {
      name,
      image: fc.constantFrom("x:1", "x:2"),
      args: fc.array(fc.constantFrom("-v", "-q"), { maxLength: 2 }),
    },
    { requiredKeys: ["name"] },
  );
  const config = fc.record(
    {
      replicas: fc.integer({ min: 0, max: 3 }),
      paused: fc.boolean(),
      template: fc.record({
        spec: fc.record({ containers: fc.uniqueArray(container, { selector: (c) => c.name, maxLength: 3 }) }),
      }),
    },
    { requiredKeys: [] },
  );
  const labels = fc.dictionary(fc.constantFrom("app", "tier", "env"), fc.constantFrom("1", "2"));

  it("a second identical apply is a no-op, whatever was applied before", () => {
    fc.assert(
      fc.property(config, labels, config, labels, (s0, l0, s1, l1) => {
        const before = apply(undefined, deploy(s0, { labels: l0 }), "m");
        const other = apply(before, deploy(s1, { labels: l1 }), "n", T1, true);
        const once = apply(other, deploy(s0, { labels: l0 }), "m", T2, true);
        const twice = apply(once, deploy(s0, { labels: l0 }), "m", "2024-05-01T12:00:00Z", true);
        assert.deepEqual(twice, once);
      }),
      { numRuns: 200 },
    );
  });
});
