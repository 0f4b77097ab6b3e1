// What the apiserver checks of an object before it stores one: its names and labels
// (k8s.io/apimachinery validation), unknown fields (pruned, warned of, or refused with
// fieldValidation=Strict), and its schema. Each problem is answered as the server answers it.

import type { FakeResource } from "./resources.js";
import type { JsonSchemaNode } from "./shape.js";
import { badRequest, invalid, raise, type StatusCause } from "./status.js";

const SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS1035 = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const DNS1035_MSG =
  "a DNS-1035 label must consist of lower case alphanumeric characters or '-', start with an alphabetic character, and end with an alphanumeric character (e.g. 'my-name',  or 'abc-123', regex used for validation is '[a-z]([-a-z0-9]*[a-z0-9])?')";

// Names most kinds take as subdomains; these as labels (their names become DNS labels).
const LABEL_NAMED = new Set(["/namespaces"]);
const DNS1035_NAMED = new Set(["/services"]);

const QUALIFIED = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;

const q = (v: unknown) => JSON.stringify(v);
const QUALIFIED_MSG =
  "a valid label key must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]') with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')";

/** The name problems of an object's metadata, as ValidateObjectMeta reports them. */
export function checkMeta(res: FakeResource, meta: Record<string, unknown>): StatusCause[] {
  const causes: StatusCause[] = [];
  const name = meta.name;
  const gen = meta.generateName;
  if ((name === undefined || name === "") && (gen === undefined || gen === "")) {
    causes.push({
      reason: "FieldValueRequired",
      field: "metadata.name",
      message: "Required value: name or generateName is required",
    });
  } else if (typeof name === "string" && name !== "") {
    const [re, msg, max] = LABEL_NAMED.has(res.storage)
      ? [LABEL, LABEL_MSG, 63]
      : DNS1035_NAMED.has(res.storage)
        ? [DNS1035, DNS1035_MSG, 63]
        : [SUBDOMAIN, SUBDOMAIN_MSG, 253];
    if (name.length > max) {
      causes.push({
        reason: "FieldValueInvalid",
        field: "metadata.name",
        message: `Invalid value: ${q(name)}: must be no more than ${max} characters`,
      });
    } else if (!re.test(name)) {
      causes.push({
        reason: "FieldValueInvalid",
        field: "metadata.name",
        message: `Invalid value: ${q(name)}: ${msg}`,
      });
    }
  }
  const labels = meta.labels;
  if (labels && typeof labels === "object") {
    for (const [k, v] of Object.entries(labels as Record<string, unknown>)) {
      const keyProblem = qualifiedNameProblem(k);
      if (keyProblem)
        causes.push({
          reason: "FieldValueInvalid",
          field: "metadata.labels",
          message: `Invalid value: ${q(k)}: ${keyProblem}`,
        });
      if (typeof v === "string" && (v.length > 63 || !LABEL_VALUE.test(v))) {
        causes.push({
          reason: "FieldValueInvalid",
          field: `metadata.labels`,
          message: `Invalid value: ${q(v)}: a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')`,
        });
      }
    }
  }
  return causes;
}

function qualifiedNameProblem(key: string): string | undefined {
  // As IsQualifiedName: more than one "/" fails as a whole, before either part is looked at.
  if (key.split("/").length > 2) return QUALIFIED_MSG;
  const slash = key.lastIndexOf("/");
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length > 253 || !SUBDOMAIN.test(prefix)))
    return `prefix part ${SUBDOMAIN_MSG}`;
  if (name.length === 0 || name.length > 63 || !QUALIFIED.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
  }
  return undefined;
}

/** Refuses an object whose metadata is invalid, as a 422 naming the kind. */
export function admitMeta(res: FakeResource, meta: Record<string, unknown>): void {
  const causes = checkMeta(res, meta);
  if (causes.length) raise(invalid(res, String(meta.name ?? meta.generateName ?? ""), causes));
}

/**
 * The object without the fields its schema does not declare, as decoding into the Go types
 * (built-ins) or structural pruning (custom resources) drops them; `unknown` collects their
 * paths for the Warning header or a Strict refusal.
 */
export function prune(
  res: FakeResource,
  obj: Record<string, unknown>,
  unknown: string[],
): Record<string, unknown> {
  const schema = res.schema();
  if (!schema) return obj;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(obj)) {
    // apiVersion, kind and metadata are the apiserver's own, whatever a CRD's schema says.
    if (k === "apiVersion" || k === "kind") out[k] = v;
    else if (k === "metadata" && res.custom) out[k] = v;
    else {
      const s = propertySchema(res, schema, k);
      if (s === undefined) unknown.push(k);
      else {
        const pruned = pruneValue(res, s, v, k, unknown, 0);
        if (!res.custom && omitted(res, s, pruned)) continue;
        out[k] = pruned;
      }
    }
  }
  return out;
}

const MAX_DEPTH = 200;

function resolved(res: FakeResource, s: JsonSchemaNode, depth = 0): JsonSchemaNode {
  if (depth > 20) return s;
  const ref = s.$ref;
  if (typeof ref === "string") {
    const target = res.ref(ref.replace(/^#\/\$defs\//, ""));
    return target ? resolved(res, target, depth + 1) : {};
  }
  const all = s.allOf;
  if (Array.isArray(all) && all.length === 1 && !s.properties)
    return resolved(res, all[0] as JsonSchemaNode, depth + 1);
  return s;
}

/** The schema of a field: undefined when the object's schema does not allow it. */
function propertySchema(res: FakeResource, schema: JsonSchemaNode, key: string): JsonSchemaNode | undefined {
  const s = resolved(res, schema);
  if (s["x-kubernetes-preserve-unknown-fields"] === true) return {};
  const props = s.properties as Record<string, JsonSchemaNode> | undefined;
  if (props && Object.hasOwn(props, key)) return props[key];
  const extra = s.additionalProperties;
  if (extra === true) return {};
  if (extra && typeof extra === "object") return extra as JsonSchemaNode;
  // An object schema that names no fields at all keeps what it is given (no structure to prune by).
  if (!props && s.type !== "object") return {};
  if (!props && s.type === "object" && extra === undefined && !res.custom) return {};
  return undefined;
}

function pruneValue(
  res: FakeResource,
  schema: JsonSchemaNode,
  value: unknown,
  path: string,
  unknown: string[],
  depth: number,
): unknown {
  if (depth > MAX_DEPTH) raise(badRequest(`${path}: object nesting is too deep`));
  const s = resolved(res, schema);
  if (Array.isArray(value)) {
    const items = s.items as JsonSchemaNode | undefined;
    return items
      ? value.map((v, i) => pruneValue(res, items, v, `${path}[${i}]`, unknown, depth + 1))
      : value;
  }
  if (value === null || typeof value !== "object") return value;
  if (s["x-kubernetes-preserve-unknown-fields"] === true && !s.properties) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    const p = propertySchema(res, s, k);
    if (p === undefined) unknown.push(`${path}.${k}`);
    else {
      const pruned = pruneValue(res, p, v, `${path}.${k}`, unknown, depth + 1);
      if (!res.custom && omitted(res, p, pruned)) continue;
      out[k] = pruned;
    }
  }
  return out;
}

/**
 * What a built-in's JSON loses on its way through the Go types: null, and (omitempty) an
 * empty map or list. An empty struct stays: it is a pointer to a zero value.
 */
function omitted(res: FakeResource, schema: JsonSchemaNode, v: unknown): boolean {
  if (v === null) return true;
  if (Array.isArray(v)) return v.length === 0;
  if (typeof v !== "object") return false;
  if (Object.keys(v as object).length) return false;
  const s = resolved(res, schema);
  return !s.properties && s.additionalProperties !== undefined;
}

/** Refuses unknown fields with fieldValidation=Strict; returns the Warning header values otherwise. */
export function unknownFields(
  res: FakeResource,
  unknown: readonly string[],
  fieldValidation: string | undefined,
): string[] {
  if (unknown.length === 0 || fieldValidation === "Ignore") return [];
  if (fieldValidation === "Strict") {
    raise(
      badRequest(
        `${res.kind} in version ${q(res.version)} cannot be handled as a ${res.kind}: strict decoding error: ${unknown.map((u) => `unknown field ${q(u)}`).join(", ")}`,
      ),
    );
  }
  return unknown.map((u) => `unknown field ${q(u)}`);
}

/**
 * Refuses what the schema refuses. A custom resource's violations are 422 Invalid; a built-in's
 * missing field is 422 too, but a value of the wrong type fails the apiserver's JSON decoding
 * first, which answers 400 BadRequest.
 */
export function admitSchema(res: FakeResource, obj: Record<string, unknown>): void {
  if (res.custom) {
    const causes = res.causes(obj);
    if (causes.length)
      raise(invalid(res, String((obj.metadata as { name?: unknown } | undefined)?.name ?? ""), causes));
    return;
  }
  const r = res.check(obj);
  if (!r || r.success) return;
  const name = String((obj.metadata as { name?: unknown } | undefined)?.name ?? "");
  const missing = (m: string) => /received undefined|required/i.test(m);
  if (!res.custom) {
    const typeIssue = r.issues.find((i) => !missing(i.message));
    if (typeIssue) {
      raise(
        badRequest(
          `${res.kind} in version ${q(res.version)} cannot be handled as a ${res.kind}: ${typeIssue.path}: ${typeIssue.message}`,
        ),
      );
    }
  }
  raise(
    invalid(
      res,
      name,
      r.issues.map((i) =>
        missing(i.message)
          ? { reason: "FieldValueRequired", field: i.path, message: "Required value" }
          : { reason: "FieldValueInvalid", field: i.path, message: `Invalid value: ${i.message}` },
      ),
    ),
  );
}

/**
 * The paths of keys a JSON text repeats within one object (`metadata.name`), which the
 * apiserver's strict decoder reports (a Warning, or 400 with fieldValidation=Strict) and
 * JSON.parse silently resolves to the last.
 */
export function duplicateFields(text: string): string[] {
  const out: string[] = [];
  const stack: { keys: Set<string>; path: string; key?: string; array: boolean; index: number }[] = [];
  let i = 0;
  const here = () => {
    const top = stack.at(-1);
    if (!top) return "";
    const seg = top.array ? `[${top.index}]` : (top.key ?? "");
    return top.path ? (top.array ? `${top.path}${seg}` : `${top.path}.${seg}`) : seg;
  };
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      let j = i + 1;
      while (j < text.length && text[j] !== '"') j += text[j] === "\\" ? 2 : 1;
      const raw = text.slice(i, j + 1);
      i = j + 1;
      while (i < text.length && /\s/.test(text[i] as string)) i++;
      const top = stack.at(-1);
      if (text[i] === ":" && top && !top.array) {
        let key: string;
        try {
          key = JSON.parse(raw) as string;
        } catch {
          return out;
        }
        if (top.keys.has(key)) out.push(top.path ? `${top.path}.${key}` : key);
        top.keys.add(key);
        top.key = key;
        i++;
      }
      continue;
    }
    if (c === "{" || c === "[") {
      stack.push({ keys: new Set(), path: here(), array: c === "[", index: 0 });
      if (stack.length > 1000) return out;
    } else if (c === "}" || c === "]") stack.pop();
    else if (c === ",") {
      const top = stack.at(-1);
      if (top?.array) top.index++;
    }
    i++;
  }
  return out;
}
