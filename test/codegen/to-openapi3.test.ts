import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GenerateError } from "../../codegen/errors.js";
import { toOpenApi3 } from "../../codegen/to-openapi3.js";
import { miniSpec } from "../helpers/mini-spec.js";

const convert = (doc = miniSpec()) => toOpenApi3(doc, "spec.json");
const thing = () => convert().components.schemas["io.k8s.api.core.v1.Thing"];

describe("Swagger 2.0 -> OpenAPI 3", () => {
  it("turns int-or-string into integer | string", () => {
    assert.deepEqual(thing()?.properties?.port, { anyOf: [{ type: "integer" }, { type: "string" }] });
  });

  it("turns Quantity into string | number, keeping its description", () => {
    const q = convert().components.schemas["io.k8s.apimachinery.pkg.api.resource.Quantity"];
    assert.deepEqual(q, { description: "Quantity", anyOf: [{ type: "string" }, { type: "number" }] });
  });

  it("makes Patch accept a JSON-patch array and a merge-patch object", () => {
    const p = convert().components.schemas["io.k8s.apimachinery.pkg.apis.meta.v1.Patch"];
    assert.deepEqual(
      p?.anyOf?.map((s) => s.type),
      ["array", "object"],
    );
  });

  it("keeps preserve-unknown-fields objects open", () => {
    assert.equal(thing()?.properties?.open?.additionalProperties, true);
  });

  it("gives apiVersion and kind literal types from x-kubernetes-group-version-kind, required", () => {
    const t = thing();
    assert.deepEqual(t?.properties?.kind?.enum, ["Thing"]);
    assert.deepEqual(t?.properties?.apiVersion?.enum, ["v1"]);
    assert.equal(t?.properties?.apiVersion?.description, "APIVersion");
    assert.deepEqual(t?.required, ["name", "apiVersion", "kind"]);
  });

  it("keeps a default without making the field required", () => {
    const t = thing();
    assert.equal(t?.properties?.protocol?.default, "TCP");
    assert.ok(!t?.required?.includes("protocol"));
  });

  it("rewrites $refs but not properties that are named $ref", () => {
    const props = convert().components.schemas["io.k8s.apiextensions.v1.JSONSchemaProps"]?.properties;
    assert.deepEqual(props?.$ref, { type: "string" });
    assert.deepEqual(props?.type, { type: "string" });
    assert.equal(props?.default?.$ref, "#/components/schemas/io.k8s.apimachinery.pkg.runtime.RawExtension");
  });

  it("moves body parameters into requestBody with each consumed media type", () => {
    const doc = convert();
    const post = doc.paths["/api/v1/namespaces/{namespace}/things"]?.post;
    assert.deepEqual(Object.keys(post?.requestBody?.content ?? {}), ["application/json"]);
    assert.equal(post?.requestBody?.required, true);
    const patch = doc.paths["/api/v1/namespaces/{namespace}/things/{name}"]?.patch;
    assert.deepEqual(Object.keys(patch?.requestBody?.content ?? {}), [
      "application/json-patch+json",
      "application/merge-patch+json",
    ]);
    assert.equal(patch?.parameters, undefined);
  });

  it("keeps shared non-body parameters as components.parameters references", () => {
    const doc = convert();
    assert.deepEqual(doc.paths["/api/v1/namespaces/{namespace}/things"]?.parameters, [
      { $ref: "#/components/parameters/namespace-xyz" },
    ]);
    assert.deepEqual(doc.components.parameters?.["namespace-xyz"], {
      name: "namespace",
      in: "path",
      required: true,
      schema: { type: "string" },
    });
  });

  it("names the JSON pointer of a $ref that resolves nowhere", () => {
    const doc = miniSpec();
    const defs = doc.definitions as Record<string, { properties: Record<string, unknown> }>;
    (defs["io.k8s.api.core.v1.Thing"] as { properties: Record<string, unknown> }).properties.bad = {
      $ref: "#/definitions/io.k8s.Missing",
    };
    assert.throws(
      () => convert(doc),
      (e: unknown) =>
        e instanceof GenerateError &&
        e.message ===
          "spec.json#/definitions/io.k8s.api.core.v1.Thing/properties/bad/$ref: $ref #/definitions/io.k8s.Missing resolves nowhere",
    );
  });

  it("names a missing shared parameter", () => {
    const doc = miniSpec();
    (doc.parameters as Record<string, unknown>)["namespace-xyz"] = undefined;
    delete (doc.parameters as Record<string, unknown>)["namespace-xyz"];
    assert.throws(
      () => convert(doc),
      /#\/paths\/~1api~1v1~1namespaces~1\{namespace\}~1things\/parameters\/0\/\$ref: \$ref #\/parameters\/namespace-xyz resolves nowhere/,
    );
  });

  it("rejects JSON that is neither Swagger 2.0 nor OpenAPI 3", () => {
    assert.throws(
      () => toOpenApi3({ swagger: "1.2" }, "x.json"),
      /x\.json: not a Swagger 2\.0 or OpenAPI 3 document \(swagger: "1\.2"\)/,
    );
    assert.throws(() => toOpenApi3({ hello: 1 }, "x.json"), /no swagger or openapi field/);
  });

  it("accepts OpenAPI 3 and applies the same Kubernetes fixes", () => {
    const doc = toOpenApi3(
      {
        openapi: "3.0.0",
        info: { title: "k", version: "v1.27.0" },
        paths: {},
        components: {
          schemas: {
            "io.k8s.X": { type: "object", properties: { p: { "x-kubernetes-int-or-string": true } } },
          },
        },
      },
      "v3.json",
    );
    assert.deepEqual(doc.components.schemas["io.k8s.X"]?.properties?.p, {
      "x-kubernetes-int-or-string": true,
      anyOf: [{ type: "integer" }, { type: "string" }],
    });
  });
});
