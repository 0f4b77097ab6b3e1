import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { GenerateError } from "../../codegen/errors.js";
import { buildRegistryModel, groupKey, parseResourcePath } from "../../codegen/registry-model.js";
import { toOpenApi3 } from "../../codegen/to-openapi3.js";
import { miniSpec } from "../helpers/mini-spec.js";

describe("group keys", () => {
  const cases: [string, string][] = [
    ["", "core"],
    ["apps", "apps"],
    ["rbac.authorization.k8s.io", "rbacAuthorization"],
    ["stable.example.com", "stableExampleCom"],
    ["flowcontrol.apiserver.k8s.io", "flowcontrolApiserver"],
    ["cert-manager.io", "certManagerIo"],
    ["acme.cert-manager.io", "acmeCertManagerIo"],
  ];
  for (const [group, key] of cases) {
    it(`maps "${group}" to ${key}`, () => assert.equal(groupKey(group), key));
  }
});

describe("resource paths", () => {
  it("reads a namespaced item path", () => {
    assert.deepEqual(parseResourcePath("/apis/apps/v1/namespaces/{namespace}/deployments/{name}"), {
      group: "apps",
      version: "v1",
      namespaced: true,
      plural: "deployments",
      shape: "item",
      watchPath: false,
    });
  });
  it("does not take a namespace's own {name} for a namespace prefix", () => {
    assert.deepEqual(parseResourcePath("/api/v1/namespaces/{name}/status"), {
      group: "",
      version: "v1",
      namespaced: false,
      plural: "namespaces",
      shape: "sub",
      subresource: "status",
      watchPath: false,
    });
  });
  it("ignores discovery and non-resource paths", () => {
    for (const p of [
      "/api/",
      "/apis/apps/v1/",
      "/version/",
      "/apis/",
      "/.well-known/openid-configuration/",
    ]) {
      assert.equal(parseResourcePath(p), undefined, p);
    }
  });
});

describe("registry model", () => {
  const model = buildRegistryModel(toOpenApi3(miniSpec(), "spec.json"), "spec.json");
  const thing = model.groups.core?.v1?.things;

  it("collects kind, scope, verbs and paths of a resource", () => {
    assert.equal(thing?.kind, "Thing");
    assert.equal(thing?.namespaced, true);
    assert.deepEqual(thing?.verbs, ["create", "get", "list", "patch", "watch"]);
    assert.deepEqual(thing?.paths, {
      collection: "/api/v1/namespaces/{namespace}/things",
      item: "/api/v1/namespaces/{namespace}/things/{name}",
      allNamespaces: "/api/v1/things",
    });
    assert.equal(thing?.schema, "io.k8s.api.core.v1.Thing");
    assert.equal(thing?.listSchema, "io.k8s.api.core.v1.ThingList");
    assert.equal(thing?.listKind, "ThingList");
  });

  it("records subresources with their own verbs", () => {
    assert.deepEqual(thing?.subresources, {
      status: {
        apiVersion: "v1",
        kind: "Thing",
        verbs: ["get"],
        path: "/api/v1/namespaces/{namespace}/things/{name}/status",
        schema: "io.k8s.api.core.v1.Thing",
      },
    });
  });

  it("fails loudly when two API groups map to one client key", () => {
    const doc = toOpenApi3(miniSpec(), "spec.json");
    const op = doc.paths["/api/v1/namespaces/{namespace}/things"]?.get;
    doc.paths["/apis/foo.bar/v1/widgets"] = {
      get: { ...op, "x-kubernetes-group-version-kind": { group: "foo.bar", version: "v1", kind: "W" } },
    };
    doc.paths["/apis/foo-bar/v1/gadgets"] = {
      get: { ...op, "x-kubernetes-group-version-kind": { group: "foo-bar", version: "v1", kind: "G" } },
    };
    assert.throws(
      () => buildRegistryModel(doc, "spec.json"),
      (e: unknown) =>
        e instanceof GenerateError &&
        /API groups "foo-bar" and "foo.bar" both map to client key "fooBar"/.test(e.message),
    );
  });

  it("refuses a group whose key is a reserved client member", () => {
    const doc = toOpenApi3(miniSpec(), "spec.json");
    const op = doc.paths["/api/v1/namespaces/{namespace}/things"]?.get;
    doc.paths["/apis/raw.k8s.io/v1/widgets"] = {
      get: { ...op, "x-kubernetes-group-version-kind": { group: "raw.k8s.io", version: "v1", kind: "W" } },
    };
    assert.throws(() => buildRegistryModel(doc, "spec.json"), /client key "raw", which the client reserves/);
  });
});

describe("a subresource's kind", () => {
  // What a live 1.37 server publishes for a CRD's scale subresource: its operations carry the
  // CRD's own kind, their answer is autoscaling/v1 Scale (what discovery's responseKind says).
  const gvk = { group: "x.example", version: "v1", kind: "Widget" };
  const answer = (ref: string) => ({
    "200": { description: "OK", content: { "application/json": { schema: { $ref: ref } } } },
  });
  const op = (action: string, ref: string) => ({
    "x-kubernetes-action": action,
    "x-kubernetes-group-version-kind": gvk,
    responses: answer(ref),
  });
  const item = "/apis/x.example/v1/namespaces/{namespace}/widgets/{name}";
  const doc = {
    openapi: "3.0.0",
    info: { title: "t", version: "v" },
    paths: {
      [item]: { get: op("get", "#/components/schemas/example.x.v1.Widget") },
      [`${item}/scale`]: {
        get: op("get", "#/components/schemas/io.k8s.api.autoscaling.v1.Scale"),
        put: op("put", "#/components/schemas/io.k8s.api.autoscaling.v1.Scale"),
      },
      [`${item}/status`]: { get: op("get", "#/components/schemas/example.x.v1.Widget") },
    },
    components: {
      schemas: {
        "example.x.v1.Widget": { type: "object", "x-kubernetes-group-version-kind": [gvk] },
        "io.k8s.api.autoscaling.v1.Scale": {
          type: "object",
          "x-kubernetes-group-version-kind": [{ group: "autoscaling", version: "v1", kind: "Scale" }],
        },
      },
    },
  };
  const subs = buildRegistryModel(doc, "doc").groups.xExample?.v1?.widgets?.subresources;

  it("is what its GET answers, not the label on its operations", () => {
    assert.equal(subs?.scale?.apiVersion, "autoscaling/v1");
    assert.equal(subs?.scale?.kind, "Scale");
  });
  it("stays the resource's own where the answer is that", () => {
    assert.equal(subs?.status?.apiVersion, "x.example/v1");
    assert.equal(subs?.status?.kind, "Widget");
  });
});
