// A request, described, and the one place a description becomes a path: the name and
// namespace rules (client-go's rest.Request.Name/Namespace and IsValidPathSegmentName) and the
// namespace policy are written here once, for every verb, subresource, stream and the dynamic
// client. Pure: no I/O, so the rules are tested on paths alone.

import type { CallOptions } from "./objects.js";
import type { ResourceInfo } from "./registry.js";

export type HttpMethod = "GET" | "HEAD" | "POST" | "PUT" | "PATCH" | "DELETE" | "OPTIONS";

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
  method: HttpMethod;
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
  /** "InvalidRequestError", as stack traces show it. */
  override name = "InvalidRequestError";
  /** The call that refused: "get", "list", "exec", ... */
  readonly verb: string;
  /** The resource it was called on. */
  readonly resource: string;
  /** The option that cannot be used. */
  readonly field: "name" | "namespace" | "allNamespaces" | "path" | "port" | "scheme";
  /** The value given for it. */
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

function segmentOf(spec: RequestSpec, field: "name" | "namespace", value: unknown): string {
  return checkSegment(spec.verb, spec.resource.plural, field, value);
}

function checkSegment(verb: string, resource: string, field: "name" | "namespace", value: unknown): string {
  const problem = pathSegmentProblem(value);
  if (problem) throw new InvalidRequestError(verb, resource, field, value, problem);
  return value as string;
}

/**
 * The namespace scope, before anything else is known: `allNamespaces` is for list and watch,
 * and never with `namespace`. The request layer, the informer and the controller all ask here.
 */
export function checkScope(
  verb: string,
  resource: string,
  scope: { namespace?: unknown; allNamespaces?: unknown },
  listOrWatch: boolean,
): void {
  if (scope.allNamespaces !== true) return;
  if (scope.namespace !== undefined) {
    throw new InvalidRequestError(
      verb,
      resource,
      "allNamespaces",
      true,
      `cannot be combined with namespace ${JSON.stringify(scope.namespace)}`,
    );
  }
  if (!listOrWatch)
    throw new InvalidRequestError(verb, resource, "allNamespaces", true, "is for list and watch only");
}

/**
 * The rules before the resource is known (the dynamic client resolves it through discovery):
 * a bad name, a bad explicit namespace or a scope conflict sends not even the discovery request.
 */
export function checkEarly(
  verb: string,
  resource: string,
  given: {
    name?: unknown;
    namespace?: unknown;
    allNamespaces?: unknown;
    hasName: boolean;
    listOrWatch: boolean;
  },
): void {
  if (given.hasName) checkSegment(verb, resource, "name", given.name);
  if (given.namespace !== undefined) checkSegment(verb, resource, "namespace", given.namespace);
  checkScope(verb, resource, given, given.listOrWatch);
}

/**
 * The namespace policy, as kubectl: a namespaced verb acts in the given namespace, else the
 * default (the context's, the pod's, else "default"); all namespaces only with
 * `allNamespaces: true`, for list and watch. Cluster-scoped resources have none.
 */
export function requestNamespace(spec: RequestSpec, defaultNamespace: string): string | undefined {
  if (!spec.resource.namespaced) return undefined;
  checkScope(
    spec.verb,
    spec.resource.plural,
    spec,
    spec.target === "collection" && spec.method === "GET" && !spec.subresource,
  );
  if (spec.allNamespaces) return undefined;
  return segmentOf(spec, "namespace", spec.namespace ?? defaultNamespace);
}

/** The request's path: the only place a registry path template is filled. */
export function requestPath(spec: RequestSpec, defaultNamespace: string): string {
  const info = spec.resource;
  const namespace = requestNamespace(spec, defaultNamespace);
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
  const name = encodeURIComponent(segmentOf(spec, "name", spec.name));
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

/** `?a=1&b=x`: undefined skipped, booleans and numbers as text, arrays repeated. */
export function queryString(q: Record<string, unknown> | undefined): string {
  if (!q) return "";
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(q)) {
    if (v === undefined || v === null) continue;
    if (Array.isArray(v)) for (const x of v) p.append(k, String(x));
    else p.append(k, String(v));
  }
  const s = p.toString();
  return s ? `?${s}` : "";
}
