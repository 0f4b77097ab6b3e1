// The fake apiserver's verbs, apart from HTTP: a request (method, path, query, body) in, a
// Status-shaped answer out. The store is the only state; every write goes through `write`,
// which does for every verb what the apiserver's generic registry does (preconditions,
// metadata, status and spec kept apart, generation, managedFields, finalizers, events).

import { randomUUID } from "node:crypto";
import { isDeepStrictEqual } from "node:util";
import { parse as parseYaml } from "yaml";
import { setLongTimeout } from "../../core/timers.js";
import { admitMeta, admitSchema, duplicateFields, prune, unknownFields } from "./admission.js";
import {
  ApplyError,
  conflictCauses,
  conflictMessage,
  type ResetFields,
  serverSideApply,
  trackUpdate,
} from "./apply.js";
import { applyJsonPatch, applyMergePatch, applyStrategicMergePatch, PatchError } from "./patch.js";
import type { FakeResource } from "./resources.js";
import { parseFieldSelector, parseLabelSelector, SelectorError } from "./selectors.js";
import {
  alreadyExists,
  badRequest,
  conflict,
  failure,
  invalid,
  methodNotAllowed,
  notFound,
  notFoundPath,
  raise,
  STALE,
  type StatusAnswer,
  StatusError,
  success,
} from "./status.js";
import { copy, deepFreeze, type Meta, type Obj, type Store } from "./store.js";
import type { WatchRequest } from "./watch.js";

/** A request as the engine takes it. */
export interface EngineRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly contentType: string | undefined;
  readonly userAgent: string | undefined;
  readonly body: string;
}

/** What the engine answers: JSON with a status code, or a watch to stream. */
export type EngineAnswer =
  | { readonly code: number; readonly body: unknown; readonly warnings?: readonly string[] }
  | { readonly watch: WatchRequest };

/** Where a request points. */
export interface Target {
  readonly res: FakeResource;
  readonly namespace: string | undefined;
  readonly name: string | undefined;
  readonly sub: string | undefined;
}

/** The engine's knobs. */
export interface EngineOptions {
  readonly bookmarkIntervalMs: number;
  /** Called when a CustomResourceDefinition is written or removed, to serve its resources. */
  readonly onCrd: (crd: Obj, removed: boolean) => void;
}

const NS_STORAGE = "/namespaces";
const NAMESPACE_FINALIZE_MS = 100;
const CRD_STORAGE = "apiextensions.k8s.io/customresourcedefinitions";

const now = () => new Date().toISOString().replace(/\.\d+Z$/, "Z");
const q = (v: unknown) => JSON.stringify(v);

// generateName's suffix alphabet, as apiserver's names.SimpleNameGenerator (no vowels, no
// look-alikes).
const ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const suffix = () =>
  Array.from({ length: 5 }, () => ALPHABET[Math.floor(Math.random() * ALPHABET.length)]).join("");

// Kinds whose DELETE answers the deleted object (their stores set ReturnDeletedObject); the
// rest answer a Success Status (measured on kube-apiserver 1.37).
const RETURNS_DELETED = new Set(["/serviceaccounts", "/pods", "/services", "/namespaces"]);
// batch/v1 Jobs orphan their pods unless told otherwise (the server warns of it).
const ORPHAN_BY_DEFAULT = new Set(["batch/jobs"]);

/** The verbs over one store and table of resources. */
export class Engine {
  readonly #store: Store;
  readonly #o: EngineOptions;
  readonly #snapshots = new Map<string, Obj[]>();

  constructor(store: Store, options: EngineOptions) {
    this.#store = store;
    this.#o = options;
  }

  /** Answers one request aimed at a resource. */
  handle(t: Target, req: EngineRequest, verb: string): EngineAnswer {
    try {
      return this.#dispatch(t, req, verb);
    } catch (e) {
      if (e instanceof StatusError) return { code: e.answer.code, body: e.answer.body };
      if (e instanceof SelectorError) return statusOf(badRequest(e.message));
      // A patch the library refuses: 422s carry empty details, as NewGenericServerResponse's.
      if (e instanceof PatchError)
        return statusOf(failure(e.status, e.message, undefined, e.status === 422 ? {} : undefined));
      if (e instanceof ApplyError) return statusOf(failure(e.status, e.message, e.reason));
      throw e;
    }
  }

  #dispatch(t: Target, req: EngineRequest, verb: string): EngineAnswer {
    const { res } = t;
    if (!res.verbs.includes(verb === "apply" ? "patch" : verb) && !t.sub) raise(methodNotAllowed());
    if (t.sub && !res.subresources.includes(t.sub)) raise(notFoundPath());
    if (t.sub && !["status", "scale"].includes(t.sub)) raise(methodNotAllowed());
    const dryRun = req.query.getAll("dryRun").includes("All");
    if (req.query.getAll("dryRun").some((v) => v !== "All")) {
      raise(
        invalid({ group: "meta.k8s.io", kind: optionsKind(verb) }, "", [
          {
            reason: "FieldValueNotSupported",
            field: "dryRun",
            message: `Unsupported value: ${goStrings(req.query.getAll("dryRun"), "[")}: supported values: "All"`,
          },
        ]),
      );
    }
    switch (verb) {
      case "get":
        return this.#get(t);
      case "list":
        return this.#list(t, req.query);
      case "watch":
        return { watch: this.watchRequest(t, req.query) };
      case "create":
        if (t.sub) raise(methodNotAllowed());
        return this.#create(t, req, dryRun);
      case "update":
        return this.#replace(t, req, dryRun);
      case "patch":
      case "apply":
        return this.#patch(t, req, dryRun);
      case "delete":
        return this.#deleteOne(t, req, dryRun);
      case "deletecollection":
        return this.#deleteCollection(t, req, dryRun);
      default:
        raise(methodNotAllowed());
    }
  }

  // --- reads ---------------------------------------------------------------------------

  #live(t: Target): Obj {
    const o = this.#store.get(t.res.storage, t.res.namespaced ? t.namespace : undefined, t.name ?? "");
    if (!o) raise(notFound(t.res, t.name ?? ""));
    return o;
  }

  #get(t: Target): EngineAnswer {
    const o = this.#live(t);
    if (t.sub === "scale") return { code: 200, body: scaleOf(t.res, o) };
    return { code: 200, body: view(t.res, o) };
  }

  #filter(t: Target, query: URLSearchParams): (o: Obj) => boolean {
    const labels = parseLabelSelector(query.get("labelSelector") ?? "");
    const fields = parseFieldSelector(query.get("fieldSelector") ?? "", t.res.fieldLabels);
    const ns = t.res.namespaced ? t.namespace : undefined;
    return (o) =>
      (ns === undefined || o.metadata.namespace === ns) &&
      labels.matches(o.metadata.labels) &&
      fields.matches(o);
  }

  #list(t: Target, query: URLSearchParams): EngineAnswer {
    const match = this.#filter(t, query);
    const rvParam = query.get("resourceVersion") ?? "";
    const rvMatch = query.get("resourceVersionMatch") ?? "";
    if (rvMatch && !rvParam) {
      raise(
        invalid({ group: "meta.k8s.io", kind: "ListOptions" }, "", [
          {
            reason: "FieldValueForbidden",
            field: "resourceVersionMatch",
            message: "Forbidden: resourceVersionMatch is forbidden unless resourceVersion is provided",
          },
        ]),
      );
    }
    if (rvMatch === "Exact" && Number(rvParam) < this.#store.oldest) {
      raise(failure(410, `too old resource version: ${rvParam} (${this.#store.oldest})`, "Expired"));
    }
    const limit = Number(query.get("limit") ?? 0);
    const token = query.get("continue");
    let all: Obj[];
    let rv: number;
    let start = 0;
    let id: string;
    if (token) {
      const c = decodeContinue(token);
      const snap = c && this.#snapshots.get(c.id);
      if (!c || !snap || c.rv < this.#store.oldest) {
        raise(
          failure(
            410,
            "The provided continue parameter is too old to display a consistent list result. You can start a new list without the continue parameter, or use the continue token in this response to retrieve the remainder of the results. Continuing with the provided token results in an inconsistent list - objects that were created, modified, or deleted between the time the first chunk was returned and now may show up in the list.",
            "Expired",
          ),
        );
      }
      all = snap;
      rv = c.rv;
      start = c.start;
      id = c.id;
    } else {
      all = this.#store.list(t.res.storage).filter(match);
      rv = this.#store.resourceVersion;
      id = randomUUID();
    }
    const metadata: Record<string, unknown> = { resourceVersion: String(rv) };
    let items = all.slice(start);
    if (limit > 0 && items.length > limit) {
      items = items.slice(0, limit);
      this.#snapshots.set(id, all);
      // Snapshots of paged lists are what etcd's MVCC would keep: bounded, oldest dropped first.
      while (this.#snapshots.size > 64) this.#snapshots.delete(this.#snapshots.keys().next().value as string);
      metadata.continue = encodeContinue({ rv, start: start + limit, id });
      if (!query.get("labelSelector") && !query.get("fieldSelector")) {
        metadata.remainingItemCount = all.length - start - limit;
      }
    } else if (t.res.custom) {
      // A custom resource's list is unstructured: its continue is written even when empty.
      metadata.continue = "";
    }
    return {
      code: 200,
      body: {
        kind: t.res.listKind,
        apiVersion: t.res.apiVersion,
        metadata,
        items: items.map((o) => listItem(t.res, o)),
      },
    };
  }

  /** What a watch of this target streams. */
  watchRequest(t: Target, query: URLSearchParams): WatchRequest {
    const match = this.#filter(t, query);
    const sendInitialEvents = query.get("sendInitialEvents") === "true";
    const bookmarks = query.get("allowWatchBookmarks") === "true" || query.get("allowWatchBookmarks") === "1";
    if (sendInitialEvents && (query.get("resourceVersionMatch") !== "NotOlderThan" || !bookmarks)) {
      raise(
        invalid({ group: "meta.k8s.io", kind: "ListOptions" }, "", [
          {
            reason: "FieldValueForbidden",
            field: "sendInitialEvents",
            message:
              "Forbidden: sendInitialEvents is forbidden for watch unless resourceVersionMatch=NotOlderThan and allowWatchBookmarks=true",
          },
        ]),
      );
    }
    const timeout = Number(query.get("timeoutSeconds") ?? 0);
    const rv = query.get("resourceVersion") ?? undefined;
    return {
      storage: t.res.storage,
      apiVersion: t.res.apiVersion,
      kind: t.res.kind,
      resourceVersion: rv,
      sendInitialEvents,
      bookmarks,
      // As the apiserver, a watch without timeoutSeconds ends after a while (its default is 30–60 min).
      timeoutMs: (timeout > 0 ? timeout : 1800) * 1000,
      bookmarkIntervalMs: this.#o.bookmarkIntervalMs,
      matches: match,
      initial: () => this.#store.list(t.res.storage).filter(match),
      view: (o) => view(t.res, o),
    };
  }

  // --- writes --------------------------------------------------------------------------

  #body(req: EngineRequest): Record<string, unknown> {
    let v: unknown;
    try {
      v = JSON.parse(req.body);
    } catch (e) {
      raise(badRequest(`the body of the request could not be decoded as JSON: ${(e as Error).message}`));
    }
    if (!v || typeof v !== "object" || Array.isArray(v))
      raise(badRequest("the body of the request is not a JSON object"));
    return v as Record<string, unknown>;
  }

  /** The body's apiVersion and kind, checked against the endpoint's (defaulted when absent). */
  #typed(
    t: Target,
    body: Record<string, unknown>,
    expect = { apiVersion: t.res.apiVersion, kind: t.res.kind },
  ): Record<string, unknown> {
    if (body.apiVersion !== undefined && body.apiVersion !== expect.apiVersion) {
      raise(
        badRequest(
          `the API version in the data (${String(body.apiVersion)}) does not match the expected API version (${expect.apiVersion})`,
        ),
      );
    }
    if (body.kind !== undefined && body.kind !== expect.kind) {
      raise(
        badRequest(
          `${String(body.kind)} in version ${q(t.res.version)} cannot be handled as a ${expect.kind}: no kind ${q(body.kind)} is registered for version ${q(expect.apiVersion)}`,
        ),
      );
    }
    return { ...body, apiVersion: expect.apiVersion, kind: expect.kind };
  }

  #namespaceOf(t: Target, body: Record<string, unknown>): string | undefined {
    if (!t.res.namespaced) return undefined;
    const meta = (body.metadata ?? {}) as Record<string, unknown>;
    if (meta.namespace !== undefined && meta.namespace !== "" && meta.namespace !== t.namespace) {
      raise(
        badRequest("the namespace of the provided object does not match the namespace sent on the request"),
      );
    }
    return t.namespace;
  }

  /** NamespaceLifecycle: no new objects in a namespace that does not exist or is going away. */
  #admitNamespace(res: FakeResource, name: string, namespace: string | undefined) {
    if (namespace === undefined) return;
    const ns = this.#store.get(NS_STORAGE, undefined, namespace);
    if (!ns) raise(notFound({ group: "", plural: "namespaces" }, namespace));
    if (ns.metadata.deletionTimestamp) {
      const r = res.group ? `${res.plural}.${res.group}` : res.plural;
      raise(
        failure(
          403,
          `${r} ${q(name)} is forbidden: unable to create new content in namespace ${namespace} because it is being terminated`,
          "Forbidden",
          {
            name,
            ...(res.group ? { group: res.group } : {}),
            kind: res.plural,
            causes: [
              {
                reason: "NamespaceTerminating",
                message: `namespace ${namespace} is being terminated`,
                field: "metadata.namespace",
              },
            ],
          },
        ),
      );
    }
  }

  #manager(req: EngineRequest): string {
    const given = req.query.get("fieldManager");
    if (given !== null) {
      if (given.length > 128)
        raise(
          invalid({ group: "meta.k8s.io", kind: "PatchOptions" }, "", [
            {
              reason: "FieldValueTooLong",
              field: "fieldManager",
              message: "Too long: may not be more than 128 bytes",
            },
          ]),
        );
      return given;
    }
    // As the apiserver: a request that names no manager is managed by its User-Agent's product.
    const ua = (req.userAgent ?? "").split("/")[0] ?? "";
    return ua.slice(0, 128) || "unknown";
  }

  /** Unknown fields dropped (Warning header) or refused (Strict), then the schema's verdict. */
  #admit(
    t: Target,
    obj: Record<string, unknown>,
    req: EngineRequest,
  ): { obj: Record<string, unknown>; warnings: string[] } {
    const unknown: string[] = [];
    const pruned = prune(t.res, obj, unknown);
    const validation = req.query.get("fieldValidation") ?? undefined;
    if (req.method === "PATCH" && validation === "Strict" && unknown.length) {
      // A patch's strict decoding fails on the patched object, which the Invalid quotes whole.
      const sorted = Object.fromEntries(Object.entries(obj).sort(([a], [b]) => (a < b ? -1 : 1)));
      const message = `Invalid value: ${q(JSON.stringify(sorted))}: strict decoding error: ${unknown.map((u) => `unknown field ${q(u)}`).join(", ")}`;
      raise(
        failure(422, ` "" is invalid: patch: ${message}`, "Invalid", {
          causes: [{ reason: "FieldValueInvalid", message, field: "patch" }],
        }),
      );
    }
    const warnings = unknownFields(t.res, unknown, validation);
    if (req.method === "POST" || req.method === "PUT") {
      const dups = duplicateFields(req.body).map((d) => `duplicate field ${q(d)}`);
      if (dups.length && validation === "Strict") {
        raise(
          badRequest(
            `${t.res.kind} in version ${q(t.res.version)} cannot be handled as a ${t.res.kind}: strict decoding error: ${dups.join(", ")}`,
          ),
        );
      }
      if (validation !== "Ignore") warnings.unshift(...dups);
    }
    admitMeta(t.res, (pruned.metadata ?? {}) as Record<string, unknown>);
    admitSchema(t.res, pruned);
    return { obj: pruned, warnings };
  }

  #create(t: Target, req: EngineRequest, dryRun: boolean): EngineAnswer {
    const body = decoded(t, this.#typed(t, this.#body(req)));
    const namespace = this.#namespaceOf(t, body);
    const meta = { ...((body.metadata ?? {}) as Record<string, unknown>) };
    if (
      (meta.name === undefined || meta.name === "") &&
      typeof meta.generateName === "string" &&
      meta.generateName
    ) {
      meta.name = `${meta.generateName}${suffix()}`;
    }
    // NamespaceLifecycle is admission: it answers before validation does.
    this.#admitNamespace(t.res, String(meta.name ?? ""), namespace);
    const { obj, warnings } = this.#admit(t, { ...body, metadata: meta }, req);
    if (this.#store.get(t.res.storage, namespace, String(meta.name)))
      raise(alreadyExists(t.res, String(meta.name)));
    const created = this.#fresh(t, obj, namespace);
    const manager = this.#manager(req);
    // managedFields see the object as decoded (defaults included); what the strategy sets after
    // (a namespace's finalizer, a CRD's status) is nobody's.
    const tracked = trackUpdate(t.res.custom ? undefined : zeroValue(created), created, {
      manager,
      apiVersion: t.res.apiVersion,
      now: now(),
      shape: t.res.shape(),
      reset: resetFields(t),
    }) as Obj;
    this.#serverSet(t, tracked);
    if (!dryRun) this.#commit(t.res, tracked);
    else delete (tracked.metadata as Partial<Meta>).resourceVersion;
    return {
      code: 201,
      body: view(t.res, this.#store.get(t.res.storage, namespace, tracked.metadata.name) ?? tracked),
      warnings,
    };
  }

  /** A new object's server-set metadata, and its status cleared when a subresource owns it. */
  #fresh(t: Target, obj: Record<string, unknown>, namespace: string | undefined): Obj {
    const m = { ...((obj.metadata ?? {}) as Record<string, unknown>) };
    for (const k of [
      "uid",
      "resourceVersion",
      "creationTimestamp",
      "deletionTimestamp",
      "deletionGracePeriodSeconds",
      "generation",
      "selfLink",
      "managedFields",
    ]) {
      delete m[k];
    }
    const meta = {
      ...m,
      ...(namespace !== undefined ? { namespace } : {}),
      uid: randomUUID(),
      resourceVersion: "",
      ...(t.res.generation ? { generation: 1 } : {}),
      creationTimestamp: now(),
    } as unknown as Meta;
    if (!t.res.namespaced) delete meta.namespace;
    const out: Obj = { ...obj, metadata: orderMeta(meta) };
    if (t.res.storage === NS_STORAGE) {
      // As the apiserver's NamespaceDefaultLabelName: every namespace is labelled with its name,
      // before managedFields are taken (the creator owns the label).
      out.metadata.labels = {
        ...(out.metadata.labels ?? {}),
        "kubernetes.io/metadata.name": out.metadata.name,
      };
    }
    if (t.res.storage === CRD_STORAGE) {
      // A decoding default: the creator owns it.
      const spec = (out.spec ?? {}) as Record<string, unknown>;
      if (spec.conversion === undefined) {
        const { group, names, scope, versions, ...rest } = spec;
        out.spec = { conversion: { strategy: "None" }, group, names, scope, versions, ...rest };
      }
    }
    return out;
  }

  /** What a create's strategy sets after managedFields are taken (PrepareForCreate). */
  #serverSet(t: Target, out: Obj) {
    if (t.res.storage === NS_STORAGE) {
      out.spec = { finalizers: ["kubernetes"] };
      out.status = { phase: "Active" };
    }
    if (t.res.storage === CRD_STORAGE) {
      const versions = (out.spec as { versions?: { name: string; storage?: boolean }[] }).versions ?? [];
      out.status = {
        acceptedNames: { kind: "", plural: "" },
        conditions: null,
        storedVersions: versions.filter((v) => v.storage).map((v) => v.name),
      };
    }
  }

  /**
   * The apiserver's naming controller: a new CRD's names accepted and the CRD Established, as a
   * status write of its own (its own resourceVersion and managedFields entry) just after create.
   */
  #establish(name: string) {
    const res = this.resourceOf(CRD_STORAGE);
    const cur = this.#store.get(CRD_STORAGE, undefined, name);
    if (!res || !cur) return;
    const next = copy(view(res, cur)) as Obj;
    next.status = crdStatus(next);
    const tracked = trackUpdate(view(res, cur), next, {
      manager: "kube-apiserver",
      apiVersion: res.apiVersion,
      now: now(),
      shape: res.shape(),
      subresource: "status",
      reset: [["spec"]],
    }) as Obj;
    this.#commit(res, tracked);
  }

  #replace(t: Target, req: EngineRequest, dryRun: boolean): EngineAnswer {
    if (t.sub === "scale")
      return this.#writeScale(
        t,
        req,
        this.#typed(t, this.#body(req), { apiVersion: "autoscaling/v1", kind: "Scale" }),
        dryRun,
      );
    const body = decoded(t, this.#typed(t, this.#body(req)));
    this.#namespaceOf(t, body);
    const meta = (body.metadata ?? {}) as Record<string, unknown>;
    if (meta.name !== undefined && meta.name !== t.name) {
      raise(
        badRequest(
          `the name of the object (${String(meta.name)}) does not match the name on the URL (${t.name})`,
        ),
      );
    }
    const old = this.#live(t);
    const rv = meta.resourceVersion;
    if (rv === undefined || rv === "") {
      // Custom resources require optimistic concurrency (AllowUnconditionalUpdate is false).
      if (t.res.custom) {
        raise(
          // The custom resource strategy names the resource here, not the kind.
          invalid({ group: t.res.group, kind: t.res.plural }, t.name ?? "", [
            {
              reason: "FieldValueInvalid",
              field: "metadata.resourceVersion",
              message: "Invalid value: 0: must be specified for an update",
            },
          ]),
        );
      }
    } else if (rv !== old.metadata.resourceVersion) raise(conflict(t.res, t.name ?? "", STALE));
    if (meta.uid !== undefined && meta.uid !== "" && meta.uid !== old.metadata.uid) {
      // The uid is a precondition of the storage layer's write.
      raise(
        conflict(
          t.res,
          t.name ?? "",
          `StorageError: invalid object, Code: 4, Key: /registry/${t.res.group ? `${t.res.group}/` : ""}${t.res.plural}/${t.res.namespaced ? `${t.namespace}/` : ""}${t.name}, ResourceVersion: 0, AdditionalErrorMsg: Precondition failed: UID in precondition: ${String(meta.uid)}, UID in object meta: ${old.metadata.uid}`,
        ),
      );
    }
    const next = { ...body, metadata: { ...meta, name: t.name } };
    return this.#update(t, req, old, next, dryRun, "Update");
  }

  #patch(t: Target, req: EngineRequest, dryRun: boolean): EngineAnswer {
    const type = (req.contentType ?? "").split(";")[0]?.trim().toLowerCase();
    const isApply = type === "application/apply-patch+yaml";
    if (isApply) return this.#apply(t, req, dryRun);
    const old = this.#live(t);
    const base: unknown = t.sub === "scale" ? scaleOf(t.res, old) : view(t.res, old);
    let patch: unknown;
    try {
      patch = JSON.parse(req.body);
    } catch (e) {
      raise(
        badRequest(
          type === "application/json-patch+json"
            ? `error decoding patch: ${(e as Error).message}`
            : "invalid JSON patch",
        ),
      );
    }
    if (type === "application/json-patch+json" && !Array.isArray(patch)) {
      raise(
        badRequest(
          `error decoding patch: json: cannot unmarshal ${patch === null ? "null" : typeof patch === "object" ? "object" : typeof patch} into Go value of type []handlers.jsonPatchOp`,
        ),
      );
    }
    let patched: unknown;
    if (type === "application/json-patch+json") patched = applyJsonPatch(base, patch);
    else if (type === "application/merge-patch+json") patched = applyMergePatch(base, patch);
    else if (type === "application/strategic-merge-patch+json" && !t.res.custom) {
      patched = applyStrategicMergePatch(
        base,
        patch,
        t.sub === "scale" ? { kind: "untyped" } : t.res.shape(),
      );
    } else {
      raise(
        failure(
          415,
          `the body of the request was in an unknown format - accepted media types include: application/json-patch+json, application/merge-patch+json, ${t.res.custom ? "" : "application/strategic-merge-patch+json, "}application/apply-patch+yaml`,
          "UnsupportedMediaType",
        ),
      );
    }
    if (!patched || typeof patched !== "object" || Array.isArray(patched))
      raise(badRequest("the patched object is not a JSON object"));
    const p = patched as Record<string, unknown>;
    if (t.sub === "scale") return this.#writeScale(t, req, p, dryRun);
    const typed = decoded(t, this.#typed(t, p));
    const meta = (typed.metadata ?? {}) as Record<string, unknown>;
    if (meta.resourceVersion !== undefined && meta.resourceVersion !== old.metadata.resourceVersion) {
      raise(conflict(t.res, t.name ?? "", STALE));
    }
    if (meta.name !== t.name)
      raise(badRequest(`metadata.name: Invalid value: ${q(meta.name)}: field is immutable`));
    return this.#update(t, req, old, typed, dryRun, "Update");
  }

  #apply(t: Target, req: EngineRequest, dryRun: boolean): EngineAnswer {
    const manager = req.query.get("fieldManager");
    if (!manager) {
      raise(
        invalid({ group: "meta.k8s.io", kind: "PatchOptions" }, "", [
          {
            reason: "FieldValueRequired",
            field: "fieldManager",
            message: "Required value: is required for apply patch",
          },
        ]),
      );
    }
    let config: unknown;
    try {
      // YAML 1.1, as sigs.k8s.io/yaml reads it: `y`, `on` and `yes` are true, even as keys.
      config = parseYaml(req.body, { maxAliasCount: 100, version: "1.1" });
    } catch (e) {
      raise(badRequest(`error decoding YAML: ${(e as Error).message}`));
    }
    if (!config || typeof config !== "object" || Array.isArray(config))
      raise(badRequest("the apply configuration is not an object"));
    const c = config as Record<string, unknown>;
    if (c.apiVersion === undefined || c.kind === undefined) {
      raise(badRequest("invalid object type: /, Kind="));
    }
    const typed = this.#typed(t, c);
    const meta = (typed.metadata ?? {}) as Record<string, unknown>;
    if (meta.name !== undefined && meta.name !== t.name) {
      raise(
        badRequest(
          `the name of the object (${String(meta.name)}) does not match the name on the URL (${t.name})`,
        ),
      );
    }
    this.#namespaceOf(t, typed);
    const old = this.#store.get(t.res.storage, t.res.namespaced ? t.namespace : undefined, t.name ?? "");
    if (old && meta.resourceVersion !== undefined && meta.resourceVersion !== old.metadata.resourceVersion) {
      raise(conflict(t.res, t.name ?? "", STALE));
    }
    // Apply types the configuration against the schema before anything else: an unknown field
    // is a 500 whatever fieldValidation says.
    const unknown: string[] = [];
    prune(t.res, typed, unknown);
    if (unknown.length) {
      const ns = String(meta.namespace ?? "");
      raise(
        failure(
          500,
          `failed to create typed patch object (${ns}/${t.name}; ${t.res.group}/${t.res.version}, Kind=${t.res.kind}): .${unknown[0]}: field not declared in schema`,
          "",
        ),
      );
    }
    const force = req.query.get("force") === "true";
    const result = serverSideApply(
      old ? view(t.res, old) : undefined,
      { ...typed, metadata: { ...meta, name: t.name } },
      {
        manager,
        apiVersion: t.res.apiVersion,
        now: now(),
        shape: t.res.shape(),
        force,
        ...(t.sub ? { subresource: t.sub } : {}),
        reset: resetFields(t),
      },
    );
    if ("conflicts" in result) {
      raise(
        failure(409, conflictMessage(result.conflicts), "Conflict", {
          causes: conflictCauses(result.conflicts).map((c) => ({
            reason: c.type,
            message: c.message,
            field: c.field,
          })),
        }),
      );
    }
    const merged = result.object as Record<string, unknown>;
    if (!old) {
      const namespace = this.#namespaceOf(t, merged);
      this.#admitNamespace(t.res, t.name ?? "", namespace);
      const { obj, warnings } = this.#admit(t, merged, req);
      const created = this.#fresh(t, obj, namespace);
      created.metadata.managedFields = (merged.metadata as Meta).managedFields;
      this.#serverSet(t, created);
      if (!dryRun) this.#commit(t.res, created);
      else delete (created.metadata as Partial<Meta>).resourceVersion;
      return { code: 201, body: view(t.res, created), warnings };
    }
    return this.#update(t, req, old, merged, dryRun, "Apply");
  }

  /**
   * Every update's path (PUT, patches, apply, /status): server-owned metadata kept, status and
   * spec kept apart by endpoint, admission, generation, managedFields, no write when nothing
   * changed, and a deletion completed when its last finalizer goes.
   */
  #update(
    t: Target,
    req: EngineRequest,
    old: Obj,
    body: Record<string, unknown>,
    dryRun: boolean,
    operation: "Update" | "Apply",
  ): EngineAnswer {
    const res = t.res;
    let next: Record<string, unknown> = { ...body, apiVersion: res.apiVersion, kind: res.kind };
    const hasStatus = res.subresources.includes("status");
    if (t.sub === "status") {
      // The status endpoint writes status alone (and the managedFields that track it).
      next = {
        ...copy(view(res, old)),
        status: next.status,
        metadata: {
          ...copy(old.metadata),
          managedFields: (next.metadata as Meta | undefined)?.managedFields ?? old.metadata.managedFields,
        },
      };
    } else if (hasStatus) {
      if (old.status === undefined) delete next.status;
      else next.status = copy(old.status);
    }
    const { obj, warnings } = this.#admit(t, next, req);
    const meta = { ...((obj.metadata ?? {}) as Record<string, unknown>) };
    for (const k of [
      "uid",
      "creationTimestamp",
      "deletionTimestamp",
      "deletionGracePeriodSeconds",
      "generation",
      "namespace",
      "selfLink",
    ]) {
      if (old.metadata[k] === undefined) delete meta[k];
      else meta[k] = old.metadata[k];
    }
    meta.name = old.metadata.name;
    if (old.metadata.deletionTimestamp) {
      const added = ((meta.finalizers as string[] | undefined) ?? []).filter(
        (f) => !(old.metadata.finalizers ?? []).includes(f),
      );
      if (added.length) {
        raise(
          invalid(res, old.metadata.name, [
            {
              reason: "FieldValueForbidden",
              field: "metadata.finalizers",
              message: `Forbidden: no new finalizers can be added if the object is being deleted, found new finalizers ${goStrings(added, "[]string{")}`,
            },
          ]),
        );
      }
    }
    let out = { ...obj, metadata: meta } as Obj;
    if (res.generation && t.sub !== "status" && !isDeepStrictEqual(specOf(old), specOf(out))) {
      out.metadata.generation = Number(old.metadata.generation ?? 0) + 1;
    }
    if (operation === "Update") {
      const before = view(res, old);
      out = trackUpdate(before, out, {
        manager: this.#manager(req),
        apiVersion: res.apiVersion,
        now: now(),
        shape: res.shape(),
        ...(t.sub ? { subresource: t.sub } : {}),
        reset: resetFields(t),
      }) as Obj;
    }
    out.metadata.resourceVersion = old.metadata.resourceVersion;
    out.metadata = orderMeta({
      ...out.metadata,
      ...settled(out.metadata.managedFields),
    });
    if (isDeepStrictEqual(stripped(out), stripped(view(res, old))))
      return { code: 200, body: view(res, old), warnings };
    if (dryRun) return { code: 200, body: view(res, out), warnings };
    const finishing = out.metadata.deletionTimestamp && !(out.metadata.finalizers ?? []).length;
    if (finishing) {
      this.#store.remove(res.storage, old);
      this.#removed(res, old);
      // The answer is the object as it was last stored, with its finalizers gone.
      return { code: 200, body: view(res, out), warnings };
    }
    this.#commit(res, out);
    return {
      code: 200,
      body: view(res, this.#store.get(res.storage, out.metadata.namespace, out.metadata.name) as Obj),
      warnings,
    };
  }

  #writeScale(t: Target, req: EngineRequest, scale: Record<string, unknown>, dryRun: boolean): EngineAnswer {
    const old = this.#live(t);
    const meta = (scale.metadata ?? {}) as Record<string, unknown>;
    if (
      meta.resourceVersion !== undefined &&
      meta.resourceVersion !== "" &&
      meta.resourceVersion !== old.metadata.resourceVersion
    ) {
      raise(conflict(t.res, t.name ?? "", STALE));
    }
    const replicas = (scale.spec as { replicas?: unknown } | undefined)?.replicas;
    if (
      replicas !== undefined &&
      (typeof replicas !== "number" || !Number.isInteger(replicas) || replicas < 0)
    ) {
      raise(
        invalid({ group: "autoscaling", kind: "Scale" }, t.name ?? "", [
          {
            reason: "FieldValueInvalid",
            field: "spec.replicas",
            message: `Invalid value: ${q(replicas)}: must be greater than or equal to 0`,
          },
        ]),
      );
    }
    const next = copy(view(t.res, old)) as Record<string, unknown>;
    setPath(next, scalePaths(t.res).spec, replicas ?? 0);
    const a = this.#update({ ...t, sub: "scale" }, req, old, next, dryRun, "Update");
    if ("watch" in a || a.code >= 300) return a;
    // The scale subresource's entry is converted from the Scale's own, and carries no time.
    const stored = this.#store.get(t.res.storage, old.metadata.namespace, old.metadata.name);
    if (stored && !dryRun) {
      const fields = (stored.metadata.managedFields as Record<string, unknown>[] | undefined) ?? [];
      if (fields.some((f) => f.subresource === "scale" && f.time !== undefined)) {
        const next = copy(stored) as Obj;
        const mapped = fields.map((f) => {
          if (f.subresource !== "scale") return f;
          const { time: _t, ...rest } = f;
          return rest;
        });
        next.metadata.managedFields = settled(mapped).managedFields as Meta["managedFields"];
        // Written in place: the same change, not a second one.
        this.#store.replace(t.res.storage, next);
      }
    }
    return {
      code: 200,
      body: scaleOf(
        t.res,
        (this.#store.get(t.res.storage, old.metadata.namespace, old.metadata.name) ?? a.body) as Obj,
      ),
    };
  }

  /** Stores a write: the next resourceVersion, then the event. */
  #commit(res: FakeResource, o: Obj) {
    const created = o.metadata.resourceVersion === "";
    o.metadata.resourceVersion = this.#store.next();
    this.#store.put(res.storage, o);
    if (res.storage === CRD_STORAGE) {
      this.#o.onCrd(o, false);
      if (created) queueMicrotask(() => this.#establish(o.metadata.name));
    }
  }

  // --- deletes -------------------------------------------------------------------------

  #deleteOptions(req: EngineRequest): Record<string, unknown> {
    const opts: Record<string, unknown> = {};
    if (req.body.trim()) {
      try {
        Object.assign(opts, JSON.parse(req.body));
      } catch (e) {
        raise(badRequest(`error decoding DeleteOptions: ${(e as Error).message}`));
      }
    }
    const p = req.query.get("propagationPolicy");
    if (p) opts.propagationPolicy = p;
    const g = req.query.get("gracePeriodSeconds");
    if (g) opts.gracePeriodSeconds = Number(g);
    const policy = opts.propagationPolicy;
    if (policy !== undefined && !["Orphan", "Background", "Foreground"].includes(String(policy))) {
      raise(
        invalid({ group: "meta.k8s.io", kind: "DeleteOptions" }, "", [
          {
            reason: "FieldValueNotSupported",
            field: "propagationPolicy",
            message: `Unsupported value: ${q(policy)}: supported values: "Foreground", "Background", "Orphan", "nil"`,
          },
        ]),
      );
    }
    return opts;
  }

  #deleteOne(t: Target, req: EngineRequest, dryRun: boolean): EngineAnswer {
    if (t.sub) raise(methodNotAllowed());
    const o = this.#live(t);
    const opts = this.#deleteOptions(req);
    const pre = (opts.preconditions ?? {}) as { uid?: string; resourceVersion?: string };
    if (pre.uid && pre.uid !== o.metadata.uid) {
      raise(
        // The delete path's precondition error names the kind (storage's NewConflict with the object's kind).
        conflict(
          { group: t.res.group, plural: t.res.kind },
          o.metadata.name,
          `the UID in the precondition (${pre.uid}) does not match the UID in record (${o.metadata.uid}). The object might have been deleted and then recreated`,
        ),
      );
    }
    if (pre.resourceVersion && pre.resourceVersion !== o.metadata.resourceVersion) {
      raise(
        conflict(
          { group: t.res.group, plural: t.res.kind },
          o.metadata.name,
          `the ResourceVersion in the precondition (${pre.resourceVersion}) does not match the ResourceVersion in record (${o.metadata.resourceVersion}). The object might have been modified`,
        ),
      );
    }
    return this.#delete(t.res, o, opts, dryRun);
  }

  #delete(
    res: FakeResource,
    o: Obj,
    opts: Record<string, unknown>,
    dryRun: boolean,
  ): { code: number; body: unknown } {
    const policy = String(
      opts.propagationPolicy ?? (ORPHAN_BY_DEFAULT.has(res.storage) ? "Orphan" : "Background"),
    );
    const finalizers = [...(o.metadata.finalizers ?? [])];
    if (
      policy === "Orphan" &&
      (o.metadata.ownerReferences !== undefined || this.#store.dependents(o.metadata.uid).length)
    ) {
      if (!finalizers.includes("orphan")) finalizers.push("orphan");
    }
    if (policy === "Foreground" && !finalizers.includes("foregroundDeletion"))
      finalizers.push("foregroundDeletion");
    const isNamespace = res.storage === NS_STORAGE;
    if (finalizers.length || isNamespace) {
      if (o.metadata.deletionTimestamp && isDeepStrictEqual(finalizers, o.metadata.finalizers ?? [])) {
        return { code: 200, body: view(res, o) };
      }
      const marked = copy(o) as Obj;
      marked.metadata.deletionTimestamp ??= now();
      if (!isNamespace) marked.metadata.deletionGracePeriodSeconds ??= 0;
      if (finalizers.length) marked.metadata.finalizers = finalizers;
      if (isNamespace) marked.status = { ...((marked.status as object) ?? {}), phase: "Terminating" };
      marked.metadata = orderMeta(marked.metadata);
      if (res.generation) marked.metadata.generation = Number(o.metadata.generation ?? 0) + 1;
      if (dryRun) return { code: 200, body: view(res, marked) };
      this.#commit(res, marked);
      const answer = view(
        res,
        this.#store.get(res.storage, marked.metadata.namespace, marked.metadata.name) as Obj,
      );
      this.#collect(res, marked, policy);
      return { code: 200, body: answer };
    }
    if (dryRun) return { code: 200, body: deletedAnswer(res, o) };
    this.#store.remove(res.storage, o);
    this.#removed(res, o);
    return { code: 200, body: deletedAnswer(res, o) };
  }

  /** The garbage collector's and namespace controller's part of a deletion that waits on finalizers. */
  #collect(res: FakeResource, o: Obj, policy: string) {
    const uid = o.metadata.uid;
    const drop = (f: string) => {
      const cur = this.#store.get(res.storage, o.metadata.namespace, o.metadata.name);
      if (!cur || cur.metadata.uid !== uid || !(cur.metadata.finalizers ?? []).includes(f)) return;
      const next = copy(cur) as Obj;
      const left = (cur.metadata.finalizers ?? []).filter((x) => x !== f);
      if (left.length) next.metadata.finalizers = left;
      else delete next.metadata.finalizers;
      if (left.length) this.#commit(res, next);
      else {
        this.#store.remove(res.storage, cur);
        this.#removed(res, cur);
      }
    };
    if (policy === "Orphan") {
      for (const d of this.#store.dependents(uid)) this.#dropOwner(d.storage, d.object, uid);
      drop("orphan");
    } else if (policy === "Foreground") {
      for (const d of this.#store.dependents(uid)) {
        const dres = this.#resourceOf(d.storage);
        if (dres) this.#delete(dres, d.object, { propagationPolicy: "Foreground" }, false);
      }
      if (!this.#store.dependents(uid).length) drop("foregroundDeletion");
    }
    if (res.storage === NS_STORAGE) {
      // The namespace controller: its content goes, then its "kubernetes" finalizer, then it.
      // Not at once: for a moment the namespace is Terminating, as on a cluster (its controller
      // takes seconds), and a create in it is refused with 403.
      setLongTimeout(() => this.#finishNamespace(o.metadata.name), NAMESPACE_FINALIZE_MS).unref();
    }
  }

  #finishNamespace(name: string) {
    for (const { storage, object } of this.#store.inNamespace(name)) {
      const r = this.#resourceOf(storage);
      if (r) this.#delete(r, object, {}, false);
    }
    const ns = this.#store.get(NS_STORAGE, undefined, name);
    if (!ns?.metadata.deletionTimestamp) return;
    if (this.#store.inNamespace(name).length) return;
    const res = this.#resourceOf(NS_STORAGE) as FakeResource;
    if ((ns.metadata.finalizers ?? []).length) return;
    this.#store.remove(NS_STORAGE, ns);
    this.#removed(res, ns);
  }

  /** The garbage collector in background mode: dependents left with no owner go too. */
  #removed(res: FakeResource, o: Obj) {
    if (res.storage === CRD_STORAGE) this.#o.onCrd(o, true);
    const uid = o.metadata.uid;
    for (const d of this.#store.dependents(uid)) {
      const others = (d.object.metadata.ownerReferences ?? []).filter(
        (r) => r.uid !== uid && this.#store.hasUid(r.uid),
      );
      if (others.length) this.#dropOwner(d.storage, d.object, uid);
      else {
        const dres = this.#resourceOf(d.storage);
        if (dres) this.#delete(dres, d.object, { propagationPolicy: "Background" }, false);
      }
    }
  }

  #dropOwner(storage: string, o: Obj, uid: string) {
    const next = copy(o) as Obj;
    const refs = (o.metadata.ownerReferences ?? []).filter((r) => r.uid !== uid);
    if (refs.length) next.metadata.ownerReferences = refs;
    else delete next.metadata.ownerReferences;
    const res = this.resourceOf(storage);
    // The garbage collector's patch: the reference leaves every manager's set.
    const tracked = res
      ? (trackUpdate(view(res, o), next, {
          manager: "kube-controller-manager",
          apiVersion: res.apiVersion,
          now: now(),
          shape: res.shape(),
          reset: resetFields({ res, namespace: o.metadata.namespace, name: o.metadata.name, sub: undefined }),
        }) as Obj)
      : next;
    tracked.metadata.resourceVersion = this.#store.next();
    this.#store.put(storage, tracked);
  }

  #deleteCollection(t: Target, req: EngineRequest, dryRun: boolean): EngineAnswer {
    const match = this.#filter(t, req.query);
    const opts = this.#deleteOptions(req);
    const items: Obj[] = [];
    // The answer lists the objects as they were found, before each was deleted or marked.
    for (const o of this.#store.list(t.res.storage).filter(match)) {
      this.#delete(t.res, o, opts, dryRun);
      items.push(view(t.res, o));
    }
    return {
      code: 200,
      body: {
        kind: t.res.listKind,
        apiVersion: t.res.apiVersion,
        metadata: { resourceVersion: String(this.#store.resourceVersion) },
        items: items.map((o) => listItem(t.res, o)),
      },
    };
  }

  /** Set by the server: storage key -> a resource serving it, for the collector. */
  resourceOf: (storage: string) => FakeResource | undefined = () => undefined;
  #resourceOf(storage: string) {
    return this.resourceOf(storage);
  }

  /** Puts an object in, as a create would (for `objects` at start and `fake.add`). */
  seed(res: FakeResource, body: Record<string, unknown>): Obj {
    const req: EngineRequest = {
      method: "POST",
      path: "",
      query: new URLSearchParams({ fieldManager: "kubefetch-fake" }),
      contentType: "application/json",
      userAgent: "kubefetch-fake",
      body: JSON.stringify(body),
    };
    const namespace = res.namespaced
      ? String((body.metadata as Meta | undefined)?.namespace ?? "default")
      : undefined;
    const a = this.handle({ res, namespace, name: undefined, sub: undefined }, req, "create");
    if ("watch" in a) throw new Error("unreachable");
    if (a.code !== 201) {
      const m = (a.body as { message?: string }).message;
      throw new TypeError(
        `the fake refused ${res.kind} ${String((body.metadata as Meta | undefined)?.name)}: ${m}`,
      );
    }
    const b = a.body as Obj;
    return this.#store.get(res.storage, b.metadata.namespace, b.metadata.name) as Obj;
  }
}

/**
 * What an endpoint does not own (the strategies' GetResetFields): the main resource of a kind
 * with a status subresource leaves status alone, its /status endpoint leaves spec alone.
 */
function resetFields(t: Target): ResetFields {
  if (t.sub === "status") return [["spec"]];
  if (!t.sub && t.res.subresources.includes("status")) return [["status"]];
  return [];
}

type Entry = {
  operation?: string;
  time?: string;
  manager?: string;
  apiVersion?: string;
  subresource?: string;
};

/** managedFields in sortEncodedManagedFields' order (an entry without a time first). */
function settled(after: unknown): { managedFields?: unknown } {
  if (!Array.isArray(after)) return {};
  const cmp = (a = "", b = "") => (a < b ? -1 : a > b ? 1 : 0);
  const sec = (t?: string) => (t ? Math.floor(Date.parse(t) / 1000) : 0);
  const sorted = [...(after as Entry[])].sort(
    (p, q) =>
      cmp(p.operation, q.operation) ||
      sec(p.time) - sec(q.time) ||
      cmp(p.manager, q.manager) ||
      cmp(p.apiVersion, q.apiVersion) ||
      cmp(p.subresource, q.subresource),
  );
  return { managedFields: sorted };
}

// Struct fields a built-in's Go type holds by value, present (empty) in the zero object the
// apiserver's field manager compares a create with: a creator owns what is under them, not the
// struct itself (no "." in its managedFields entry).
const VALUE_STRUCTS = [
  ["spec"],
  ["status"],
  ["spec", "names"],
  ["spec", "template"],
  ["spec", "template", "spec"],
  ["spec", "jobTemplate"],
  ["spec", "jobTemplate", "spec"],
  ["spec", "jobTemplate", "spec", "template"],
  ["spec", "jobTemplate", "spec", "template", "spec"],
  ["spec", "strategy"],
  ["spec", "updateStrategy"],
  ["template"],
  ["template", "spec"],
];

function zeroValue(o: Obj): Record<string, unknown> {
  const zero: Record<string, unknown> = { metadata: {} };
  for (const path of VALUE_STRUCTS) {
    let src: unknown = o;
    let dst = zero;
    for (const p of path) {
      src = src && typeof src === "object" ? (src as Record<string, unknown>)[p] : undefined;
      if (!src || typeof src !== "object" || Array.isArray(src)) break;
      dst[p] ??= {};
      dst = dst[p] as Record<string, unknown>;
    }
  }
  return zero;
}

/** The options kind a verb's query decodes into, as Invalid answers name it. */
function optionsKind(verb: string): string {
  if (verb === "create") return "CreateOptions";
  if (verb === "update") return "UpdateOptions";
  if (verb === "patch" || verb === "apply") return "PatchOptions";
  if (verb === "delete" || verb === "deletecollection") return "DeleteOptions";
  return "ListOptions";
}

/** A list of strings as Go prints it: `["a"]` (%q of a slice) or `[]string{"a"}` (%#v). */
function goStrings(values: readonly string[], style: "[" | "[]string{"): string {
  const items = values.map((v) => JSON.stringify(v));
  return style === "[" ? `[${items.join(" ")}]` : `[]string{${items.join(", ")}}`;
}

function statusOf(a: StatusAnswer): EngineAnswer {
  return { code: a.code, body: a.body };
}

const specOf = (o: Record<string, unknown>) => {
  const { metadata: _m, status: _s, apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
};

const stripped = (o: Obj) => ({ ...o, metadata: { ...o.metadata, resourceVersion: "" } });

/** The object as an endpoint's apiVersion shows it (versions share storage, as conversion None). */
export function view(res: FakeResource, o: Obj): Obj {
  if (o.apiVersion === res.apiVersion && o.kind === res.kind) return o;
  return { ...o, apiVersion: res.apiVersion, kind: res.kind };
}

/** A list item: built-in lists' items carry no apiVersion or kind (the list's are theirs). */
function listItem(res: FakeResource, o: Obj): Record<string, unknown> {
  if (res.custom) return view(res, o);
  const { apiVersion: _a, kind: _k, ...rest } = o;
  return rest;
}

function deletedAnswer(res: FakeResource, o: Obj): unknown {
  if (RETURNS_DELETED.has(res.storage)) return view(res, o);
  return success({
    name: o.metadata.name,
    ...(res.group ? { group: res.group } : {}),
    kind: res.plural,
    uid: o.metadata.uid,
  });
}

// The apiserver writes metadata fields in ObjectMeta's declared order.
const META_ORDER = [
  "name",
  "generateName",
  "namespace",
  "selfLink",
  "uid",
  "resourceVersion",
  "generation",
  "creationTimestamp",
  "deletionTimestamp",
  "deletionGracePeriodSeconds",
  "labels",
  "annotations",
  "ownerReferences",
  "finalizers",
  "managedFields",
];
function orderMeta(m: Meta): Meta {
  const out: Record<string, unknown> = {};
  for (const k of META_ORDER) if (m[k] !== undefined) out[k] = m[k];
  for (const [k, v] of Object.entries(m)) if (!(k in out) && v !== undefined) out[k] = v;
  return out as Meta;
}

function crdStatus(crd: Record<string, unknown>): Record<string, unknown> {
  const spec = (crd.spec ?? {}) as { names?: object; versions?: { name: string; storage?: boolean }[] };
  const t = now();
  return {
    conditions: [
      {
        type: "NamesAccepted",
        status: "True",
        lastTransitionTime: t,
        reason: "NoConflicts",
        message: "no conflicts found",
      },
      {
        type: "Established",
        status: "True",
        lastTransitionTime: t,
        reason: "InitialNamesAccepted",
        message: "the initial names have been accepted",
      },
    ],
    acceptedNames: spec.names ?? {},
    storedVersions: (spec.versions ?? []).filter((v) => v.storage).map((v) => v.name),
  };
}

// --- scale ----------------------------------------------------------------------------

function scalePaths(res: FakeResource) {
  return res.scale ?? { spec: ".spec.replicas", status: ".status.replicas", selector: ".spec.selector" };
}

function getPath(o: unknown, path: string): unknown {
  let cur = o;
  for (const p of path.replace(/^\./, "").split(".")) {
    if (!cur || typeof cur !== "object") return undefined;
    cur = (cur as Record<string, unknown>)[p];
  }
  return cur;
}

function setPath(o: Record<string, unknown>, path: string, v: unknown) {
  const parts = path.replace(/^\./, "").split(".");
  let cur = o;
  for (const p of parts.slice(0, -1)) {
    if (!cur[p] || typeof cur[p] !== "object") cur[p] = {};
    cur = cur[p] as Record<string, unknown>;
  }
  cur[parts.at(-1) as string] = v;
}

/** A label selector as the text a Scale's status carries ("app=web,tier in (a,b)"). */
function selectorText(sel: unknown): string | undefined {
  if (typeof sel === "string") return sel;
  if (!sel || typeof sel !== "object") return undefined;
  const s = sel as {
    matchLabels?: Record<string, string>;
    matchExpressions?: { key: string; operator: string; values?: string[] }[];
  };
  // A replication controller's selector is the label map itself.
  const labels = s.matchLabels ?? (s.matchExpressions === undefined ? (sel as Record<string, string>) : {});
  const parts = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`);
  for (const e of s.matchExpressions ?? []) {
    const vals = [...(e.values ?? [])].sort().join(",");
    if (e.operator === "In") parts.push(`${e.key} in (${vals})`);
    else if (e.operator === "NotIn") parts.push(`${e.key} notin (${vals})`);
    else if (e.operator === "Exists") parts.push(e.key);
    else if (e.operator === "DoesNotExist") parts.push(`!${e.key}`);
  }
  return parts.join(",");
}

function scaleOf(res: FakeResource, o: Obj): Record<string, unknown> {
  const p = scalePaths(res);
  const selector = p.selector ? selectorText(getPath(o, p.selector)) : undefined;
  return {
    kind: "Scale",
    apiVersion: "autoscaling/v1",
    metadata: {
      name: o.metadata.name,
      ...(o.metadata.namespace ? { namespace: o.metadata.namespace } : {}),
      uid: o.metadata.uid,
      resourceVersion: o.metadata.resourceVersion,
      creationTimestamp: o.metadata.creationTimestamp,
    },
    // ScaleSpec.replicas is omitempty: zero replicas answer `spec: {}`.
    spec: getPath(o, p.spec) ? { replicas: getPath(o, p.spec) } : {},
    status: { replicas: getPath(o, p.status) ?? 0, ...(selector ? { selector } : {}) },
  };
}

// --- continue tokens ------------------------------------------------------------------

interface Continue {
  rv: number;
  start: number;
  id: string;
}

function encodeContinue(c: Continue): string {
  return Buffer.from(JSON.stringify({ v: "meta.k8s.io/v1", rv: c.rv, start: c.start, id: c.id })).toString(
    "base64url",
  );
}

function decodeContinue(token: string): Continue | undefined {
  try {
    const c = JSON.parse(Buffer.from(token, "base64url").toString("utf8")) as Partial<Continue>;
    if (typeof c.rv === "number" && typeof c.start === "number" && typeof c.id === "string")
      return c as Continue;
  } catch {
    // falls through: a token we did not make
  }
  raise(badRequest(`invalid continue token: continue key is not valid: ${token.slice(0, 40)}`));
}

export { deepFreeze };

/**
 * What decoding a write changes, before admission: a Secret's stringData is written into data
 * (base64 on the wire) and is never stored, as Convert_v1_Secret_To_core_Secret does (a
 * stringData key wins over the same key of data).
 */
function decoded(t: Target, body: Record<string, unknown>): Record<string, unknown> {
  if (t.res.storage !== "/secrets" || body.stringData === undefined) return body;
  const { stringData, ...rest } = body;
  if (!stringData || typeof stringData !== "object" || Array.isArray(stringData)) return body;
  const data = { ...((rest.data ?? {}) as Record<string, unknown>) };
  for (const [k, v] of Object.entries(stringData))
    if (typeof v === "string") data[k] = Buffer.from(v, "utf8").toString("base64");
  return { ...rest, data };
}
