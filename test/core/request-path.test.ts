// The path builder alone, no server: each row is a request description and the path it
// becomes, or the field and problem it is refused for.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ResourceInfo } from "../../src/core/registry.js";
import { InvalidRequestError, queryString, type RequestSpec, requestPath } from "../../src/core/request.js";

const configmaps: ResourceInfo = {
  apiVersion: "v1",
  kind: "ConfigMap",
  plural: "configmaps",
  namespaced: true,
  verbs: ["get", "list", "watch", "create", "delete", "deletecollection"],
  paths: {
    collection: "/api/v1/namespaces/{namespace}/configmaps",
    item: "/api/v1/namespaces/{namespace}/configmaps/{name}",
    allNamespaces: "/api/v1/configmaps",
  },
  subresources: {},
};
const pods: ResourceInfo = {
  apiVersion: "v1",
  kind: "Pod",
  plural: "pods",
  namespaced: true,
  verbs: ["get"],
  paths: { item: "/api/v1/namespaces/{namespace}/pods/{name}" },
  subresources: {
    proxy: {
      apiVersion: "v1",
      kind: "Pod",
      verbs: ["get"],
      path: "/api/v1/namespaces/{namespace}/pods/{name}/proxy",
    },
    log: {
      apiVersion: "v1",
      kind: "Pod",
      verbs: ["get"],
      path: "/api/v1/namespaces/{namespace}/pods/{name}/log",
    },
  },
};
const namespaces: ResourceInfo = {
  apiVersion: "v1",
  kind: "Namespace",
  plural: "namespaces",
  namespaced: false,
  verbs: ["get", "list"],
  paths: { collection: "/api/v1/namespaces", item: "/api/v1/namespaces/{name}" },
  subresources: {},
};

type Row = [what: string, spec: Partial<RequestSpec>, expected: string];
const get = { verb: "get", target: "item", method: "GET" } as const;
const list = { verb: "list", target: "collection", method: "GET" } as const;

const paths: Row[] = [
  [
    "item in the default namespace",
    { ...get, resource: configmaps, name: "a" },
    "/api/v1/namespaces/dflt/configmaps/a",
  ],
  [
    "item in a given namespace",
    { ...get, resource: configmaps, name: "a", namespace: "x" },
    "/api/v1/namespaces/x/configmaps/a",
  ],
  [
    "collection in the default namespace",
    { ...list, resource: configmaps },
    "/api/v1/namespaces/dflt/configmaps",
  ],
  ["all namespaces", { ...list, resource: configmaps, allNamespaces: true }, "/api/v1/configmaps"],
  [
    "cluster-scoped item ignores namespaces",
    { ...get, resource: namespaces, name: "kube-system" },
    "/api/v1/namespaces/kube-system",
  ],
  ["cluster-scoped collection", { ...list, resource: namespaces }, "/api/v1/namespaces"],
  [
    "a name is encoded",
    { ...get, resource: configmaps, name: "a b:c" },
    "/api/v1/namespaces/dflt/configmaps/a%20b%3Ac",
  ],
  [
    "subresource",
    { ...get, resource: pods, name: "p", subresource: "log" },
    "/api/v1/namespaces/dflt/pods/p/log",
  ],
  [
    "proxy with a port",
    { ...get, resource: pods, name: "p", subresource: "proxy", port: 8080 },
    "/api/v1/namespaces/dflt/pods/p:8080/proxy",
  ],
  [
    "proxy with a scheme and a named port",
    { ...get, resource: pods, name: "p", subresource: "proxy", scheme: "https", port: "web" },
    "/api/v1/namespaces/dflt/pods/https:p:web/proxy",
  ],
  [
    "proxy with a scheme, default port",
    { ...get, resource: pods, name: "p", subresource: "proxy", scheme: "http" },
    "/api/v1/namespaces/dflt/pods/http:p:/proxy",
  ],
  [
    "proxy subpath, segments encoded",
    { ...get, resource: pods, name: "p", subresource: "proxy", subpath: "/a b/c%d" },
    "/api/v1/namespaces/dflt/pods/p/proxy/a%20b/c%25d",
  ],
  [
    "proxy subpath, dots resolved",
    { ...get, resource: pods, name: "p", subresource: "proxy", subpath: "a/./b/../c/" },
    "/api/v1/namespaces/dflt/pods/p/proxy/a/c/",
  ],
  [
    "proxy subpath keeps pchar as is",
    { ...get, resource: pods, name: "p", subresource: "proxy", subpath: "x:y@z=1" },
    "/api/v1/namespaces/dflt/pods/p/proxy/x:y@z=1",
  ],
];

type Refusal = [
  what: string,
  spec: Partial<RequestSpec>,
  field: InvalidRequestError["field"],
  problem: RegExp,
];
const refusals: Refusal[] = [
  ["empty name", { ...get, resource: configmaps, name: "" }, "name", /may not be empty/],
  ["missing name", { ...get, resource: configmaps }, "name", /must be a string/],
  ["name ..", { ...get, resource: configmaps, name: ".." }, "name", /may not be "\.\."/],
  ["name with /", { ...get, resource: configmaps, name: "a/b" }, "name", /may not contain "\/"/],
  ["name with %", { ...get, resource: configmaps, name: "a%2Fb" }, "name", /may not contain "%"/],
  [
    "namespace with /",
    { ...list, resource: configmaps, namespace: "a/b" },
    "namespace",
    /may not contain "\/"/,
  ],
  ["namespace .", { ...list, resource: configmaps, namespace: "." }, "namespace", /may not be "\."/],
  [
    "allNamespaces with a namespace",
    { ...list, resource: configmaps, allNamespaces: true, namespace: "x" },
    "allNamespaces",
    /cannot be combined with namespace "x"/,
  ],
  [
    "allNamespaces on an item",
    { ...get, resource: configmaps, name: "a", allNamespaces: true },
    "allNamespaces",
    /list and watch only/,
  ],
  [
    "allNamespaces on deletecollection",
    {
      verb: "deleteCollection",
      target: "collection",
      method: "DELETE",
      resource: configmaps,
      allNamespaces: true,
    },
    "allNamespaces",
    /list and watch only/,
  ],
  ["a path the resource lacks", { ...list, resource: pods }, "path", /is not a path of Pod/],
  [
    "an unknown subresource",
    { ...get, resource: pods, name: "p", subresource: "exec" },
    "path",
    /is not a path of Pod/,
  ],
  ["port 0", { ...get, resource: pods, name: "p", subresource: "proxy", port: 0 }, "port", /1-65535/],
  [
    "port name in capitals",
    { ...get, resource: pods, name: "p", subresource: "proxy", port: "Web" },
    "port",
    /port name/,
  ],
  [
    "a scheme other than http(s)",
    { ...get, resource: pods, name: "p", subresource: "proxy", scheme: "ftp" as "http" },
    "scheme",
    /"http" or "https"/,
  ],
  [
    "a : in the name with a port",
    { ...get, resource: pods, name: "a:b", subresource: "proxy", port: 80 },
    "name",
    /may not contain ":"/,
  ],
  [
    "a subpath that climbs out",
    { ...get, resource: pods, name: "p", subresource: "proxy", subpath: "../../secrets" },
    "path",
    /climbs out/,
  ],
  [
    "a subpath with a query",
    { ...get, resource: pods, name: "p", subresource: "proxy", subpath: "/a?b=1" },
    "path",
    /"\?" or "#"/,
  ],
  [
    "a subpath with a control character",
    { ...get, resource: pods, name: "p", subresource: "proxy", subpath: "/a\nb" },
    "path",
    /control characters/,
  ],
];

describe("requestPath: descriptions to paths, with no server", () => {
  for (const [what, spec, expected] of paths) {
    it(what, () => assert.equal(requestPath(spec as RequestSpec, "dflt"), expected));
  }
  for (const [what, spec, field, problem] of refusals) {
    it(`refuses ${what}`, () => {
      assert.throws(
        () => requestPath(spec as RequestSpec, "dflt"),
        (err: unknown) => {
          assert.ok(err instanceof InvalidRequestError, String(err));
          assert.equal(err.field, field);
          assert.match(err.message, problem);
          assert.match(err.message, /nothing was sent$/);
          return true;
        },
      );
    });
  }
  it("an unusable default namespace is refused as a given one is", () => {
    assert.throws(
      () => requestPath({ ...list, resource: configmaps } as RequestSpec, "a/b"),
      InvalidRequestError,
    );
  });
});

describe("queryString", () => {
  const rows: [Record<string, unknown> | undefined, string][] = [
    [undefined, ""],
    [{}, ""],
    [{ a: undefined, b: null }, ""],
    [{ limit: 5, watch: true }, "?limit=5&watch=true"],
    [{ labelSelector: "app in (a,b)" }, "?labelSelector=app+in+%28a%2Cb%29"],
    [{ container: ["a", "b"] }, "?container=a&container=b"],
  ];
  for (const [q, expected] of rows)
    it(`${JSON.stringify(q)} -> ${JSON.stringify(expected)}`, () => assert.equal(queryString(q), expected));
});
