// Merge shapes read from the real generated 1.36 schemas and from CRD-style schemas: what a
// merge (strategic merge patch, server-side apply) learns about each field.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { validators } from "../../generated/kubernetes-1.36/schemas.js";
import {
  type JsonSchemaNode,
  type Shape,
  shapeOfSchema,
  shapeResolver,
} from "../../src/testing/fake/shape.js";

const shapes = shapeResolver((name) => validators.definition(name) as JsonSchemaNode | undefined);

/** The shape at a path of field names; "[]" steps into a list's items. */
function at(shape: Shape, ...path: string[]): Shape {
  let s = shape;
  for (const step of path) {
    if (step === "[]") {
      assert.equal(s.kind, "list", `expected a list before ${step}`);
      if (s.kind === "list") s = s.items;
    } else {
      assert.equal(s.kind, "object", `expected an object before ${step}`);
      if (s.kind === "object") s = s.field(step);
    }
  }
  return s;
}

const podSpec = (root: Shape) => at(root, "spec", "template", "spec");

describe("shapeResolver on the generated schemas", () => {
  const deployment = shapes("io.k8s.api.apps.v1.Deployment");

  it("keys containers by name, for SSA and SMP alike", () => {
    const containers = at(podSpec(deployment), "containers");
    assert.deepEqual(
      { ...containers, items: undefined },
      {
        kind: "list",
        listType: "map",
        keys: ["name"],
        patchStrategy: "merge",
        patchMergeKey: "name",
        items: undefined,
      },
    );
  });

  it("keys container ports by containerPort and protocol for SSA, by containerPort for SMP", () => {
    const ports = at(podSpec(deployment), "containers", "[]", "ports");
    assert.equal(ports.kind, "list");
    if (ports.kind !== "list") return;
    assert.deepEqual(ports.keys, ["containerPort", "protocol"]);
    assert.equal(ports.patchMergeKey, "containerPort");
  });

  it("makes tolerations and args atomic lists", () => {
    const tolerations = at(podSpec(deployment), "tolerations");
    const args = at(podSpec(deployment), "containers", "[]", "args");
    assert.equal(tolerations.kind === "list" && tolerations.listType, "atomic");
    assert.equal(args.kind === "list" && args.listType, "atomic");
    assert.equal(tolerations.kind === "list" && tolerations.patchStrategy, undefined);
  });

  it("reads volumes' merge,retainKeys strategy", () => {
    const volumes = at(podSpec(deployment), "volumes");
    assert.equal(volumes.kind === "list" && volumes.patchStrategy, "merge,retainKeys");
  });

  it("carries a property's patch strategy onto the object it references (retainKeys, replace)", () => {
    const strategy = at(deployment, "spec", "strategy");
    assert.equal(strategy.kind, "object");
    assert.equal(strategy.kind === "object" && strategy.patchStrategy, "retainKeys");
    assert.equal(at(strategy, "rollingUpdate").kind, "object");
    const pdbSelector = at(shapes("io.k8s.api.policy.v1.PodDisruptionBudget"), "spec", "selector");
    assert.equal(pdbSelector.kind === "object" && pdbSelector.patchStrategy, "replace");
  });

  it("makes labels a granular map of scalars and LabelSelector an atomic map", () => {
    const labels = at(deployment, "metadata", "labels");
    assert.equal(labels.kind === "object" && labels.atomic, false);
    assert.equal(at(labels, "any-key").kind, "scalar");
    const selector = at(deployment, "spec", "selector");
    assert.equal(selector.kind === "object" && selector.atomic, true);
  });

  it("makes finalizers a set with strategy merge and ownerReferences a map keyed by uid", () => {
    const finalizers = at(deployment, "metadata", "finalizers");
    assert.equal(finalizers.kind === "list" && finalizers.listType, "set");
    assert.equal(finalizers.kind === "list" && finalizers.patchStrategy, "merge");
    const owners = at(deployment, "metadata", "ownerReferences");
    assert.deepEqual(owners.kind === "list" && [owners.listType, owners.keys, owners.patchMergeKey], [
      "map",
      ["uid"],
      "uid",
    ]);
  });

  it("treats int-or-string and quantities as scalars, RawExtension as untyped", () => {
    assert.equal(at(deployment, "spec", "strategy", "rollingUpdate", "maxSurge").kind, "scalar");
    assert.equal(at(podSpec(deployment), "containers", "[]", "resources", "limits", "cpu").kind, "scalar");
    assert.equal(shapes("io.k8s.apimachinery.pkg.runtime.RawExtension").kind, "untyped");
  });

  it("resolves the self-referencing JSONSchemaProps without looping, and memoises by name", () => {
    const props = shapes("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps");
    const deep = at(props, "properties", "a", "properties", "b", "allOf", "[]", "properties", "c");
    assert.equal(deep.kind, "object");
    assert.equal(shapes("io.k8s.apiextensions-apiserver.pkg.apis.apiextensions.v1.JSONSchemaProps"), props);
  });

  it("answers an unknown definition or field as untyped", () => {
    assert.equal(shapes("io.example.Nothing").kind, "untyped");
    assert.equal(at(deployment, "spec", "noSuchField").kind, "untyped");
  });

  it("follows allOf:[{$ref}] wrappers and keeps the wrapper's extensions", () => {
    const defs: Record<string, JsonSchemaNode> = {
      Root: {
        type: "object",
        properties: {
          items: {
            allOf: [{ $ref: "#/$defs/ItemList" }],
            "x-kubernetes-patch-strategy": "merge",
            "x-kubernetes-patch-merge-key": "id",
          },
        },
      },
      ItemList: { type: "array", items: { $ref: "#/$defs/Item" } },
      Item: { type: "object", properties: { id: { type: "string" } } },
    };
    const root = shapeResolver((n) => defs[n])("Root");
    const items = at(root, "items");
    assert.equal(items.kind, "list");
    if (items.kind !== "list") return;
    // No list-type: schemaconv's fallback makes a merge list with a key a map keyed by it.
    assert.deepEqual([items.listType, items.keys, items.patchMergeKey], ["map", ["id"], "id"]);
    assert.equal(at(items.items, "id").kind, "scalar");
  });

  it("makes a merge list of scalars without list-type a set, and one without strategy atomic", () => {
    const defs: Record<string, JsonSchemaNode> = {
      Root: {
        type: "object",
        properties: {
          tags: { type: "array", items: { type: "string" }, "x-kubernetes-patch-strategy": "merge" },
          plain: { type: "array", items: { type: "string" } },
        },
      },
    };
    const root = shapeResolver((n) => defs[n])("Root");
    const tags = at(root, "tags");
    assert.equal(tags.kind === "list" && tags.listType, "set");
    const plain = at(root, "plain");
    assert.equal(plain.kind === "list" && plain.listType, "atomic");
  });
});

describe("shapeOfSchema on a CRD's openAPIV3Schema", () => {
  const objectMeta = shapes("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta");
  const schema: JsonSchemaNode = {
    type: "object",
    properties: {
      apiVersion: { type: "string" },
      kind: { type: "string" },
      metadata: { type: "object" },
      spec: {
        type: "object",
        properties: {
          port: { "x-kubernetes-int-or-string": true },
          servers: {
            type: "array",
            "x-kubernetes-list-type": "map",
            "x-kubernetes-list-map-keys": ["name"],
            items: { type: "object", properties: { name: { type: "string" } } },
          },
          hosts: { type: "array", items: { type: "string" } },
          config: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          template: {
            type: "object",
            "x-kubernetes-embedded-resource": true,
            "x-kubernetes-preserve-unknown-fields": true,
          },
          settings: {
            type: "object",
            additionalProperties: { type: "string" },
            "x-kubernetes-map-type": "atomic",
          },
        },
      },
    },
  };

  it("reads list types, int-or-string, preserve-unknown-fields and map types", () => {
    const root = shapeOfSchema(schema);
    assert.equal(at(root, "spec", "port").kind, "scalar");
    const servers = at(root, "spec", "servers");
    assert.deepEqual(servers.kind === "list" && [servers.listType, servers.keys], ["map", ["name"]]);
    const hosts = at(root, "spec", "hosts");
    assert.equal(hosts.kind === "list" && hosts.listType, "atomic");
    assert.equal(at(root, "spec", "config").kind, "untyped");
    const settings = at(root, "spec", "settings");
    assert.equal(settings.kind === "object" && settings.atomic, true);
  });

  it("leaves metadata untyped without an ObjectMeta shape", () => {
    assert.equal(at(shapeOfSchema(schema), "metadata").kind, "untyped");
  });

  it("merges a custom resource's metadata as ObjectMeta, at the root and in embedded resources", () => {
    const root = shapeOfSchema(schema, objectMeta);
    assert.equal(at(root, "metadata"), objectMeta);
    const finalizers = at(root, "metadata", "finalizers");
    assert.equal(finalizers.kind === "list" && finalizers.listType, "set");
    const owners = at(root, "metadata", "ownerReferences");
    assert.deepEqual(owners.kind === "list" && owners.keys, ["uid"]);
    assert.equal(at(root, "spec", "template", "metadata"), objectMeta);
    assert.equal(at(root, "spec", "template", "spec").kind, "untyped");
  });

  it("gives a fully preserve-unknown-fields root ObjectMeta under metadata", () => {
    const root = shapeOfSchema({ type: "object", "x-kubernetes-preserve-unknown-fields": true }, objectMeta);
    assert.equal(at(root, "metadata"), objectMeta);
    assert.equal(at(root, "spec").kind, "untyped");
  });
});
