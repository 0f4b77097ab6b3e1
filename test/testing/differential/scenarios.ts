// The differential suite's scenarios: requests played, in order, against the real test
// apiserver and against the fake (createFakeCluster), whose normalised answers must be equal.
// Every step's expectStatus is what the REAL server answers (the suite checks it there first),
// so a scenario states a fact about the apiserver, not a guess. Objects are kept apart from what
// the cluster's controllers add to a namespace (kube-root-ca.crt, the default ServiceAccount) by
// label selectors or by the suite's own CRD (test/fixtures/differential/widgets.yaml).

import { readFileSync } from "node:fs";
import { parse } from "yaml";
import type { HttpStep, KnownDifference, Raw, Step } from "./run.js";

/** The suite's CRD, as its fixture holds it. */
export const WIDGET_CRD = parse(
  readFileSync(new URL("../../fixtures/differential/widgets.yaml", import.meta.url), "utf8"),
) as { metadata: { name: string } };

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const NSS = "/api/v1/namespaces";
const NS = "/api/v1/namespaces/{ns}";
const CMS = `${NS}/configmaps`;
const PTS = `${NS}/podtemplates`;
const DEPLOYS = "/apis/apps/v1/namespaces/{ns}/deployments";
const WS = "/apis/diff.kubefetch.dev/v1/namespaces/{ns}/widgets";

const MERGE = "application/merge-patch+json";
const JSONPATCH = "application/json-patch+json";
const SMP = "application/strategic-merge-patch+json";
const APPLY = "application/apply-patch+yaml";

type Body = Record<string, unknown>;
const obj = (b: unknown) => (b ?? {}) as Body;
const meta = (b: unknown) => obj(obj(b).metadata);

/** A ConfigMap body. */
function cm(
  name: string,
  labels: Record<string, string> = {},
  data?: Record<string, string>,
  extra: Body = {},
): Body {
  const { metadata, ...rest } = extra;
  return {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name, labels: { suite: "diff", ...labels }, ...obj(metadata) },
    ...(data ? { data } : {}),
    ...rest,
  };
}

/** A Widget body. */
function widget(name: string, spec: Body, extra: Body = {}): Body {
  const { metadata, ...rest } = extra;
  return {
    apiVersion: "diff.kubefetch.dev/v1",
    kind: "Widget",
    metadata: { name, labels: { suite: "diff" }, ...obj(metadata) },
    spec,
    ...rest,
  };
}

const post = (
  id: string,
  what: string,
  path: string,
  body: unknown,
  expectStatus = 201,
  more: Partial<HttpStep> = {},
): HttpStep => ({
  id,
  what,
  method: "POST",
  path,
  body,
  expectStatus,
  ...more,
});
const get = (
  id: string,
  what: string,
  path: string,
  expectStatus = 200,
  more: Partial<HttpStep> = {},
): HttpStep => ({
  id,
  what,
  method: "GET",
  path,
  expectStatus,
  ...more,
});
const list = (
  id: string,
  what: string,
  path: string,
  query: Record<string, string>,
  expectStatus = 200,
): HttpStep => ({
  id,
  what,
  method: "GET",
  path,
  query,
  expectStatus,
});
const put = (
  id: string,
  what: string,
  path: string,
  body: unknown,
  expectStatus = 200,
  more: Partial<HttpStep> = {},
): HttpStep => ({
  id,
  what,
  method: "PUT",
  path,
  body,
  expectStatus,
  ...more,
});
const patch = (
  id: string,
  what: string,
  path: string,
  contentType: string,
  body: unknown,
  expectStatus = 200,
  more: Partial<HttpStep> = {},
): HttpStep => ({ id, what, method: "PATCH", path, contentType, body, expectStatus, ...more });
const del = (
  id: string,
  what: string,
  path: string,
  expectStatus = 200,
  more: Partial<HttpStep> = {},
): HttpStep => ({
  id,
  what,
  method: "DELETE",
  path,
  expectStatus,
  ...more,
});
const apply = (
  id: string,
  what: string,
  path: string,
  manager: string | undefined,
  body: unknown,
  expectStatus = 200,
  query: Record<string, string> = {},
): HttpStep =>
  patch(id, what, path, APPLY, body, expectStatus, {
    query: manager ? { fieldManager: manager, ...query } : query,
  });

const gone = (r: Raw) => r.code === 404;

/** A PodTemplate's containers as the fake must hold them: name, image, env (the real server adds defaults). */
function podTemplateView(b: unknown): unknown {
  const m = meta(b);
  const spec = obj(obj(obj(b).template).spec);
  const containers = (spec.containers as Body[] | undefined) ?? [];
  return {
    kind: obj(b).kind,
    metadata: { name: m.name, namespace: m.namespace, resourceVersion: m.resourceVersion },
    containers: containers.map((c) => ({ name: c.name, image: c.image, ...(c.env ? { env: c.env } : {}) })),
  };
}

/** A Deployment's generation and containers' name and image (its controller writes status meanwhile). */
function deploymentView(b: unknown): unknown {
  const m = meta(b);
  const spec = obj(obj(obj(obj(b).spec).template).spec);
  const containers = (spec.containers as Body[] | undefined) ?? [];
  return {
    kind: obj(b).kind,
    metadata: { name: m.name, generation: m.generation },
    replicas: obj(obj(b).spec).replicas,
    containers: containers.map((c) => ({ name: c.name, image: c.image, ...(c.env ? { env: c.env } : {}) })),
  };
}

function podTemplate(name: string, containers: Body[]): Body {
  return {
    apiVersion: "v1",
    kind: "PodTemplate",
    metadata: { name, labels: { suite: "diff" } },
    template: { metadata: { labels: { app: name } }, spec: { containers } },
  };
}

function deployment(name: string): Body {
  return {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name, labels: { suite: "diff" } },
    spec: {
      replicas: 0,
      selector: { matchLabels: { app: name } },
      template: {
        metadata: { labels: { app: name } },
        spec: { containers: [{ name: "web", image: "web:1", env: [{ name: "A", value: "1" }] }] },
      },
    },
  };
}

const ownedBy = (owner: string, block?: boolean) => ({
  metadata: {
    ownerReferences: [
      {
        apiVersion: "v1",
        kind: "ConfigMap",
        name: owner,
        uid: `{uid:${owner}}`,
        ...(block ? { blockOwnerDeletion: true } : {}),
      },
    ],
  },
});

const namespaceAndCrd: Step[] = [
  post("ns", "a namespace: label kubernetes.io/metadata.name, finalizer kubernetes, phase Active", NSS, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "{ns}", labels: { suite: "diff" } },
  }),
  get("ns-get", "get the namespace", NS),
  post("crd", "create the Widget CRD through the API", CRDS, WIDGET_CRD),
  get(
    "crd-established",
    "the CRD becomes Established (names accepted)",
    `${CRDS}/${WIDGET_CRD.metadata.name}`,
    200,
    {
      until: {
        what: "condition Established True",
        holds: (r) =>
          (obj(obj(r.body).status).conditions as Body[] | undefined)?.some(
            (c) => c.type === "Established" && c.status === "True",
          ) ?? false,
      },
    },
  ),
  get("widgets-served", "the CRD's resource is served: an empty WidgetList", WS, 200, {
    until: { what: "widgets answer 200", holds: (r) => r.code === 200 },
  }),
];

const metadata: Step[] = [
  post(
    "cm-create",
    "create: uid, resourceVersion, creationTimestamp, namespace defaulted from the path, managedFields",
    CMS,
    cm("a", {}, { k: "v" }),
  ),
  get("cm-get", "get answers the stored object", `${CMS}/a`),
  post(
    "cm-ns-explicit",
    "create with metadata.namespace equal to the path's",
    CMS,
    cm("b", {}, { k: "v" }, { metadata: { namespace: "{ns}" } }),
  ),
  post(
    "cm-ns-mismatch",
    "create whose metadata.namespace differs from the path's: 400",
    CMS,
    cm("c", {}, {}, { metadata: { namespace: "default" } }),
    400,
  ),
  post("cm-generate-name", "generateName: a random suffix", CMS, {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { generateName: "gen-", labels: { suite: "diff" } },
  }),
  get("cm-generate-name-get", "get the generated name", `${CMS}/{name:cm-generate-name}`),
  post(
    "cm-no-name",
    "create with neither name nor generateName: 422",
    CMS,
    { apiVersion: "v1", kind: "ConfigMap", metadata: {} },
    422,
  ),
  post(
    "cm-ns-missing",
    "NamespaceLifecycle: create in a namespace that does not exist: 404",
    `${NSS}/{ns}-missing/configmaps`,
    cm("a"),
    404,
  ),
  post("ns-doomed", "a second namespace", NSS, {
    apiVersion: "v1",
    kind: "Namespace",
    metadata: { name: "{ns}-doomed", labels: { suite: "diff" } },
  }),
  del(
    "ns-doomed-delete",
    "delete a namespace: it answers the Namespace, Terminating, with deletionTimestamp",
    `${NSS}/{ns}-doomed`,
  ),
  post(
    "cm-ns-terminating",
    "NamespaceLifecycle: create in a terminating namespace: 403",
    `${NSS}/{ns}-doomed/configmaps`,
    cm("a"),
    403,
  ),
  post("cm-exists", "create an existing name: 409 AlreadyExists", CMS, cm("a"), 409),
  get("cm-get-missing", "get a missing name: 404 NotFound", `${CMS}/nope`, 404),
  del("cm-delete-missing", "delete a missing name: 404 NotFound", `${CMS}/nope`, 404),
  put(
    "cm-update",
    "update with the current resourceVersion: a new resourceVersion",
    `${CMS}/a`,
    cm("a", {}, { k: "v2" }, { metadata: { resourceVersion: "{rv:cm-create}" } }),
  ),
  put(
    "cm-update-stale",
    "update with a stale resourceVersion: 409 Conflict",
    `${CMS}/a`,
    cm("a", {}, { k: "v3" }, { metadata: { resourceVersion: "{rv:cm-create}" } }),
    409,
  ),
  put(
    "cm-update-noop",
    "an update that changes nothing keeps the resourceVersion",
    `${CMS}/a`,
    cm("a", {}, { k: "v2" }, { metadata: { resourceVersion: "{rv:cm-update}" } }),
  ),
  put(
    "cm-update-unconditional",
    "update without a resourceVersion: unconditional",
    `${CMS}/a`,
    cm("a", {}, { k: "v4" }),
  ),
  put(
    "cm-update-missing",
    "update of a missing ConfigMap: 404 (no create on update)",
    `${CMS}/nope`,
    cm("nope"),
    404,
  ),
  put("cm-update-name-mismatch", "update whose body names another object: 400", `${CMS}/a`, cm("b"), 400),
  put(
    "cm-update-uid-change",
    "update that changes metadata.uid: 409 precondition",
    `${CMS}/a`,
    cm("a", {}, { k: "v5" }, { metadata: { uid: "00000000-0000-0000-0000-000000000000" } }),
    409,
  ),
  del("cm-delete-uid-precondition", "delete with a wrong uid precondition: 409", `${CMS}/a`, 409, {
    body: {
      kind: "DeleteOptions",
      apiVersion: "v1",
      preconditions: { uid: "11111111-1111-1111-1111-111111111111" },
    },
  }),
  del("cm-delete-rv-precondition", "delete with a stale resourceVersion precondition: 409", `${CMS}/a`, 409, {
    body: { kind: "DeleteOptions", apiVersion: "v1", preconditions: { resourceVersion: "{rv:cm-create}" } },
  }),
  del("cm-delete", "delete a ConfigMap: a Status Success with details", `${CMS}/a`),
  get("cm-get-deleted", "get after delete: 404", `${CMS}/a`, 404),
];

const widgets: Step[] = [
  post(
    "w-create",
    "create a custom object: generation 1",
    WS,
    widget("w1", { color: "red", replicas: 1, ports: [{ name: "http", port: 80 }] }),
  ),
  put(
    "w-update-spec",
    "a spec change bumps generation",
    `${WS}/w1`,
    widget(
      "w1",
      { color: "green", replicas: 1, ports: [{ name: "http", port: 80 }] },
      { metadata: { resourceVersion: "{rv:w-create}" } },
    ),
  ),
  patch("w-patch-labels", "a metadata change keeps generation", `${WS}/w1`, MERGE, {
    metadata: { labels: { tier: "web" } },
  }),
  put(
    "w-update-no-rv",
    "a custom object's update without resourceVersion: 422",
    `${WS}/w1`,
    widget("w1", { color: "blue" }),
    422,
  ),
  put(
    "w-status-put",
    "a status write leaves spec alone",
    `${WS}/w1/status`,
    widget(
      "w1",
      { color: "blue", replicas: 9 },
      { metadata: { resourceVersion: "{rv:w-patch-labels}" }, status: { replicas: 1, phase: "Ready" } },
    ),
  ),
  patch("w-main-ignores-status", "a main-resource write leaves status alone", `${WS}/w1`, MERGE, {
    spec: { replicas: 2 },
    status: { phase: "Broken" },
  }),
  patch("w-status-patch", "a merge patch of status", `${WS}/w1/status`, MERGE, {
    status: { replicas: 2, selector: "app=w1" },
  }),
  get("w-scale-get", "the scale subresource: an autoscaling/v1 Scale", `${WS}/w1/scale`),
  put("w-scale-put", "update the scale: spec.replicas follows", `${WS}/w1/scale`, {
    apiVersion: "autoscaling/v1",
    kind: "Scale",
    metadata: { name: "w1", namespace: "{ns}" },
    spec: { replicas: 4 },
  }),
  patch("w-scale-patch", "merge patch of the scale", `${WS}/w1/scale`, MERGE, { spec: { replicas: 3 } }),
  get("w-after-scale", "the object after scaling: replicas 3, generation bumped", `${WS}/w1`),
  get(
    "cm-status-missing",
    "a status subresource a resource lacks: 404",
    `${CMS}/kube-root-ca.crt/status`,
    404,
  ),
  post("w-create-blue", "a second widget, blue", WS, widget("w2", { color: "blue", replicas: 1 })),
  post("w-create-green", "a third widget, green", WS, widget("w3", { color: "green", replicas: 2 })),
];

const schema: Step[] = [
  post("w-missing-required", "a required field missing: 422", WS, widget("bad1", { replicas: 1 }), 422),
  post("w-enum", "a value outside the enum: 422", WS, widget("bad2", { color: "purple" }), 422),
  post(
    "w-int-type",
    "a string for an integer: 422",
    WS,
    widget("bad3", { color: "red", replicas: "two" }),
    422,
  ),
  post(
    "w-list-key-missing",
    "a keyed list item without its key: 422",
    WS,
    widget("bad4", { color: "red", ports: [{ port: 1 }] }),
    422,
  ),
  post(
    "w-list-key-duplicate",
    "a keyed list with a duplicate key: 422",
    WS,
    widget("bad5", {
      color: "red",
      ports: [
        { name: "a", port: 1 },
        { name: "a", port: 2 },
      ],
    }),
    422,
  ),
  post(
    "w-unknown-field",
    "an unknown field: pruned, with a Warning",
    WS,
    widget("w-unknown", { color: "red", extra: 1 }),
  ),
  post(
    "w-unknown-strict",
    "an unknown field with fieldValidation=Strict",
    WS,
    widget("w-strict", { color: "red", extra: 1 }),
    400,
    { query: { fieldValidation: "Strict" } },
  ),
  post(
    "cm-unknown-field",
    "an unknown field on a built-in: dropped, with a Warning",
    CMS,
    cm("unknown", {}, { k: "v" }, { spec: { x: 1 } }),
  ),
  post(
    "cm-unknown-strict",
    "an unknown field with fieldValidation=Strict: 400",
    CMS,
    cm("unknown-strict", {}, {}, { spec: { x: 1 } }),
    400,
    { query: { fieldValidation: "Strict" } },
  ),
  post(
    "cm-unknown-ignore",
    "an unknown field with fieldValidation=Ignore: no Warning",
    CMS,
    cm("unknown-ignore", {}, {}, { spec: { x: 1 } }),
    201,
    { query: { fieldValidation: "Ignore" } },
  ),
  post(
    "cm-wrong-type",
    "a number where the schema says string",
    CMS,
    cm("wrong-type", {}, { k: 1 as unknown as string }),
    400,
  ),
  post("cm-invalid-name", "a name that is no DNS subdomain: 422 with causes", CMS, cm("Bad_Name"), 422),
  post("cm-invalid-label", "an invalid label value: 422", CMS, cm("bad-label", { "x/y/z": "v" }), 422),
  post(
    "cm-duplicate-field-strict",
    "a duplicate JSON field with fieldValidation=Strict: 400",
    CMS,
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup2"}}',
    400,
    {
      query: { fieldValidation: "Strict" },
    },
  ),
  post(
    "cm-duplicate-field",
    "a duplicate JSON field by default: the last wins, with a Warning",
    CMS,
    '{"apiVersion":"v1","kind":"ConfigMap","metadata":{"name":"dup","name":"dup2","labels":{"suite":"diff"}}}',
  ),
  patch("cm-patch-unknown", "a merge patch with an unknown field: a Warning", `${CMS}/unknown`, MERGE, {
    spec: { y: 1 },
    data: { k: "v2" },
  }),
  patch(
    "cm-patch-unknown-strict",
    "a merge patch with an unknown field, Strict",
    `${CMS}/unknown`,
    MERGE,
    { spec: { y: 1 } },
    422,
    {
      query: { fieldValidation: "Strict" },
    },
  ),
  patch(
    "w-patch-unknown",
    "a merge patch of a custom object with an unknown field: a Warning",
    `${WS}/w-unknown`,
    MERGE,
    { spec: { other: 2 } },
  ),
  patch(
    "cm-apply-unknown-strict",
    "an apply with an unknown field, Strict: 500, not declared in the schema",
    `${CMS}/unknown-apply`,
    APPLY,
    cm("unknown-apply", {}, {}, { spec: { x: 1 } }),
    500,
    {
      query: { fieldManager: "m1", fieldValidation: "Strict" },
    },
  ),
  patch(
    "cm-apply-unknown",
    "an apply with an unknown field, by default: 500 too (apply types the patch first)",
    `${CMS}/unknown-apply`,
    APPLY,
    cm("unknown-apply", {}, {}, { spec: { x: 1 } }),
    500,
    {
      query: { fieldManager: "m1" },
    },
  ),
  patch(
    "w-apply-unknown",
    "an apply of a custom object with an unknown field: 500 as well",
    `${WS}/w-apply-unknown`,
    APPLY,
    widget("w-apply-unknown", { color: "red", other: 1 }),
    500,
    { query: { fieldManager: "m1" } },
  ),
];

const verbs: Step[] = [
  get(
    "tokenreviews-list",
    "list on a create-only resource: 405",
    "/apis/authentication.k8s.io/v1/tokenreviews",
    405,
  ),
  del("ns-deletecollection", "deletecollection on namespaces: 405", NSS, 405),
  patch(
    "w-smp",
    "a strategic merge patch of a custom object: 415",
    `${WS}/w1`,
    SMP,
    { spec: { replicas: 5 } },
    415,
  ),
  get("unknown-resource", "a resource the server does not serve: 404", `${NS}/gizmos`, 404),
];

const selectors: Step[] = [
  post(
    "sel-1",
    "labelled ConfigMap 1",
    CMS,
    cm("sel-1", { group: "sel", tier: "web", env: "prod" }, { color: "red" }),
  ),
  post("sel-2", "labelled ConfigMap 2", CMS, cm("sel-2", { group: "sel", tier: "db", env: "dev" })),
  post("sel-3", "labelled ConfigMap 3", CMS, cm("sel-3", { group: "sel", tier: "cache" })),
  post(
    "sel-4",
    "labelled ConfigMap 4",
    CMS,
    cm("sel-4", { group: "sel", tier: "web", env: "dev", canary: "true" }),
  ),
  list("sel-eq", "labelSelector =", CMS, { labelSelector: "group=sel,tier=web" }),
  list("sel-eqeq", "labelSelector ==", CMS, { labelSelector: "group==sel,tier==db" }),
  list("sel-neq", "labelSelector != (matches objects without the key)", CMS, {
    labelSelector: "group=sel,env!=prod",
  }),
  list("sel-in", "labelSelector in", CMS, { labelSelector: "group=sel,tier in (web,db)" }),
  list("sel-notin", "labelSelector notin (matches objects without the key)", CMS, {
    labelSelector: "group=sel,env notin (dev)",
  }),
  list("sel-exists", "labelSelector key exists", CMS, { labelSelector: "group=sel,env" }),
  list("sel-not-exists", "labelSelector !key", CMS, { labelSelector: "group=sel,!env" }),
  list("sel-combined", "labelSelector exists, =, notin together", CMS, {
    labelSelector: "group=sel,canary,env=dev,tier notin (db)",
  }),
  list("sel-none", "labelSelector matching nothing: empty items", CMS, {
    labelSelector: "group=sel,tier=none",
  }),
  list("sel-invalid", "an unparsable labelSelector: 400", CMS, { labelSelector: "tier in (web" }, 400),
  list("field-name", "fieldSelector metadata.name=", CMS, { fieldSelector: "metadata.name=sel-2" }),
  list("field-name-neq", "fieldSelector metadata.name!= with a labelSelector", CMS, {
    labelSelector: "group=sel",
    fieldSelector: "metadata.name!=sel-2",
  }),
  list("field-namespace", "all namespaces, fieldSelector metadata.namespace=", "/api/v1/configmaps", {
    labelSelector: "group=sel",
    fieldSelector: "metadata.namespace={ns}",
  }),
  list(
    "field-unsupported",
    "a fieldSelector on a field the resource does not index: 400",
    CMS,
    { fieldSelector: "data.color=red" },
    400,
  ),
  list("field-cr-declared", "fieldSelector on a CRD's selectableField spec.color", WS, {
    fieldSelector: "spec.color=blue",
  }),
  list("field-cr-declared-neq", "fieldSelector spec.color!= with metadata.name!=", WS, {
    fieldSelector: "spec.color!=blue,metadata.name!=w3",
  }),
  list(
    "field-cr-undeclared",
    "fieldSelector on an undeclared CR field: 400",
    WS,
    { fieldSelector: "spec.replicas=1" },
    400,
  ),
];

const paging: Step[] = [
  list("page-1", "limit with a labelSelector: items and a continue token", CMS, {
    labelSelector: "group=sel",
    limit: "3",
  }),
  list("page-2", "the continue token's page: the rest, no continue", CMS, {
    labelSelector: "group=sel",
    limit: "3",
    continue: "{continue:page-1}",
  }),
  list(
    "page-bad-continue",
    "an invalid continue token: 400",
    CMS,
    { labelSelector: "group=sel", limit: "3", continue: "bm90LWEtdG9rZW4" },
    400,
  ),
  list("wpage-1", "limit without a selector: remainingItemCount", WS, { limit: "1" }),
  list("wpage-2", "the second page", WS, { limit: "1", continue: "{continue:wpage-1}" }),
  list("wpage-3", "the third page", WS, { limit: "1", continue: "{continue:wpage-2}" }),
  list("wpage-4", "the last page: no continue, no remainingItemCount", WS, {
    limit: "1",
    continue: "{continue:wpage-3}",
  }),
];

const watches: Step[] = [
  post("watch-1", "an object to watch", CMS, cm("watch-1", { group: "watch" }, { n: "1" })),
  patch("watch-1-update", "its update", `${CMS}/watch-1`, MERGE, { data: { n: "2" } }),
  {
    id: "watch-from-rv",
    what: "watch from a resourceVersion: the changes after it, then live ones",
    watch: { path: CMS, query: { labelSelector: "group=watch", resourceVersion: "{rv:watch-1}" } },
    expectStatus: 200,
    writes: [
      post("watch-2", "a second watched object", CMS, cm("watch-2", { group: "watch" })),
      del("watch-1-delete", "delete the first", `${CMS}/watch-1`),
    ],
    events: 3,
  },
  {
    id: "watch-field",
    what: "watch with a fieldSelector on metadata.name, no resourceVersion: ADDED for what exists",
    watch: { path: CMS, query: { fieldSelector: "metadata.name=watch-2" } },
    expectStatus: 200,
    writes: [
      patch("watch-2-update", "update the watched object", `${CMS}/watch-2`, MERGE, { data: { n: "3" } }),
    ],
    events: 2,
  },
  {
    id: "watch-gone",
    // On a fresh cluster a ConfigMap watch from "1" replays history (the watch cache was
    // filled from revision 1 and has evicted nothing); the CRD's cache starts at its creation.
    what: "watch from a resourceVersion older than the watch cache: one ERROR event, 410 Expired",
    watch: { path: WS, query: { resourceVersion: "1" } },
    expectStatus: 200,
    writes: [],
    events: 1,
  },
  {
    id: "watch-stream-list",
    what: "a streaming list: ADDED for each object, a BOOKMARK k8s.io/initial-events-end, then changes",
    watch: {
      path: CMS,
      query: {
        labelSelector: "group=sel",
        sendInitialEvents: "true",
        resourceVersionMatch: "NotOlderThan",
        allowWatchBookmarks: "true",
      },
    },
    expectStatus: 200,
    writes: [
      patch("sel-1-touch", "a change after the initial events", `${CMS}/sel-1`, MERGE, {
        metadata: { annotations: { touched: "yes" } },
      }),
    ],
    events: 6,
  },
  {
    id: "watch-cr",
    what: "watch custom objects with a selectableField: leaving it is DELETED (the old object, the new resourceVersion), entering ADDED",
    watch: { path: WS, query: { fieldSelector: "spec.color=green", resourceVersion: "{rv:w-create-green}" } },
    expectStatus: 200,
    writes: [
      patch("w3-blue", "green to blue: the watch sees the object leave", `${WS}/w3`, MERGE, {
        spec: { color: "blue" },
      }),
      patch("w3-green", "back to green", `${WS}/w3`, MERGE, { spec: { color: "green" } }),
    ],
    events: 2,
  },
];

const finalizers: Step[] = [
  post(
    "fin-create",
    "an object with a finalizer",
    CMS,
    cm("fin", { group: "fin" }, {}, { metadata: { finalizers: ["diff.kubefetch.dev/hold"] } }),
  ),
  del("fin-delete", "delete marks it: deletionTimestamp, the object answered", `${CMS}/fin`),
  get("fin-get", "it is still there", `${CMS}/fin`),
  patch(
    "fin-add-refused",
    "no new finalizer on an object being deleted: 422",
    `${CMS}/fin`,
    MERGE,
    { metadata: { finalizers: ["diff.kubefetch.dev/hold", "diff.kubefetch.dev/more"] } },
    422,
  ),
  patch("fin-update-while-deleting", "other changes still apply", `${CMS}/fin`, MERGE, {
    data: { state: "closing" },
  }),
  patch("fin-remove", "removing the last finalizer deletes it", `${CMS}/fin`, MERGE, {
    metadata: { finalizers: null },
  }),
  get("fin-gone", "it is gone", `${CMS}/fin`, 404),
  post(
    "wfin-create",
    "a custom object with a finalizer",
    WS,
    widget("wfin", { color: "red" }, { metadata: { finalizers: ["diff.kubefetch.dev/hold"] } }),
  ),
  del("wfin-delete", "delete marks it", `${WS}/wfin`),
  patch("wfin-remove", "a JSON patch removes the finalizer: deleted", `${WS}/wfin`, JSONPATCH, [
    { op: "remove", path: "/metadata/finalizers" },
  ]),
  get("wfin-gone", "it is gone", `${WS}/wfin`, 404),
  del("w-delete", "delete a custom object: the object answered", `${WS}/w2`),
];

const collection: Step[] = [
  post("dc-1", "collection member 1", CMS, cm("dc-1", { group: "dc" })),
  post("dc-2", "collection member 2", CMS, cm("dc-2", { group: "dc" })),
  post(
    "dc-3",
    "collection member 3, held by a finalizer",
    CMS,
    cm("dc-3", { group: "dc" }, {}, { metadata: { finalizers: ["diff.kubefetch.dev/hold"] } }),
  ),
  del("dc-dry", "deletecollection dryRun: the list, nothing deleted", CMS, 200, {
    query: { labelSelector: "group=dc", dryRun: "All" },
  }),
  list("dc-after-dry", "all three are still there", CMS, { labelSelector: "group=dc" }),
  del("dc", "deletecollection with a labelSelector: the deleted list", CMS, 200, {
    query: { labelSelector: "group=dc" },
  }),
  list("dc-after", "the finalized member remains, marked", CMS, { labelSelector: "group=dc" }),
  patch("dc-3-release", "release it", `${CMS}/dc-3`, JSONPATCH, [
    { op: "remove", path: "/metadata/finalizers" },
  ]),
];

const dryRun: Step[] = [
  post("dry-create", "create with dryRun=All: answered, not stored", CMS, cm("dry", {}, { k: "v" }), 201, {
    query: { dryRun: "All" },
  }),
  get("dry-create-get", "not stored", `${CMS}/dry`, 404),
  put(
    "dry-update",
    "update with dryRun: answered, not stored",
    `${CMS}/sel-2`,
    cm("sel-2", { group: "sel", tier: "db", env: "dev" }, { dry: "yes" }),
    200,
    { query: { dryRun: "All" } },
  ),
  get("dry-update-get", "unchanged", `${CMS}/sel-2`),
  del("dry-delete", "delete with dryRun", `${CMS}/sel-2`, 200, { query: { dryRun: "All" } }),
  get("dry-delete-get", "still there", `${CMS}/sel-2`),
  patch("dry-patch", "patch with dryRun", `${CMS}/sel-2`, MERGE, { data: { dry: "yes" } }, 200, {
    query: { dryRun: "All" },
  }),
  post("dry-invalid", "an unknown dryRun value: 422 Invalid CreateOptions", CMS, cm("dry2"), 422, {
    query: { dryRun: "Maybe" },
  }),
  post(
    "dry-deploy",
    "a dry-run Deployment: generation 1, containers as sent",
    DEPLOYS,
    deployment("dry"),
    201,
    { query: { dryRun: "All" }, pick: deploymentView },
  ),
];

const gc: Step[] = [
  post("gc-bg-owner", "owner (background)", CMS, cm("gc-bg-owner", { group: "gc" })),
  post("gc-bg-dep", "its dependent", CMS, cm("gc-bg-dep", { group: "gc" }, {}, ownedBy("gc-bg-owner"))),
  del("gc-bg-delete", "delete the owner, propagationPolicy=Background", `${CMS}/gc-bg-owner`, 200, {
    query: { propagationPolicy: "Background" },
  }),
  get("gc-bg-dep-gone", "the garbage collector deletes the dependent", `${CMS}/gc-bg-dep`, 404, {
    until: { what: "dependent gone", holds: gone },
  }),
  post("gc-or-owner", "owner (orphan)", CMS, cm("gc-or-owner", { group: "gc" })),
  post("gc-or-dep", "its dependent", CMS, cm("gc-or-dep", { group: "gc" }, {}, ownedBy("gc-or-owner"))),
  del(
    "gc-or-delete",
    "delete the owner, propagationPolicy=Orphan: finalizer orphan",
    `${CMS}/gc-or-owner`,
    200,
    { query: { propagationPolicy: "Orphan" } },
  ),
  get("gc-or-owner-gone", "the owner goes once its dependents are orphaned", `${CMS}/gc-or-owner`, 404, {
    until: { what: "owner gone", holds: gone },
  }),
  get("gc-or-dep-kept", "the dependent stays, without ownerReferences", `${CMS}/gc-or-dep`, 200, {
    until: {
      what: "ownerReferences removed",
      holds: (r) => r.code === 200 && meta(r.body).ownerReferences === undefined,
    },
  }),
  post("gc-fg-owner", "owner (foreground)", CMS, cm("gc-fg-owner", { group: "gc" })),
  post(
    "gc-fg-dep",
    "its dependent, blockOwnerDeletion",
    CMS,
    cm("gc-fg-dep", { group: "gc" }, {}, ownedBy("gc-fg-owner", true)),
  ),
  del(
    "gc-fg-delete",
    "delete the owner, propagationPolicy=Foreground: finalizer foregroundDeletion",
    `${CMS}/gc-fg-owner`,
    200,
    {
      query: { propagationPolicy: "Foreground" },
    },
  ),
  get("gc-fg-dep-gone", "the dependent goes first", `${CMS}/gc-fg-dep`, 404, {
    until: { what: "dependent gone", holds: gone },
  }),
  get("gc-fg-owner-gone", "then the owner", `${CMS}/gc-fg-owner`, 404, {
    until: { what: "owner gone", holds: gone },
  }),
  post("gc-body-owner", "owner (policy in DeleteOptions)", CMS, cm("gc-body-owner", { group: "gc" })),
  post("gc-body-dep", "its dependent", CMS, cm("gc-body-dep", { group: "gc" }, {}, ownedBy("gc-body-owner"))),
  del("gc-body-delete", "DeleteOptions body propagationPolicy=Orphan", `${CMS}/gc-body-owner`, 200, {
    body: { kind: "DeleteOptions", apiVersion: "v1", propagationPolicy: "Orphan" },
  }),
  get("gc-body-dep-kept", "the dependent is orphaned", `${CMS}/gc-body-dep`, 200, {
    until: {
      what: "ownerReferences removed",
      holds: (r) => r.code === 200 && meta(r.body).ownerReferences === undefined,
    },
  }),
];

const patches: Step[] = [
  post("mp-create", "an object to patch", CMS, cm("mp", {}, { a: "1", b: "2" })),
  patch("mp", "merge patch: null removes a key, maps merge", `${CMS}/mp`, MERGE, {
    metadata: { labels: { x: "y" } },
    data: { b: null, c: "3" },
  }),
  patch(
    "mp-missing",
    "merge patch of a missing object: 404",
    `${CMS}/nope`,
    MERGE,
    { data: { a: "1" } },
    404,
  ),
  patch("mp-invalid-json", "a body that is no JSON: 400", `${CMS}/mp`, MERGE, "{not json", 400),
  patch("jp", "JSON patch: add, replace, remove", `${CMS}/mp`, JSONPATCH, [
    { op: "add", path: "/data/d", value: "4" },
    { op: "replace", path: "/data/a", value: "10" },
    { op: "remove", path: "/data/c" },
  ]),
  patch("jp-test-ok", "JSON patch with a passing test op", `${CMS}/mp`, JSONPATCH, [
    { op: "test", path: "/data/a", value: "10" },
    { op: "add", path: "/data/e", value: "5" },
  ]),
  patch(
    "jp-test-fail",
    "JSON patch whose test op fails",
    `${CMS}/mp`,
    JSONPATCH,
    [{ op: "test", path: "/data/a", value: "nope" }],
    422,
  ),
  patch(
    "jp-remove-missing",
    "JSON patch removing a missing path",
    `${CMS}/mp`,
    JSONPATCH,
    [{ op: "remove", path: "/data/zzz" }],
    422,
  ),
  patch("jp-not-array", "a JSON patch that is no array: 400", `${CMS}/mp`, JSONPATCH, { op: "add" }, 400),
  patch("mp-cr-list", "merge patch of a custom object replaces a list whole", `${WS}/w1`, MERGE, {
    spec: { ports: [{ name: "https", port: 443 }], settings: { a: "1" } },
  }),
  patch(
    "mp-cr-invalid",
    "a merge patch that breaks the schema: 422",
    `${WS}/w1`,
    MERGE,
    { spec: { color: "pink" } },
    422,
  ),
  post(
    "pt-create",
    "a PodTemplate with two containers and env",
    PTS,
    podTemplate("pt", [
      {
        name: "app",
        image: "app:1",
        env: [
          { name: "A", value: "1" },
          { name: "B", value: "2" },
        ],
      },
      { name: "side", image: "side:1" },
    ]),
    201,
    { pick: podTemplateView },
  ),
  patch(
    "smp-merge",
    "strategic merge: containers by name, env merged by name",
    `${PTS}/pt`,
    SMP,
    {
      template: {
        spec: {
          containers: [
            {
              name: "app",
              image: "app:2",
              env: [
                { name: "B", value: "20" },
                { name: "C", value: "3" },
              ],
            },
          ],
        },
      },
    },
    200,
    { pick: podTemplateView },
  ),
  patch(
    "smp-add",
    "strategic merge: a new container",
    `${PTS}/pt`,
    SMP,
    { template: { spec: { containers: [{ name: "extra", image: "extra:1" }] } } },
    200,
    { pick: podTemplateView },
  ),
  patch(
    "smp-delete",
    "strategic merge: $patch: delete removes a container by name",
    `${PTS}/pt`,
    SMP,
    {
      template: { spec: { containers: [{ $patch: "delete", name: "side" }] } },
    },
    200,
    { pick: podTemplateView },
  ),
  patch(
    "smp-env-delete",
    "strategic merge: $patch: delete of one env entry",
    `${PTS}/pt`,
    SMP,
    {
      template: { spec: { containers: [{ name: "app", env: [{ $patch: "delete", name: "A" }] }] } },
    },
    200,
    { pick: podTemplateView },
  ),
  patch(
    "smp-env-replace",
    "strategic merge: $patch: replace of a list",
    `${PTS}/pt`,
    SMP,
    {
      template: {
        spec: { containers: [{ name: "app", env: [{ name: "Z", value: "26" }, { $patch: "replace" }] }] },
      },
    },
    200,
    { pick: podTemplateView },
  ),
  patch(
    "smp-labels",
    "strategic merge of a map: labels merge, null removes",
    `${PTS}/pt`,
    SMP,
    { metadata: { labels: { suite: null, extra: "1" } } },
    200,
    {
      pick: (b) => meta(b).labels,
    },
  ),
  patch("smp-cm", "strategic merge of a ConfigMap's data", `${CMS}/mp`, SMP, { data: { a: null, f: "6" } }),
  post("deploy-create", "a Deployment (replicas 0)", DEPLOYS, deployment("web"), 201, {
    pick: deploymentView,
  }),
  patch(
    "deploy-smp",
    "strategic merge of a Deployment's container env",
    `${DEPLOYS}/web`,
    SMP,
    {
      spec: {
        template: {
          spec: { containers: [{ name: "web", image: "web:2", env: [{ name: "B", value: "2" }] }] },
        },
      },
    },
    200,
    { pick: deploymentView },
  ),
  patch(
    "deploy-scale",
    "merge patch of its scale subresource",
    `${DEPLOYS}/web/scale`,
    MERGE,
    { spec: { replicas: 0 } },
    200,
    {
      pick: (b) => ({ kind: obj(b).kind, apiVersion: obj(b).apiVersion, spec: obj(b).spec }),
    },
  ),
];

const apply_: Step[] = [
  apply(
    "ssa-create",
    "apply creates: managedFields of the manager, operation Apply",
    `${CMS}/ssa`,
    "m1",
    cm("ssa", { l1: "x" }, { a: "1", b: "2" }),
    201,
  ),
  apply(
    "ssa-noop",
    "the same apply again changes nothing",
    `${CMS}/ssa`,
    "m1",
    cm("ssa", { l1: "x" }, { a: "1", b: "2" }),
  ),
  apply(
    "ssa-conflict",
    "another manager sets a field m1 owns to another value: 409",
    `${CMS}/ssa`,
    "m2",
    cm("ssa", {}, { a: "other" }),
    409,
  ),
  apply(
    "ssa-shared",
    "another manager sets it to the same value: shared ownership",
    `${CMS}/ssa`,
    "m2",
    cm("ssa", {}, { a: "1" }),
  ),
  apply(
    "ssa-force",
    "force takes the field over",
    `${CMS}/ssa`,
    "m2",
    cm("ssa", {}, { a: "1", b: "20" }),
    200,
    { force: "true" },
  ),
  apply(
    "ssa-drop",
    "m1 stops applying a label and b: the label goes, b stays (m2 owns it)",
    `${CMS}/ssa`,
    "m1",
    cm("ssa", {}, { a: "1" }),
  ),
  put(
    "ssa-update",
    "an update by another manager (Update operation)",
    `${CMS}/ssa`,
    cm("ssa", {}, { a: "1", b: "20", u: "upd" }),
  ),
  apply(
    "ssa-conflict-update",
    "apply of a field an updater owns: 409",
    `${CMS}/ssa`,
    "m1",
    cm("ssa", {}, { a: "1", u: "mine" }),
    409,
  ),
  apply(
    "ssa-no-manager",
    "apply without fieldManager: 422 Invalid PatchOptions",
    `${CMS}/ssa`,
    undefined,
    cm("ssa", {}, { a: "1" }),
    422,
  ),
  apply(
    "ssa-yaml",
    "apply a YAML body",
    `${CMS}/ssa-yaml`,
    "m1",
    'apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: ssa-yaml\n  labels:\n    suite: diff\ndata:\n  y: "1"\n',
    201,
  ),
  apply("ssa-dry", "apply with dryRun", `${CMS}/ssa-yaml`, "m3", cm("ssa-yaml", {}, { z: "1" }), 200, {
    dryRun: "All",
  }),
  apply(
    "ssa-w-create",
    "apply a custom object with a keyed list",
    `${WS}/sw`,
    "m1",
    widget("sw", {
      color: "red",
      ports: [
        { name: "http", port: 80 },
        { name: "https", port: 443 },
      ],
      settings: { a: "1" },
    }),
    201,
  ),
  apply(
    "ssa-w-m2",
    "another manager adds a list item by key",
    `${WS}/sw`,
    "m2",
    widget("sw", { color: "red", ports: [{ name: "metrics", port: 9090 }] }),
  ),
  apply(
    "ssa-w-conflict",
    "another manager changes an item m1 owns: 409",
    `${WS}/sw`,
    "m2",
    widget("sw", { color: "red", ports: [{ name: "http", port: 8080 }] }),
    409,
  ),
  apply(
    "ssa-w-drop",
    "m1 stops applying an item and a map key: both go, m2's item stays",
    `${WS}/sw`,
    "m1",
    widget("sw", { color: "red", ports: [{ name: "http", port: 80 }] }),
  ),
  apply(
    "ssa-w-force",
    "force: m2 takes the item's port",
    `${WS}/sw`,
    "m2",
    widget("sw", {
      color: "red",
      ports: [
        { name: "metrics", port: 9090 },
        { name: "http", port: 8080 },
      ],
    }),
    200,
    { force: "true" },
  ),
  apply(
    "ssa-w-shared-conflict",
    "a field two managers share: a new value conflicts with the other",
    `${WS}/sw`,
    "m1",
    widget("sw", { color: "green" }),
    409,
  ),
  apply(
    "ssa-w-invalid",
    "a forced apply that breaks the schema: 422",
    `${WS}/sw`,
    "m1",
    widget("sw", { color: "teal" }),
    422,
    { force: "true" },
  ),
  get("ssa-w-get", "the object after the applies", `${WS}/sw`),
];

/** Every step, in the order they run. */
export const STEPS: readonly Step[] = [
  ...namespaceAndCrd,
  ...metadata,
  ...widgets,
  ...schema,
  ...verbs,
  ...selectors,
  ...paging,
  ...watches,
  ...finalizers,
  ...collection,
  ...dryRun,
  ...gc,
  ...patches,
  ...apply_,
];

/** The steps by area, for the report. */
export const AREAS: Readonly<Record<string, readonly Step[]>> = {
  "namespace and CRD": namespaceAndCrd,
  "metadata, errors, preconditions": metadata,
  "generation, status and scale": widgets,
  "schema, unknown fields": schema,
  "verbs a resource lacks": verbs,
  selectors,
  paging,
  watches,
  finalizers,
  deletecollection: collection,
  dryRun,
  "garbage collection": gc,
  "merge, JSON and strategic patches": patches,
  "server-side apply": apply_,
};

/**
 * Where the fake still differs from the real server, by step id: the step is compared without
 * `fields` (dotted paths into { code, warnings, body } or { code, warnings, events }), and the
 * suite fails when the step no longer differs, so the list stays true. The lead fills it after
 * running against the fake; each entry says why.
 */
export const KNOWN_DIFFERENCES: Readonly<Record<string, KnownDifference>> = {
  "cm-wrong-type": {
    reason:
      "the code, reason and kind match; the message's tail is Go's encoding/json error (the Go struct field and type it failed on), which the fake, checking with the generated zod schemas, words as zod does",
    fields: ["body.message"],
  },
  "page-bad-continue": {
    reason:
      "the code and reason match; the message's tail is Go's JSON parser's complaint about the token's bytes, which the fake does not reproduce",
    fields: ["body.message"],
  },
};
