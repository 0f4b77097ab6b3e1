// Merge shapes written by hand for the apply tests, standing in for the ones the generated JSON
// Schemas give: the x-kubernetes-* markers of apps/v1 Deployment and v1 ConfigMap that the tests
// touch, and nothing else (unlisted fields are scalars, unlisted map keys untyped).
import type { Shape } from "../../src/testing/fake/shape.js";

export const scalar: Shape = { kind: "scalar" };
export const untyped: Shape = { kind: "untyped" };

/** A struct: named fields with their shapes; anything else is a scalar field. */
export function struct(fields: Record<string, Shape>, options: { atomic?: boolean } = {}): Shape {
  return {
    kind: "object",
    atomic: options.atomic ?? false,
    field: (name) => fields[name] ?? scalar,
    named: () => true,
  };
}

/** A map with arbitrary keys (additionalProperties), each value of `values`' shape. */
export function map(values: Shape = scalar, options: { atomic?: boolean } = {}): Shape {
  return { kind: "object", atomic: options.atomic ?? false, field: () => values, named: () => false };
}

/** x-kubernetes-list-type: map, keyed by `keys`. */
export function keyedList(keys: string[], items: Shape, keyDefaults?: Record<string, unknown>): Shape {
  return { kind: "list", listType: "map", keys, items, ...(keyDefaults && { keyDefaults }) };
}

/** x-kubernetes-list-type: set. */
export const setList: Shape = { kind: "list", listType: "set", keys: [], items: scalar };

/** x-kubernetes-list-type: atomic (the default). */
export const atomicList: Shape = { kind: "list", listType: "atomic", keys: [], items: scalar };

const objectMeta = struct({
  labels: map(),
  annotations: map(),
  finalizers: setList,
  ownerReferences: keyedList(["uid"], struct({})),
});

const container = struct({
  ports: keyedList(["containerPort", "protocol"], struct({}), { protocol: "TCP" }),
  env: keyedList(["name"], struct({ valueFrom: struct({}) })),
  args: atomicList,
  command: atomicList,
  resources: struct({ limits: map(), requests: map() }),
});

/** apps/v1 Deployment, as far as the tests go. */
export const deployment: Shape = struct({
  metadata: objectMeta,
  spec: struct({
    selector: struct({ matchLabels: map() }, { atomic: true }),
    strategy: struct({ rollingUpdate: struct({}) }),
    template: struct({
      metadata: objectMeta,
      spec: struct({ containers: keyedList(["name"], container), tolerations: atomicList }),
    }),
  }),
  status: struct({ conditions: keyedList(["type"], struct({})) }),
});

/** v1 ConfigMap. */
export const configMap: Shape = struct({ metadata: objectMeta, data: map(), binaryData: map() });

/** A CRD kind whose spec preserves unknown fields. */
export const preserved: Shape = struct({ metadata: objectMeta, spec: untyped });
