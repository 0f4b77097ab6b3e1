// createFakeCluster: the engine behind a loopback HTTP server of its own, so that every part of
// the real client (verbs, watch, informer, controller, manifests) runs against it; discovery
// from the resources it serves; the requests it saw; faults a test injects.

import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { KubeConfig } from "../../config/config-value.js";
import { createConfig } from "../../config/create-config.js";
import type { Registry } from "../../core/registry.js";
import { sleepOrWake } from "../../core/timers.js";
import { readCrdFiles } from "../crd-files.js";
import { Engine, type Target, view } from "./engine.js";
import { builtinResources, crdResources, type FakeResource, type FakeSchemas } from "./resources.js";
import { type JsonSchemaNode, type Shape, shapeResolver } from "./shape.js";
import { failure, notFoundPath } from "./status.js";
import { type Obj, Store } from "./store.js";
import { serveWatch } from "./watch.js";

/** What createFakeCluster() takes. */
export interface FakeClusterOptions {
  /** The API to serve: `registry` of a generated client ("kubefetch/generated/kubernetes-1.36"). */
  registry: Registry;
  /**
   * The generated API's schemas (`validators` of ".../schemas"): with them the fake refuses what
   * the schema refuses (422/400), drops unknown fields, and merges strategic patches and
   * server-side apply by each list's keys. Without them every object is untyped.
   */
  validators?: {
    /** A definition's JSON Schema. */
    definition(name: string): JsonSchemaNode | undefined;
  };
  /** Objects present from the start (namespaces they name are created too). */
  objects?: readonly object[];
  /** CustomResourceDefinitions to serve: files or folders of YAML/JSON, or the objects. */
  crds?: readonly (string | object)[];
  /** Namespaces present from the start (default: default, kube-system, kube-public, kube-node-lease). */
  namespaces?: readonly string[];
  /** How many changes a watch can resume across; older resourceVersions get 410 Gone (default 1000). */
  watchWindow?: number;
  /** How often a watch that allows bookmarks gets one, in ms (default 1000; 0 for none). */
  bookmarkIntervalMs?: number;
}

/** One request the fake received. */
export interface FakeRequest {
  /** GET, POST, PUT, PATCH, DELETE. */
  readonly method: string;
  /** The path, without the query. */
  readonly path: string;
  /** The query parameters. */
  readonly query: Readonly<Record<string, string>>;
  /** The verb: get, list, watch, create, update, patch, apply, delete, deletecollection, or discovery. */
  readonly verb: string;
  /** The body's Content-Type. */
  readonly contentType?: string;
  /** The body, parsed when it is JSON; undefined when there was none. */
  readonly body?: unknown;
}

/** A fault for the next matching request(s): a status, a delay, or a watch that ends at once. */
export interface FakeFault {
  /** get, list, watch, create, update, patch, apply, delete, deletecollection (default: any). */
  verb?: string;
  /** The resource's plural ("deployments"; default: any). */
  resource?: string;
  /** Only in this namespace. */
  namespace?: string;
  /** Only for this name. */
  name?: string;
  /** Answer this status (a Status body with the server's reason for the code). */
  status?: number;
  /** The Status message (default: one naming the injected fault). */
  message?: string;
  /** Seconds for a Retry-After header (with 429 or 503). */
  retryAfterSeconds?: number;
  /** Wait this long before answering (or before failing, with `status`). */
  delayMs?: number;
  /** For a watch: accept it, then end the stream at once. */
  drop?: boolean;
  /** How many matching requests it applies to (default 1). */
  times?: number;
}

/** A fake API server on loopback. */
export interface FakeCluster {
  /** A config for createClient(): plain HTTP to the fake, no credentials. */
  readonly config: KubeConfig;
  /** The fake's URL (http://127.0.0.1:port). */
  readonly url: string;
  /** Every request received, in order. */
  readonly requests: readonly FakeRequest[];
  /** The object the fake holds now, or undefined. For a cluster-scoped kind, give no namespace. */
  get(apiVersion: string, kind: string, namespace: string | undefined, name: string): object | undefined;
  /** Every object of a kind, of one namespace or all, in the order a list answers. */
  list(apiVersion: string, kind: string, namespace?: string): object[];
  /** Puts an object in as a create would (events go to watches); returns it as stored. */
  add(object: object): object;
  /** Makes the next matching request(s) fail, wait, or (a watch) end at once. */
  failNext(fault: FakeFault): void;
  /** Ends every open watch, as a restarting apiserver does. */
  dropWatches(): void;
  /** Forgets the changes held for watches and continue tokens: older resourceVersions get 410 Gone. */
  compact(): void;
  /** The resourceVersion of the latest change. */
  readonly resourceVersion: string;
  /** Stops the server and ends open watches. */
  close(): Promise<void>;
}

const DEFAULT_NAMESPACES = ["default", "kube-system", "kube-public", "kube-node-lease"];
const MAX_BODY = 3 * 1024 * 1024;

/** Starts a fake API server serving `registry` (and CRDs) on a loopback port of its own. */
export async function createFakeCluster(options: FakeClusterOptions): Promise<FakeCluster> {
  const schemas = options.validators ? await schemasOf(options.validators) : undefined;
  const store = new Store(options.watchWindow ?? 1000);
  const table = new Map<string, FakeResource>(); // apiVersion/plural
  const byKind = new Map<string, FakeResource>(); // apiVersion/kind
  const byStorage = new Map<string, FakeResource>();
  const add = (r: FakeResource) => {
    table.set(`${r.apiVersion}/${r.plural}`, r);
    byKind.set(`${r.apiVersion}/${r.kind}`, r);
    if (!byStorage.has(r.storage)) byStorage.set(r.storage, r);
  };
  for (const r of builtinResources(options.registry, schemas)) add(r);
  // A custom resource's metadata merges as every object's: ObjectMeta's shape, from the schemas.
  const metadataShape: Shape | undefined = schemas
    ? shapeResolver((n: string) => schemas.definition(n))("io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
    : undefined;
  const crdNames = new Map<string, FakeResource[]>();
  const serveCrd = (crd: Obj, removed: boolean) => {
    for (const r of crdNames.get(crd.metadata.name) ?? []) {
      table.delete(`${r.apiVersion}/${r.plural}`);
      byKind.delete(`${r.apiVersion}/${r.kind}`);
      if (byStorage.get(r.storage) === r) byStorage.delete(r.storage);
    }
    crdNames.delete(crd.metadata.name);
    if (removed) return;
    const rs = crdResources(crd, metadataShape);
    crdNames.set(crd.metadata.name, rs);
    for (const r of rs) add(r);
  };
  const engine = new Engine(store, {
    bookmarkIntervalMs: options.bookmarkIntervalMs ?? 1000,
    onCrd: serveCrd,
  });
  engine.resourceOf = (s) => byStorage.get(s);

  const nsRes = table.get("v1/namespaces");
  const resourceFor = (o: object): FakeResource => {
    const { apiVersion, kind } = o as { apiVersion?: string; kind?: string };
    const r = byKind.get(`${apiVersion}/${kind}`);
    if (!r) throw new TypeError(`the fake serves no ${kind} in ${apiVersion}`);
    return r;
  };
  const ensureNamespace = (name: string | undefined) => {
    if (!name || !nsRes || store.get(nsRes.storage, undefined, name)) return;
    engine.seed(nsRes, { apiVersion: "v1", kind: "Namespace", metadata: { name } });
  };
  for (const ns of options.namespaces ?? DEFAULT_NAMESPACES) ensureNamespace(ns);
  const crdRes = table.get("apiextensions.k8s.io/v1/customresourcedefinitions");
  const crdObjects = await readCrds(options.crds ?? []);
  for (const c of crdObjects) {
    if (!crdRes)
      throw new TypeError(
        "the registry has no apiextensions.k8s.io/v1 CustomResourceDefinition to serve CRDs with",
      );
    engine.seed(crdRes, c as Record<string, unknown>);
  }
  const seed = (o: object) => {
    const r = resourceFor(o);
    if (r.namespaced)
      ensureNamespace((o as { metadata?: { namespace?: string } }).metadata?.namespace ?? "default");
    return engine.seed(r, o as Record<string, unknown>);
  };
  for (const o of options.objects ?? []) seed(o);
  // History starts now, as an apiserver's watch cache starts at its first list: a watch from
  // an earlier resourceVersion gets 410 Gone.
  store.compact();

  const requests: FakeRequest[] = [];
  const faults: (FakeFault & { left: number })[] = [];
  const closers = new Set<() => void>();
  const sockets = new Set<Socket>();

  const server: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      if (!res.headersSent) send(res, 500, failure(500, `the fake failed: ${(e as Error).message}`).body);
      else res.destroy();
    });
  });
  server.on("connection", (s) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });

  async function handle(req: IncomingMessage, res: ServerResponse) {
    const url = new URL(req.url ?? "/", "http://fake");
    const chunks: Buffer[] = [];
    let size = 0;
    for await (const c of req as AsyncIterable<Buffer>) {
      size += c.length;
      if (size > MAX_BODY) return send(res, 413, failure(413, "the request body is too large").body);
      chunks.push(c);
    }
    const body = Buffer.concat(chunks).toString("utf8");
    const contentType = req.headers["content-type"];
    const route = routeOf(url.pathname, req.method ?? "GET", url.searchParams);
    const isApply = (contentType ?? "").toLowerCase().startsWith("application/apply-patch+yaml");
    const verb =
      route.kind !== "resource" ? "discovery" : route.verb === "patch" && isApply ? "apply" : route.verb;
    requests.push({
      method: req.method ?? "GET",
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      verb,
      ...(contentType ? { contentType } : {}),
      ...(body ? { body: parseMaybe(body) } : {}),
    });
    if (route.kind === "resource") {
      const fault = takeFault(route.target, verb);
      if (fault?.delayMs) await sleepOrWake(fault.delayMs);
      if (fault?.status) {
        const f = failure(
          fault.status,
          fault.message ?? `injected by fake.failNext: ${fault.status} on ${verb}`,
        );
        if (fault.retryAfterSeconds !== undefined)
          res.setHeader("retry-after", String(fault.retryAfterSeconds));
        return send(res, f.code, f.body);
      }
      const answer = engine.handle(
        route.target,
        {
          method: req.method ?? "GET",
          path: url.pathname,
          query: url.searchParams,
          contentType,
          userAgent: req.headers["user-agent"],
          body,
        },
        verb,
      );
      if ("watch" in answer) {
        if (fault?.drop) {
          res.writeHead(200, { "content-type": "application/json" });
          return res.end();
        }
        const close = serveWatch(store, answer.watch, res, {});
        closers.add(close);
        res.on("close", () => closers.delete(close));
        return;
      }
      for (const w of answer.warnings ?? []) res.appendHeader("warning", `299 - ${JSON.stringify(w)}`);
      return send(res, answer.code, answer.body);
    }
    if (route.kind === "discovery") return send(res, 200, route.body());
    if (route.kind === "text") {
      res.writeHead(200, { "content-type": "text/plain" });
      return res.end(route.text);
    }
    send(res, 404, notFoundPath().body);
  }

  function takeFault(t: Target, verb: string) {
    const i = faults.findIndex(
      (f) =>
        (f.verb === undefined || f.verb === verb) &&
        (f.resource === undefined || f.resource === t.res.plural) &&
        (f.namespace === undefined || f.namespace === t.namespace) &&
        (f.name === undefined || f.name === t.name),
    );
    if (i < 0) return undefined;
    const f = faults[i] as FakeFault & { left: number };
    f.left -= 1;
    if (f.left <= 0) faults.splice(i, 1);
    return f;
  }

  type Route =
    | { kind: "resource"; target: Target; verb: string }
    | { kind: "discovery"; body: () => unknown }
    | { kind: "text"; text: string }
    | { kind: "none" };

  function routeOf(path: string, method: string, query: URLSearchParams): Route {
    if (path === "/healthz" || path === "/readyz" || path === "/livez") return { kind: "text", text: "ok" };
    if (path === "/version") return { kind: "discovery", body: () => VERSION };
    const parts = path.split("/").filter(Boolean).map(decodeURIComponent);
    if (parts[0] === "api") {
      if (parts.length === 1)
        return {
          kind: "discovery",
          body: () => ({
            kind: "APIVersions",
            versions: ["v1"],
            serverAddressByClientCIDRs: [{ clientCIDR: "0.0.0.0/0", serverAddress: new URL(url).host }],
          }),
        };
      return resourceRoute("", parts[1] as string, parts.slice(2), method, query);
    }
    if (parts[0] === "apis") {
      if (parts.length === 1)
        return {
          kind: "discovery",
          body: () => ({ kind: "APIGroupList", apiVersion: "v1", groups: groups() }),
        };
      if (parts.length === 2) {
        const g = groups().find((x) => x.name === parts[1]);
        return g
          ? { kind: "discovery", body: () => ({ kind: "APIGroup", apiVersion: "v1", ...g }) }
          : { kind: "none" };
      }
      return resourceRoute(parts[1] as string, parts[2] as string, parts.slice(3), method, query);
    }
    return { kind: "none" };
  }

  function resourceRoute(
    group: string,
    version: string,
    rest: string[],
    method: string,
    query: URLSearchParams,
  ): Route {
    const gv = group ? `${group}/${version}` : version;
    if (rest.length === 0) {
      const rs = [...table.values()].filter((r) => r.apiVersion === gv);
      if (!rs.length) return { kind: "none" };
      return { kind: "discovery", body: () => resourceList(gv, rs) };
    }
    let namespace: string | undefined;
    let segs = rest;
    if (rest[0] === "namespaces" && rest.length >= 3) {
      const r = table.get(`${gv}/${rest[2]}`);
      if (r?.namespaced) {
        namespace = rest[1];
        segs = rest.slice(2);
      }
    }
    const res = table.get(`${gv}/${segs[0]}`);
    if (!res || segs.length > 3) return { kind: "none" };
    if (res.namespaced && namespace === undefined && segs.length > 1) return { kind: "none" };
    const name = segs[1];
    const sub = segs[2];
    const watch = query.get("watch") === "true" || query.get("watch") === "1";
    const verb =
      method === "GET"
        ? name === undefined
          ? watch
            ? "watch"
            : "list"
          : "get"
        : method === "POST"
          ? "create"
          : method === "PUT"
            ? "update"
            : method === "PATCH"
              ? "patch"
              : method === "DELETE"
                ? name === undefined
                  ? "deletecollection"
                  : "delete"
                : "unknown";
    if (name === undefined && !["list", "watch", "create", "deletecollection"].includes(verb))
      return { kind: "none" };
    return { kind: "resource", target: { res, namespace, name, sub }, verb };
  }

  function groups() {
    const out = new Map<string, string[]>();
    for (const r of table.values()) {
      if (!r.group) continue;
      const vs = out.get(r.group) ?? [];
      if (!vs.includes(r.version)) vs.push(r.version);
      out.set(r.group, vs);
    }
    return [...out.keys()].sort().map((name) => {
      const versions = (out.get(name) as string[]).sort(byKubeVersion);
      const v = versions.map((version) => ({ groupVersion: `${name}/${version}`, version }));
      return { name, versions: v, preferredVersion: v[0] };
    });
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const config = createConfig({ server: url, env: {} });

  const find = (apiVersion: string, kind: string) => {
    const r = byKind.get(`${apiVersion}/${kind}`);
    if (!r) throw new TypeError(`the fake serves no ${kind} in ${apiVersion}`);
    return r;
  };
  let closed = false;
  return {
    config,
    url,
    requests,
    get(apiVersion, kind, namespace, name) {
      const r = find(apiVersion, kind);
      const o = store.get(r.storage, r.namespaced ? namespace : undefined, name);
      return o ? structuredClone(view(r, o)) : undefined;
    },
    list(apiVersion, kind, namespace) {
      const r = find(apiVersion, kind);
      return store
        .list(r.storage, r.namespaced ? namespace : undefined)
        .map((o) => structuredClone(view(r, o)));
    },
    add: (o) => structuredClone(seed(o)),
    failNext(fault) {
      faults.push({ ...fault, left: fault.times ?? 1 });
    },
    dropWatches() {
      for (const c of [...closers]) c();
    },
    compact: () => store.compact(),
    get resourceVersion() {
      return String(store.resourceVersion);
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const c of [...closers]) c();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        for (const s of sockets) s.destroy();
      });
    },
  };
}

const VERSION = {
  major: "1",
  minor: "36",
  gitVersion: "v1.36.0-kubefetch-fake",
  platform: "linux/amd64",
};

function resourceList(gv: string, rs: FakeResource[]) {
  const resources: Record<string, unknown>[] = [];
  for (const r of [...rs].sort((a, b) => a.plural.localeCompare(b.plural))) {
    resources.push({
      name: r.plural,
      singularName: r.singular,
      namespaced: r.namespaced,
      kind: r.kind,
      verbs: [...r.verbs],
      ...(r.shortNames.length ? { shortNames: [...r.shortNames] } : {}),
    });
    for (const s of r.subresources) {
      resources.push({
        name: `${r.plural}/${s}`,
        singularName: "",
        namespaced: r.namespaced,
        ...(s === "scale" ? { group: "autoscaling", version: "v1", kind: "Scale" } : { kind: r.kind }),
        verbs: ["get", "patch", "update"],
      });
    }
  }
  return { kind: "APIResourceList", apiVersion: "v1", groupVersion: gv, resources };
}

/** Kubernetes' version order: GA, then beta, then alpha, higher numbers first. */
function byKubeVersion(a: string, b: string): number {
  const rank = (v: string) => {
    const m = /^v(\d+)(?:(alpha|beta)(\d+))?$/.exec(v);
    if (!m) return [3, 0, 0];
    const stage = m[2] === undefined ? 0 : m[2] === "beta" ? 1 : 2;
    return [stage, -Number(m[1]), -Number(m[3] ?? 0)];
  };
  const [x, y] = [rank(a), rank(b)];
  for (let i = 0; i < 3; i++)
    if ((x[i] as number) !== (y[i] as number)) return (x[i] as number) - (y[i] as number);
  return a.localeCompare(b);
}

function send(res: ServerResponse, code: number, body: unknown) {
  const text = JSON.stringify(body);
  res.writeHead(code, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  res.end(text);
}

function parseMaybe(body: string): unknown {
  try {
    return JSON.parse(body);
  } catch {
    return body;
  }
}

/** The generated validators, widened to what the fake calls. */
async function schemasOf(v: NonNullable<FakeClusterOptions["validators"]>): Promise<FakeSchemas> {
  const withValidate = v as { validate?: (name: string, value: unknown) => unknown };
  if (typeof withValidate.validate !== "function") {
    throw new TypeError("validators must be the `validators` of a generated API's schemas module");
  }
  return {
    definition: (n) => v.definition(n),
    validate: (n, value) => (withValidate.validate as FakeSchemas["validate"])(n, value),
  };
}

async function readCrds(crds: readonly (string | object)[]): Promise<object[]> {
  const files = crds.filter((c): c is string => typeof c === "string");
  const objects = crds.filter((c) => typeof c !== "string");
  // readCrdFiles answers each CRD with the file it came from; the fake serves the object.
  const fromFiles = files.length ? (await readCrdFiles(files)).map((d) => d.object) : [];
  return [...fromFiles, ...objects];
}
