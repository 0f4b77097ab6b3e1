// The one request layer: every verb, subresource, stream and the dynamic client describe their
// request here, and this is the only place that turns a description into a path. The name and
// namespace rules (client-go's rest.Request.Name/Namespace and IsValidPathSegmentName) and the
// namespace policy are written once, below.

import type { KubeConfig } from "../config/config-value.js";
import { type CallInit, type CallOptions, call, type HttpContext, json } from "./http.js";
import { checkObject, type ObjectValidators } from "./object-check.js";

/** What the runtime needs to know of a resource: from the registry, or found by discovery. */
export interface ResourceInfo {
  apiVersion: string;
  kind: string;
  plural: string;
  namespaced: boolean;
  verbs: readonly string[];
  paths: { collection?: string; item?: string; allNamespaces?: string };
  /** The generated definition of the kind's objects, when a generated API knows it. */
  schema?: string;
  subresources: Readonly<
    Record<
      string,
      { apiVersion: string; kind: string; verbs: readonly string[]; path: string; schema?: string }
    >
  >;
}

export interface ClientContext extends HttpContext {
  config: KubeConfig;
  /** A generated API's validators: whole objects are checked before they are sent. */
  validators?: ObjectValidators | undefined;
}

/** One request, described: which resource, where, which object, how. */
export interface RequestSpec extends CallOptions {
  /** The caller's verb, for messages: "get", "deleteCollection", "status.patch", "log", ... */
  verb: string;
  resource: ResourceInfo;
  /** The collection (list, create, deletecollection, watch) or one object. */
  target: "collection" | "item";
  /** A subresource of the item ("status", "scale", "log", ...). */
  subresource?: string;
  /** Omitted: the config's namespace (namespaced resources only). */
  namespace?: string | undefined;
  /** Every namespace: list and watch only, never with `namespace`. */
  allNamespaces?: boolean | undefined;
  name?: string | undefined;
  method: CallInit["method"];
  query?: Record<string, unknown>;
  body?: unknown;
  contentType?: string;
  accept?: string;
  /** A long-lived stream (log follow, watch). */
  stream?: boolean;
  /** Connect subresources (proxy, portforward): the target's port, `[scheme:]name:port`. */
  port?: string | number | undefined;
  scheme?: "http" | "https" | undefined;
  /** Proxy: the path after the subresource, as text; encoded and checked here. */
  subpath?: string | undefined;
}

/** A request refused before anything was sent: an unusable name or namespace, or a scope conflict. */
export class InvalidRequestError extends TypeError {
  override name = "InvalidRequestError";
  readonly verb: string;
  readonly resource: string;
  readonly field: "name" | "namespace" | "allNamespaces" | "path" | "port" | "scheme";
  readonly value: unknown;
  constructor(
    verb: string,
    resource: string,
    field: InvalidRequestError["field"],
    value: unknown,
    problem: string,
  ) {
    super(`${resource}.${verb}: ${field} ${JSON.stringify(value)} ${problem}; nothing was sent`);
    this.verb = verb;
    this.resource = resource;
    this.field = field;
    this.value = value;
  }
}

/**
 * A name or namespace as one path segment, as client-go: "may not be empty"
 * (rest.Request.Name), not "." or "..", no "/" or "%" (IsValidPathSegmentName). The URL
 * parser would fold "..", and "" would turn an item path into its collection: DELETE on it is
 * deletecollection.
 */
export function pathSegmentProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return "must be a string";
  if (value === "") return "may not be empty";
  if (value === "." || value === "..") return `may not be "${value}"`;
  if (value.includes("/")) return 'may not contain "/"';
  if (value.includes("%")) return 'may not contain "%"';
  return undefined;
}

function checked(spec: RequestSpec, field: "name" | "namespace", value: unknown): string {
  return checkSegment(spec.verb, spec.resource.plural, field, value);
}

function checkSegment(verb: string, resource: string, field: "name" | "namespace", value: unknown): string {
  const problem = pathSegmentProblem(value);
  if (problem) throw new InvalidRequestError(verb, resource, field, value, problem);
  return value as string;
}

/**
 * The same rule before the resource is known (the dynamic client resolves it through
 * discovery): a bad name, or a bad explicit namespace, sends not even the discovery request.
 */
export function checkEarly(
  verb: string,
  resource: string,
  given: { name?: unknown; namespace?: unknown; hasName: boolean },
): void {
  if (given.hasName) checkSegment(verb, resource, "name", given.name);
  if (given.namespace !== undefined) checkSegment(verb, resource, "namespace", given.namespace);
}

/**
 * The namespace policy, as kubectl: a namespaced verb acts in the given namespace, else the
 * config's (the context's, the pod's, else "default"); all namespaces only with
 * `allNamespaces: true`, for list and watch. Cluster-scoped resources have none.
 */
function namespaceOf(ctx: ClientContext, spec: RequestSpec): string | undefined {
  if (!spec.resource.namespaced) return undefined;
  if (spec.allNamespaces) {
    if (spec.namespace !== undefined) {
      throw new InvalidRequestError(
        spec.verb,
        spec.resource.plural,
        "allNamespaces",
        true,
        `cannot be combined with namespace "${spec.namespace}"`,
      );
    }
    if (spec.target !== "collection" || spec.method !== "GET" || spec.subresource) {
      throw new InvalidRequestError(
        spec.verb,
        spec.resource.plural,
        "allNamespaces",
        true,
        "is for list and watch only",
      );
    }
    return undefined;
  }
  return checked(spec, "namespace", spec.namespace ?? ctx.config.namespace);
}

/** The request's path: the only place a registry path template is filled. */
export function requestPath(ctx: ClientContext, spec: RequestSpec): string {
  const info = spec.resource;
  const namespace = namespaceOf(ctx, spec);
  let template: string | undefined;
  if (spec.subresource) template = info.subresources[spec.subresource]?.path;
  else if (spec.target === "item") template = info.paths.item;
  else if (info.namespaced && namespace === undefined) template = info.paths.allNamespaces;
  else template = info.paths.collection;
  if (!template) {
    const what =
      spec.subresource ?? (namespace === undefined && info.namespaced ? "all-namespaces" : spec.target);
    throw new InvalidRequestError(spec.verb, info.plural, "path", what, `is not a path of ${info.kind}`);
  }
  let path = template;
  if (path.includes("{namespace}")) path = path.replace("{namespace}", encodeURIComponent(namespace ?? ""));
  if (path.includes("{name}")) path = path.replace("{name}", nameSegment(spec));
  if (spec.subpath !== undefined) path += proxySubpath(spec, spec.subpath);
  return path;
}

/**
 * The item's segment: its name, or `[scheme:]name:port` as the apiserver's connect
 * subresources split it (utilnet.SplitSchemeNamePort). A ":" in any part would shift the
 * others, so none may hold one.
 */
function nameSegment(spec: RequestSpec): string {
  const name = encodeURIComponent(checked(spec, "name", spec.name));
  if (spec.port === undefined && spec.scheme === undefined) return name;
  const refuse = (field: "name" | "port" | "scheme", value: unknown, problem: string): never => {
    throw new InvalidRequestError(spec.verb, spec.resource.plural, field, value, problem);
  };
  if (name.includes("%3A")) refuse("name", spec.name, 'may not contain ":" with a port');
  const parts = [name];
  if (spec.port !== undefined) {
    const port = String(spec.port);
    const valid = /^[0-9]+$/.test(port)
      ? Number(port) >= 1 && Number(port) <= 65_535
      : /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/.test(port);
    if (!valid)
      refuse("port", spec.port, "must be a number 1-65535 or a port name (lowercase letters, digits, -)");
    parts.push(port);
  } else parts.push("");
  if (spec.scheme !== undefined) {
    if (spec.scheme !== "http" && spec.scheme !== "https")
      refuse("scheme", spec.scheme, 'must be "http" or "https"');
    parts.unshift(spec.scheme);
  }
  // name:port, name: (default port with a scheme), scheme:name:port
  return parts.join(":");
}

/**
 * A proxy's trailing path: text, each segment percent-encoded here (a "%" is a literal
 * percent). "." and ".." are resolved as a URL parser would, here rather than by a parser
 * later; a ".." that would climb above the proxy root (to another object or resource) is
 * refused. A query belongs in `query`, so "?" and "#" are refused rather than encoded.
 */
function proxySubpath(spec: RequestSpec, path: unknown): string {
  const refuse = (problem: string): never => {
    throw new InvalidRequestError(spec.verb, spec.resource.plural, "path", path, problem);
  };
  if (typeof path !== "string") return refuse("must be a string");
  if (/[?#]/.test(path)) refuse('may not contain "?" or "#" (give the query as `query`)');
  for (const ch of path) {
    const c = ch.charCodeAt(0);
    if (c < 0x20 || c === 0x7f) refuse("may not contain control characters");
  }
  const out: string[] = [];
  const segments = path.split("/");
  if (segments[0] === "") segments.shift();
  segments.forEach((seg, i) => {
    const last = i === segments.length - 1;
    if (seg === ".") {
      if (last) out.push("");
    } else if (seg === "..") {
      if (out.length === 0) refuse('climbs out of the proxy path with ".."');
      out.pop();
      if (last) out.push("");
    } else if (seg === "" && !last) {
      // "a//b": an empty segment is kept, as a server would see it.
      out.push("");
    } else out.push(encodeSegment(seg));
  });
  return `/${out.join("/")}`;
}

/** encodeURIComponent, minus what a path segment may hold as it is (RFC 3986 pchar). */
function encodeSegment(seg: string): string {
  return encodeURIComponent(seg).replace(/%(3A|40|21|24|26|27|28|29|2A|2B|2C|3B|3D)/g, (m) =>
    decodeURIComponent(m),
  );
}

/** Builds the path and checks the object (refusing bad ones before anything is sent), then calls. */
export async function send(ctx: ClientContext, spec: RequestSpec) {
  const path = requestPath(ctx, spec);
  checkObject(ctx.validators, spec);
  const res = await call(ctx, {
    method: spec.method,
    path,
    ...(spec.query ? { query: spec.query } : {}),
    ...(spec.body !== undefined ? { body: spec.body } : {}),
    ...(spec.contentType ? { contentType: spec.contentType } : {}),
    ...(spec.accept ? { accept: spec.accept } : {}),
    ...(spec.stream ? { stream: true } : {}),
    ...(spec.signal ? { signal: spec.signal } : {}),
    ...(spec.timeoutMs !== undefined ? { timeoutMs: spec.timeoutMs } : {}),
  });
  return { path, res };
}

/** send(), then the JSON answer. */
export async function sendJson<T>(ctx: ClientContext, spec: RequestSpec): Promise<T> {
  const { path, res } = await send(ctx, spec);
  return json<T>(res, spec.method, path);
}
