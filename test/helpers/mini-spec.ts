/** A small Swagger 2.0 document shaped like Kubernetes', for focused converter tests. */
export function miniSpec(): Record<string, unknown> {
  const gvk = (kind: string) => [{ group: "", version: "v1", kind }];
  return {
    swagger: "2.0",
    info: { title: "Kubernetes", version: "v1.30.1" },
    parameters: {
      "body-abc": {
        in: "body",
        name: "body",
        required: true,
        schema: { $ref: "#/definitions/io.k8s.api.core.v1.Thing" },
      },
      "namespace-xyz": { in: "path", name: "namespace", required: true, type: "string", uniqueItems: true },
      "watch-qqq": { in: "query", name: "watch", type: "boolean", uniqueItems: true },
    },
    definitions: {
      "io.k8s.api.core.v1.Thing": {
        type: "object",
        "x-kubernetes-group-version-kind": gvk("Thing"),
        properties: {
          apiVersion: { type: "string", description: "APIVersion" },
          kind: { type: "string" },
          port: { type: "string", format: "int-or-string" },
          size: { $ref: "#/definitions/io.k8s.apimachinery.pkg.api.resource.Quantity" },
          raw: { $ref: "#/definitions/io.k8s.apimachinery.pkg.runtime.RawExtension" },
          open: { type: "object", "x-kubernetes-preserve-unknown-fields": true },
          protocol: { type: "string", default: "TCP", enum: ["TCP", "UDP"] },
          name: { type: "string" },
        },
        required: ["name"],
      },
      "io.k8s.api.core.v1.ThingList": {
        type: "object",
        "x-kubernetes-group-version-kind": gvk("ThingList"),
        properties: {
          apiVersion: { type: "string" },
          kind: { type: "string" },
          items: { type: "array", items: { $ref: "#/definitions/io.k8s.api.core.v1.Thing" } },
        },
        required: ["items"],
      },
      "io.k8s.apimachinery.pkg.api.resource.Quantity": { type: "string", description: "Quantity" },
      "io.k8s.apimachinery.pkg.runtime.RawExtension": { type: "object" },
      "io.k8s.apimachinery.pkg.apis.meta.v1.Patch": { type: "object" },
      // JSONSchemaProps has properties literally named $ref, type and default.
      "io.k8s.apiextensions.v1.JSONSchemaProps": {
        type: "object",
        properties: {
          $ref: { type: "string" },
          type: { type: "string" },
          default: { $ref: "#/definitions/io.k8s.apimachinery.pkg.runtime.RawExtension" },
        },
      },
    },
    paths: {
      "/api/v1/namespaces/{namespace}/things": {
        parameters: [{ $ref: "#/parameters/namespace-xyz" }],
        get: {
          operationId: "listThings",
          parameters: [{ $ref: "#/parameters/watch-qqq" }],
          responses: {
            "200": { description: "OK", schema: { $ref: "#/definitions/io.k8s.api.core.v1.ThingList" } },
          },
          "x-kubernetes-action": "list",
          "x-kubernetes-group-version-kind": gvk("Thing")[0],
        },
        post: {
          operationId: "createThing",
          consumes: ["*/*"],
          parameters: [{ $ref: "#/parameters/body-abc" }],
          responses: {
            "201": { description: "Created", schema: { $ref: "#/definitions/io.k8s.api.core.v1.Thing" } },
          },
          "x-kubernetes-action": "post",
          "x-kubernetes-group-version-kind": gvk("Thing")[0],
        },
      },
      "/api/v1/namespaces/{namespace}/things/{name}": {
        parameters: [
          { $ref: "#/parameters/namespace-xyz" },
          { in: "path", name: "name", type: "string", required: true },
        ],
        get: {
          operationId: "readThing",
          responses: {
            "200": { description: "OK", schema: { $ref: "#/definitions/io.k8s.api.core.v1.Thing" } },
          },
          "x-kubernetes-action": "get",
          "x-kubernetes-group-version-kind": gvk("Thing")[0],
        },
        patch: {
          operationId: "patchThing",
          consumes: ["application/json-patch+json", "application/merge-patch+json"],
          parameters: [
            {
              in: "body",
              name: "body",
              required: true,
              schema: { $ref: "#/definitions/io.k8s.apimachinery.pkg.apis.meta.v1.Patch" },
            },
          ],
          responses: {
            "200": { description: "OK", schema: { $ref: "#/definitions/io.k8s.api.core.v1.Thing" } },
          },
          "x-kubernetes-action": "patch",
          "x-kubernetes-group-version-kind": gvk("Thing")[0],
        },
      },
      "/api/v1/namespaces/{namespace}/things/{name}/status": {
        parameters: [
          { $ref: "#/parameters/namespace-xyz" },
          { in: "path", name: "name", type: "string", required: true },
        ],
        get: {
          operationId: "readThingStatus",
          responses: {
            "200": { description: "OK", schema: { $ref: "#/definitions/io.k8s.api.core.v1.Thing" } },
          },
          "x-kubernetes-action": "get",
          "x-kubernetes-group-version-kind": gvk("Thing")[0],
        },
      },
      "/api/v1/things": {
        get: {
          operationId: "listThingsAll",
          responses: {
            "200": { description: "OK", schema: { $ref: "#/definitions/io.k8s.api.core.v1.ThingList" } },
          },
          "x-kubernetes-action": "list",
          "x-kubernetes-group-version-kind": gvk("Thing")[0],
        },
      },
    },
  };
}
