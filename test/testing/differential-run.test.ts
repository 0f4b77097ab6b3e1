// The differential runner's normaliser and comparison, without a server: what the suite calls
// equal must be equal only up to the values that must differ between two servers.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compare, firstDifference, Normaliser, resolve, type StepRecord } from "./differential/run.js";

const U1 = "6f1c2a3b-0000-4000-8000-000000000001";
const U2 = "6f1c2a3b-0000-4000-8000-000000000002";

const record = (id: string, body: unknown, code = 200): StepRecord => ({
  id,
  what: id,
  code,
  body,
  warnings: [],
  problems: [],
});

describe("Normaliser", () => {
  it("numbers uids by first appearance, in values, messages and managedFields keys alike", () => {
    const n = new Normaliser("kf-diff-x");
    const a = n.body({ metadata: { uid: U1, ownerReferences: [{ uid: U2 }] } });
    const b = n.body({
      message: `UID in object meta: ${U2}`,
      managedFields: [{ fieldsV1: { "f:metadata": { [`k:{"uid":"${U1}"}`]: {} } } }],
    });
    assert.deepEqual(a, { metadata: { uid: "<uid-2>", ownerReferences: [{ uid: "<uid-1>" }] } });
    assert.deepEqual(b, {
      message: "UID in object meta: <uid-1>",
      managedFields: [{ fieldsV1: { "f:metadata": { 'k:{"uid":"<uid-2>"}': {} } } }],
    });
  });

  it("numbers object resourceVersions, so an unchanged one compares equal; a list's and a bookmark's own become <rv>", () => {
    const n = new Normaliser("ns");
    assert.deepEqual(n.body({ metadata: { resourceVersion: "900" } }), {
      metadata: { resourceVersion: "<rv-1>" },
    });
    assert.deepEqual(n.body({ metadata: { resourceVersion: "905" } }), {
      metadata: { resourceVersion: "<rv-2>" },
    });
    assert.deepEqual(
      n.body({
        kind: "ConfigMapList",
        metadata: { resourceVersion: "999" },
        items: [{ metadata: { resourceVersion: "900" } }],
      }),
      {
        kind: "ConfigMapList",
        metadata: { resourceVersion: "<rv>" },
        items: [{ metadata: { resourceVersion: "<rv-1>" } }],
      },
    );
    assert.deepEqual(n.body({ metadata: { resourceVersion: "1000" } }, { bookmark: true }), {
      metadata: { resourceVersion: "<rv>" },
    });
    assert.equal(
      n.text(
        "the ResourceVersion in the precondition (900) does not match the ResourceVersion in record (905)",
      ),
      "the ResourceVersion in the precondition (<rv-1>) does not match the ResourceVersion in record (<rv-2>)",
    );
  });

  it("replaces timestamps, generated name suffixes, continue tokens and the run's namespace", () => {
    const n = new Normaliser("kf-diff-1-abcde");
    const out = n.body({
      metadata: {
        name: "gen-x7k2p",
        generateName: "gen-",
        namespace: "kf-diff-1-abcde",
        creationTimestamp: "2026-01-01T00:00:00Z",
        managedFields: [{ time: "2026-01-01T00:00:00Z", manager: "m" }],
      },
      status: { conditions: [{ lastTransitionTime: "2026-01-01T00:00:00Z" }] },
    });
    assert.deepEqual(out, {
      metadata: {
        name: "gen-<generated>",
        generateName: "gen-",
        namespace: "<ns>",
        creationTimestamp: "<time>",
        managedFields: [{ time: "<time>", manager: "m" }],
      },
      status: { conditions: [{ lastTransitionTime: "<time>" }] },
    });
    assert.equal(
      n.text('configmaps "gen-x7k2p" not found in kf-diff-1-abcde-missing'),
      'configmaps "gen-<generated>" not found in <ns>-missing',
    );
    assert.deepEqual(n.body({ metadata: { continue: "eyJ2IjoibWV0YS", resourceVersion: "1" }, items: [] }), {
      metadata: { continue: "<continue>", resourceVersion: "<rv>" },
      items: [],
    });
  });

  it("normalises an object quoted as JSON inside a message (a strict patch's 422)", () => {
    const n = new Normaliser("ns");
    n.body({ metadata: { resourceVersion: "41" } });
    assert.equal(
      n.text(
        'Invalid value: "{\\"resourceVersion\\":\\"41\\",\\"creationTimestamp\\":\\"2026-12-03T17:41:44Z\\"}"',
      ),
      'Invalid value: "{\\"resourceVersion\\":\\"<rv-1>\\",\\"creationTimestamp\\":\\"<time>\\"}"',
    );
  });

  it("numbers by sorted keys: two servers writing fields in another order get the same ordinals", () => {
    const a = new Normaliser("ns").body({ metadata: { uid: U1, ownerReferences: [{ uid: U2 }] } });
    const b = new Normaliser("ns").body({ metadata: { ownerReferences: [{ uid: U2 }], uid: U1 } });
    assert.deepEqual(a, b);
  });
});

describe("resolve", () => {
  it("fills {ns} and an earlier step's uid, resourceVersion, name and continue token", () => {
    const saved = new Map([
      [
        "s",
        {
          code: 200,
          warnings: [],
          body: { metadata: { uid: U1, resourceVersion: "7", name: "gen-a", continue: "c" } },
        },
      ],
    ]);
    assert.deepEqual(
      resolve(
        { p: "/namespaces/{ns}/x/{name:s}", q: ["{uid:s}", "{rv:s}", "{continue:s}"] },
        { ns: "n", saved },
      ),
      {
        p: "/namespaces/n/x/gen-a",
        q: [U1, "7", "c"],
      },
    );
    assert.throws(() => resolve("{uid:missing}", { ns: "n", saved }), /no earlier step missing/);
  });
});

describe("compare", () => {
  it("reports every differing step with the first differing path, not only the first step", () => {
    const real = [record("a", { x: 1, y: { z: [1, 2] } }), record("b", { m: "x" }, 404), record("c", {})];
    const fake = [record("a", { x: 1, y: { z: [1, 3] } }), record("b", { m: "x" }, 400), record("c", {})];
    const { differences, compared } = compare(real, fake, {});
    assert.equal(compared, 3);
    assert.equal(differences.length, 2);
    assert.match(differences[0] ?? "", /^a \(a\): at \$\.body\.y\.z\[1\] real 2 vs fake 3$/);
    assert.match(differences[1] ?? "", /^b \(b\): at \$\.code real 404 vs fake 400$/);
  });

  it("compares a known difference without its fields, and calls it stale once it no longer differs", () => {
    const real = [record("a", { message: "real words", reason: "NotFound" }), record("b", { v: 1 })];
    const fake = [record("a", { message: "fake words", reason: "NotFound" }), record("b", { v: 1 })];
    const known = {
      a: { reason: "wording", fields: ["body.message"] },
      b: { reason: "was different", fields: ["body.v"] },
    };
    const c = compare(real, fake, known);
    assert.deepEqual(c.differences, []);
    assert.deepEqual(c.stale, ["b: listed (was different) but no longer differs"]);
    const worse = compare(
      real,
      [record("a", { message: "fake words", reason: "Gone" }), record("b", { v: 2 })],
      known,
    );
    assert.equal(worse.differences.length, 1);
    assert.match(
      worse.differences[0] ?? "",
      /beyond body\.message: at \$\.body\.reason real "NotFound" vs fake "Gone"/,
    );
  });

  it("names a listed difference whose step does not exist", () => {
    assert.deepEqual(compare([], [], { nope: { reason: "r", fields: [] } }).stale, ["nope: names no step"]);
  });

  it("finds an array length difference at the first extra element", () => {
    assert.deepEqual(firstDifference([1, 2], [1, 2, 3]), { path: "$[2]", real: undefined, fake: 3 });
  });
});
