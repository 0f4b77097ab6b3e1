import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createSchemaValidator, createValidators } from "../../src/schemas/index.js";

const defs = {
  Time: { type: "string", format: "date-time", nullable: true },
  Meta: {
    type: "object",
    properties: { name: { type: "string" }, creationTimestamp: { $ref: "#/$defs/Time" } },
  },
  Role: {
    type: "object",
    properties: {
      metadata: { $ref: "#/$defs/Meta" },
      rules: { type: "array", items: { type: "string" } },
      name: { type: "string" },
    },
    required: ["name"],
  },
};
const validators = createValidators<Record<keyof typeof defs, unknown>>(JSON.stringify(defs));

describe("validators: null on the wire", () => {
  it("accepts null for an optional field, as the API server's decoder reads it as absent", () => {
    assert.equal(validators.validate("Role", { name: "r", rules: null }).success, true);
  });

  it("rejects null for a required field that is not nullable, naming the field", () => {
    const r = validators.validate("Role", { name: null });
    assert.equal(r.success, false);
    assert.deepEqual(r.success ? [] : r.issues.map((i) => i.path), ["name"]);
  });

  it("accepts null for a required list or map (Go's nil slice: CSINode spec.drivers), not a required string", () => {
    const v = createSchemaValidator({
      type: "object",
      properties: {
        drivers: { type: "array", items: { type: "string" } },
        labels: { type: "object", additionalProperties: { type: "string" } },
        name: { type: "string" },
      },
      required: ["drivers", "labels", "name"],
    });
    assert.equal(v({ drivers: null, labels: null, name: "n" }).success, true);
    assert.equal(v({ drivers: [], labels: {}, name: null }).success, false);
  });

  it("accepts null in a nullable definition such as Time, also where the field is required", () => {
    const v = createSchemaValidator({
      type: "object",
      properties: { t: { type: "string", nullable: true } },
      required: ["t"],
    });
    assert.equal(v({ t: null }).success, true);
    assert.equal(v({ t: 1 }).success, false);
    assert.equal(validators.validate("Meta", { creationTimestamp: null }).success, true);
  });

  it("keeps the field path of an issue inside a field that may be null", () => {
    const r = validators.validate("Role", { name: "r", metadata: { name: 5 } });
    assert.equal(r.success, false);
    assert.deepEqual(r.success ? [] : r.issues.map((i) => i.path), ["metadata.name"]);
  });
});

describe("validators: own properties only", () => {
  const v = createSchemaValidator({
    type: "object",
    properties: {
      spec: {
        type: "object",
        properties: {
          constructor: { type: "string" },
          toString: { type: "string" },
          valueOf: { type: "integer" },
        },
      },
    },
  });

  it("does not read constructor, toString or valueOf from Object.prototype when they are absent", () => {
    const r = v({ spec: {} });
    assert.deepEqual(r, { success: true, data: { spec: {} } });
  });

  it("still checks such fields when they are present", () => {
    const r = v({ spec: { constructor: 1 } });
    assert.equal(r.success, false);
    assert.deepEqual(r.success ? [] : r.issues.map((i) => i.path), ["spec.constructor"]);
  });

  it("hands back plain objects, with a __proto__ key kept as data", () => {
    const r = v(JSON.parse('{"spec":{"toString":"x"},"__proto__":{"polluted":true}}'));
    assert.equal(r.success, true);
    const data = r.success ? (r.data as Record<string, unknown>) : {};
    assert.equal(Object.getPrototypeOf(data), Object.prototype);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});
