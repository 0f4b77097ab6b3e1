import type { ApiResourceList } from "../client/discovery-types.js";
import type { CallOptions, KubeObject } from "../core/objects.js";
import type { Registry } from "../core/registry.js";
import type { DynamicResource } from "../kube-client/types.js";
import { createSchemaValidator, type JsonSchema, type ValidationResult } from "../schemas/index.js";
import { issueMessage, ManifestError, type ManifestIssue } from "./errors.js";
import { createResolver, field, groupOf, isCrd, type ResourceMapping } from "./resolve.js";
import { splitYaml } from "./split-yaml.js";
import { unknownFields } from "./unknown-fields.js";

/** A generated API (`registry` from its index, `validators` from its schemas). */
export interface ManifestApi {
  /** Maps a document's apiVersion and kind to its resource. */
  registry: Registry;
  /** Checks each document against its kind's definition. */
  validators: {
    /** Checks `value` against the definition `name`. */
    validate(name: never, value: unknown): ValidationResult<unknown>;
    /** The definition's JSON Schema: what strict field checks walk. */
    definition(name: string): JsonSchema | undefined;
  };
}

/** What manifests need of a client (any `createClient()` result has it). */
export interface ManifestClient {
  /** The dynamic client, which applies each object. */
  resource(ref: { apiVersion: string; kind: string }): DynamicResource;
  /** Finds kinds the API does not define (and a CRD's once it is established). */
  discovery: {
    /** The resources of a group version. */
    resources(groupVersion: string, options?: CallOptions): Promise<ApiResourceList>;
    /** Forgets cached answers. */
    refresh(): void;
  };
  /** The client's config, for its namespace. */
  config: {
    /** The namespace of namespaced objects that name none. */
    readonly namespace: string;
  };
}

export interface ParseOptions extends CallOptions {
  /**
   * The generated API to map and validate with: `registry` from its index and `validators`
   * from its schemas (`kubefetch/generated/kubernetes-1.36` and `.../schemas` for the embedded one).
   */
  api: ManifestApi;
  /** Asks this client's server (discovery) about kinds the API and the YAML's CRDs do not define. */
  kube?: ManifestClient;
  /**
   * The namespace of namespaced objects that name none (else the client's, else "default").
   * As with `kubectl apply -n`, an object naming another namespace is then an error.
   */
  namespace?: string;
}

/** One document, mapped to its resource and valid. */
export interface Manifest {
  /** 1-based position of the document in the YAML stream. */
  index: number;
  /** The line the document starts on. */
  line: number;
  /** The document's apiVersion. */
  apiVersion: string;
  /** The document's kind. */
  kind: string;
  /** The object's name. */
  name: string;
  /** For namespaced resources: the object's, else the default. */
  namespace?: string;
  /** The resource it maps to: "deployments". */
  plural: string;
  /** Whether that resource is namespaced. */
  namespaced: boolean;

  /** Where the mapping came from. */
  source: ResourceMapping["source"];
  /** The document as written, with the defaulted namespace. */
  object: KubeObject;
}

/**
 * Splits a multi-document YAML, maps each document to its resource by apiVersion/kind and
 * validates it against the API's schema (and strict fields, as the API server's). Throws one
 * ManifestError listing every problem of every document; empty documents are skipped.
 */
export async function parseManifests(yamlText: string, options: ParseOptions): Promise<Manifest[]> {
  const { api } = options;
  const issues: ManifestIssue[] = [];
  const docs: { index: number; line: number; value: Record<string, unknown> }[] = [];
  for (const d of splitYaml(yamlText)) {
    if (d.error) issues.push({ index: d.index, line: d.line, path: "", message: d.error });
    else if (d.value === undefined) continue;
    else if (typeof d.value !== "object" || d.value === null || Array.isArray(d.value))
      issues.push({
        index: d.index,
        line: d.line,
        path: "",
        message: `expected an object, found ${describe(d.value)}`,
      });
    else docs.push({ index: d.index, line: d.line, value: d.value as Record<string, unknown> });
  }
  const resolve = createResolver(
    api.registry,
    docs.filter((d) => isCrd(d.value.apiVersion, d.value.kind)).map((d) => d.value),
    options.kube && ((gv, o) => (options.kube as ManifestClient).discovery.resources(gv, o)),
  );
  const validateDefinition = api.validators.validate as (
    name: string,
    value: unknown,
  ) => ValidationResult<unknown>;
  const crdValidators = new Map<JsonSchema, ((v: unknown) => ValidationResult<unknown>) | undefined>();
  /** The schema a mapping is checked against: a registry definition, or a CRD's own. */
  const checker = (m: ResourceMapping) => {
    const def = m.definition;
    if (def)
      return {
        schema: api.validators.definition(def),
        resolveRef: (n: string) => api.validators.definition(n),
        validate: (v: unknown) => validateDefinition(def, v),
      };
    if (!m.schema) return undefined;
    if (!crdValidators.has(m.schema)) crdValidators.set(m.schema, schemaValidator(m.schema));
    return { schema: m.schema, resolveRef: () => undefined, validate: crdValidators.get(m.schema) };
  };
  const defaultNamespace = options.namespace ?? options.kube?.config.namespace ?? "default";
  const seen = new Map<string, number>();
  const manifests: Manifest[] = [];

  for (const { index, line, value } of docs) {
    const { apiVersion, kind } = value;
    const metadata = field(value, "metadata");
    const rawName = field(metadata, "name");
    const name = typeof rawName === "string" && rawName ? rawName : undefined;
    const at = { index, line, ...(typeof kind === "string" ? { kind } : {}), ...(name ? { name } : {}) };
    const add = (path: string, message: string) => issues.push({ ...at, path, message });
    if (typeof apiVersion !== "string" || !apiVersion) add("apiVersion", "required");
    if (typeof kind !== "string" || !kind) add("kind", "required");
    if (typeof apiVersion !== "string" || typeof kind !== "string" || !apiVersion || !kind) continue;
    if (!name) add("metadata.name", "required");

    const mapping = await resolve(apiVersion, kind, options);
    if (!mapping) {
      const where = options.kube
        ? "in the API or on the server"
        : "in the API (pass { kube } to ask the server)";
      add("", `no resource of kind ${kind} in ${apiVersion} ${where}`);
      continue;
    }
    const check = checker(mapping);
    if (check) {
      const r = check.validate?.(value);
      const problems = r && !r.success ? r.issues : [];
      for (const path of unknownFields(value, check.schema, check.resolveRef))
        problems.push({ path, message: "unknown field" });
      for (const p of problems) add(p.path, issueMessage(p.message));
    }

    const given = field(metadata, "namespace");
    let namespace: string | undefined;
    if (mapping.namespaced) {
      if (given !== undefined && (typeof given !== "string" || !given))
        add("metadata.namespace", "expected a name");
      namespace = typeof given === "string" && given ? given : defaultNamespace;
      if (options.namespace && namespace !== options.namespace)
        add(
          "metadata.namespace",
          `"${namespace}" is not the namespace "${options.namespace}" given in the options`,
        );
    }
    if (!name) continue;
    const id = `${groupOf(apiVersion)}/${kind}/${namespace ?? ""}/${name}`;
    const first = seen.get(id);
    if (first !== undefined) add("", `the same object as doc ${first}`);
    else seen.set(id, index);
    manifests.push({
      index,
      line,
      apiVersion,
      kind,
      name,
      ...(namespace ? { namespace } : {}),
      plural: mapping.plural,
      namespaced: mapping.namespaced,
      source: mapping.source,
      object: (namespace
        ? { ...value, metadata: { ...(metadata as object), namespace } }
        : value) as unknown as KubeObject,
    });
  }
  if (issues.length) throw new ManifestError(issues.sort((a, b) => a.index - b.index));
  return manifests;
}

/** zod reads most CRD schemas; one it cannot read is left to the server to check. */
function schemaValidator(schema: JsonSchema) {
  try {
    return createSchemaValidator(schema);
  } catch {
    return undefined;
  }
}

function describe(v: unknown): string {
  return Array.isArray(v) ? "a list" : v === null ? "null" : `a ${typeof v}`;
}
