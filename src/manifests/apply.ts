import type { KubeObject } from "../core/objects.js";
import { sleepOrThrow } from "../core/timers.js";
import { ManifestError } from "./errors.js";
import { type Manifest, type ManifestClient, type ParseOptions, parseManifests } from "./parse.js";
import { crdKinds, field, groupOf, isCrd } from "./resolve.js";

/** What applyManifests() takes: the API to parse with, and server-side apply's options. */
export interface ApplyManifestsOptions extends Omit<ParseOptions, "kube"> {
  /** Who owns the applied fields (server-side apply's fieldManager). */
  fieldManager: string;
  /** Ask the server to check and default everything, persisting nothing. */
  dryRun?: boolean;
  /** Take fields other managers own instead of failing with 409 Conflict. */
  force?: boolean;
  /** How long to wait for an applied CRD to be Established before its objects (default 30 s). */
  crdTimeoutMs?: number;
}

/** What happened to one document, in document order. */
export interface ApplyResult {
  /** 1-based position of the document in the YAML stream. */
  index: number;
  /** The document's apiVersion. */
  apiVersion: string;
  /** The document's kind. */
  kind: string;
  /** The object's name. */
  name: string;
  /** The object's namespace, for a namespaced kind. */
  namespace?: string;
  /** applied: the server took it (object is its answer); failed: error says why; skipped: reason says why. */
  outcome: "applied" | "failed" | "skipped";
  /** The server's answer, when applied. */
  object?: KubeObject;
  /** Why it failed, when failed. */
  error?: Error;
  /** Why it was skipped (the CRD that defines its kind cannot be used), when skipped. */
  reason?: string;
}

// Applied first, in this order; everything else keeps document order after them. Objects
// that others live in or are checked against come first, as Helm's install order has it.
const FIRST = [
  "Namespace",
  "CustomResourceDefinition",
  "ResourceQuota",
  "LimitRange",
  "PriorityClass",
  "ServiceAccount",
  "Secret",
  "ConfigMap",
  "StorageClass",
  "PersistentVolume",
  "PersistentVolumeClaim",
  "ClusterRole",
  "ClusterRoleBinding",
  "Role",
  "RoleBinding",
];

/** Kinds defined by a CRD in the same YAML wait for it; CRDs are never custom kinds themselves. */
function rank(m: Manifest): number {
  const i = FIRST.indexOf(m.kind);
  return i >= 0 && (m.source === "registry" || isCrd(m.apiVersion, m.kind)) ? i : FIRST.length;
}

/**
 * Validates every document (nothing is sent when any is invalid: ManifestError), then applies
 * them with server-side apply: Namespaces and CRDs first (waiting for each CRD to be
 * Established and served), the rest in document order. A failed document does not stop the
 * others; each result says what happened. CRDs it applied are served when it returns.
 */
export async function applyManifests(
  kube: ManifestClient,
  yamlText: string,
  options: ApplyManifestsOptions,
): Promise<ApplyResult[]> {
  if (!options?.fieldManager) throw new TypeError("applyManifests needs a fieldManager");
  const manifests = await parseManifests(yamlText, { ...options, kube });
  if (manifests.length === 0)
    throw new ManifestError([{ index: 0, line: 1, path: "", message: "the YAML has no objects to apply" }]);
  const order = [...manifests].sort((a, b) => rank(a) - rank(b) || a.index - b.index);
  const results = new Map<number, ApplyResult>();
  const crds = new Map<string, Promise<string | undefined>>(); // CRD name -> why its kinds cannot be applied

  for (const m of order) {
    const base = {
      index: m.index,
      apiVersion: m.apiVersion,
      kind: m.kind,
      name: m.name,
      ...(m.namespace ? { namespace: m.namespace } : {}),
    };
    if (m.source === "crd") {
      const crdName = `${m.plural}.${groupOf(m.apiVersion)}`;
      const blocked = await crds.get(crdName);
      if (blocked) {
        results.set(m.index, { ...base, outcome: "skipped", reason: blocked });
        continue;
      }
    }
    const crd = isCrd(m.apiVersion, m.kind);
    try {
      const object = await applyOne(kube, m, options);
      results.set(m.index, { ...base, outcome: "applied", object });
      if (crd)
        crds.set(
          m.name,
          (options.dryRun ? dryRunCrd(kube, m) : established(kube, m, options)).catch(
            (e: Error) =>
              `its CustomResourceDefinition ${m.name} (doc ${m.index}) could not be read: ${e.message}`,
          ),
        );
    } catch (e) {
      results.set(m.index, { ...base, outcome: "failed", error: e as Error });
      if (crd) crds.set(m.name, Promise.resolve(`its CustomResourceDefinition (doc ${m.index}) failed`));
    }
  }
  // An applied CRD is ready for use when this returns, even if no object of it was in the YAML.
  await Promise.all(crds.values());
  return manifests.map((m) => results.get(m.index) as ApplyResult);
}

function applyOne(kube: ManifestClient, m: Manifest, options: ApplyManifestsOptions): Promise<KubeObject> {
  return kube.resource({ apiVersion: m.apiVersion, kind: m.kind }).apply(m.object as never, {
    fieldManager: options.fieldManager,
    ...(m.namespace ? { namespace: m.namespace } : {}),
    ...(options.force ? { force: true } : {}),
    ...(options.dryRun ? { dryRun: true } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  }) as Promise<KubeObject>;
}

/** Under dry run a new CRD is not created, so its kinds can only be checked if it existed before. */
async function dryRunCrd(kube: ManifestClient, crd: Manifest): Promise<string | undefined> {
  const crdApi = kube.resource({ apiVersion: crd.apiVersion, kind: crd.kind });
  try {
    await crdApi.get({ name: crd.name });
    return undefined;
  } catch {
    return `dry run: its CustomResourceDefinition ${crd.name} (doc ${crd.index}) does not exist yet`;
  }
}

/**
 * Polls until the CRD's Established condition is True and discovery lists its kind in every
 * served version: only then does the API server take its objects.
 */
async function established(
  kube: ManifestClient,
  crd: Manifest,
  options: ApplyManifestsOptions,
): Promise<string | undefined> {
  const crdApi = kube.resource({ apiVersion: crd.apiVersion, kind: crd.kind });
  const timeoutMs = options.crdTimeoutMs ?? 30_000;
  const deadline = Date.now() + timeoutMs;
  const call = options.signal ? { signal: options.signal } : {};
  for (let delay = 50; ; delay = Math.min(delay * 2, 1000)) {
    options.signal?.throwIfAborted();
    const obj = await crdApi.get({ name: crd.name }, call);
    if (await ready(kube, obj, call)) return undefined;
    if (Date.now() + delay > deadline)
      return `its CustomResourceDefinition ${crd.name} (doc ${crd.index}) was not Established within ${timeoutMs / 1000} s`;
    await sleepOrThrow(delay, options.signal);
  }
}

async function ready(kube: ManifestClient, crd: unknown, call: { signal?: AbortSignal }): Promise<boolean> {
  const conditions = field(field(crd, "status"), "conditions");
  if (
    !Array.isArray(conditions) ||
    !conditions.some((c) => c?.type === "Established" && c?.status === "True")
  )
    return false;
  kube.discovery.refresh(); // cached discovery predates the new kind
  for (const { apiVersion, kind } of crdKinds(crd)) {
    const list = await kube.discovery.resources(apiVersion, call).catch(() => undefined);
    if (!list?.resources.some((r) => r.kind === kind)) return false;
  }
  return true;
}
