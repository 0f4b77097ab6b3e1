// The apiserver's ?fieldSelector=, in its two layers:
//  1. apimachinery's fields.ParseSelector (pkg/fields/selector.go): terms split on unescaped
//     commas and sorted, each `field=value`, `field==value` or `field!=value` at the first
//     operator, values unescaped (`\\`, `\,`, `\=`).
//  2. the kind's field label conversion (Scheme.ConvertFieldLabel): a kind that registered one
//     (AddFieldLabelConversionFunc in kubernetes/pkg/apis/<group>/<version>/conversion.go)
//     accepts its labels and refuses others with "field label not supported: <label>"; a kind that
//     registered none falls back to runtime.DefaultMetaV1FieldSelectorConversion, which takes only
//     metadata.name and metadata.namespace; custom resources take metadata.name, metadata.namespace
//     when namespaced, and the CRD's selectableFields (apiextensions' crConverter).
// Matching reads the label's value the way the kind's registry strategy builds its field set
// (kubernetes/pkg/registry/<group>/<kind>/strategy.go, …ToSelectableFields).

import { SelectorError } from "./selector-error.js";

/** A field selector operator ("=" and "==" are the same test). */
export type FieldOperator = "=" | "==" | "!=";

/** One term of a field selector (all must hold). */
export interface FieldRequirement {
  /** The field label as sent. */
  readonly field: string;
  /** How the value is compared. */
  readonly operator: FieldOperator;
  /** The value, unescaped. */
  readonly value: string;
}

/** A parsed field selector. */
export interface FieldSelector {
  /** The terms, in fields.ParseSelector's (sorted) order. */
  readonly requirements: readonly FieldRequirement[];
  /** Whether `obj` is selected (an empty selector selects everything). */
  matches(obj: unknown): boolean;
}

/** One kind's field labels: which the apiserver accepts, how it refuses others, how it reads them. */
export interface FieldLabels {
  /** Every field label accepted, metadata.name (and metadata.namespace where taken) included. */
  readonly supported: readonly string[];
  /** The 400 message for a label not accepted. */
  refusal(label: string): string;
  /** A label's value in an object of the kind, as its registry's field set holds it. */
  value(obj: unknown, label: string): string;
}

/**
 * The field labels each built-in kind's conversion func accepts besides metadata.name and
 * metadata.namespace, keyed "<apiVersion>/<kind>", from the Kubernetes 1.36 sources
 * (pkg/apis/{core,batch,certificates,events}/<version>/conversion.go). A kind not listed
 * registers no func: it takes metadata.name and metadata.namespace only (apps/v1 registers none:
 * a Deployment or ReplicaSet refuses status.replicas).
 */
export const BUILTIN_FIELD_SELECTORS: { readonly [apiVersionSlashKind: string]: readonly string[] } = {
  "v1/Pod": [
    "spec.nodeName",
    "spec.restartPolicy",
    "spec.schedulerName",
    "spec.serviceAccountName",
    "spec.hostNetwork",
    "status.phase",
    "status.podIP",
    "status.podIPs",
    "status.nominatedNodeName",
    // Old v1 clients' name for spec.nodeName, still converted.
    "spec.host",
  ],
  "v1/Node": ["spec.unschedulable"],
  "v1/ReplicationController": ["status.replicas"],
  "v1/Event": [
    "involvedObject.kind",
    "involvedObject.namespace",
    "involvedObject.name",
    "involvedObject.uid",
    "involvedObject.apiVersion",
    "involvedObject.resourceVersion",
    "involvedObject.fieldPath",
    "reason",
    "reportingComponent",
    "source",
    "type",
  ],
  "v1/Namespace": ["status.phase"],
  "v1/Secret": ["type"],
  "v1/Service": ["spec.clusterIP", "spec.type"],
  "events.k8s.io/v1/Event": [
    "reason",
    "regarding.kind",
    "regarding.namespace",
    "regarding.name",
    "regarding.uid",
    "regarding.apiVersion",
    "regarding.resourceVersion",
    "regarding.fieldPath",
    "reportingController",
    "type",
  ],
  "batch/v1/Job": ["status.successful"],
  "certificates.k8s.io/v1/CertificateSigningRequest": ["spec.signerName"],
  "certificates.k8s.io/v1alpha1/ClusterTrustBundle": ["spec.signerName"],
  "certificates.k8s.io/v1beta1/ClusterTrustBundle": ["spec.signerName"],
  "certificates.k8s.io/v1beta1/PodCertificateRequest": ["spec.signerName", "spec.podName", "spec.nodeName"],
};

/** Kinds whose conversion func does not take metadata.namespace (cluster-scoped, and PCR's). */
const WITHOUT_NAMESPACE = new Set([
  "v1/Node",
  "v1/Namespace",
  "certificates.k8s.io/v1/CertificateSigningRequest",
  "certificates.k8s.io/v1alpha1/ClusterTrustBundle",
  "certificates.k8s.io/v1beta1/ClusterTrustBundle",
  "certificates.k8s.io/v1beta1/PodCertificateRequest",
]);

function unsupported(label: string): string {
  return `field label not supported: ${label}`;
}

/** A refusal's wording where a conversion func says it its own way. */
const REFUSALS: { readonly [apiVersionSlashKind: string]: (label: string) => string } = {
  "batch/v1/Job": (label) => `field label ${JSON.stringify(label)} not supported for batchv1.Job`,
};

/**
 * The value at a dotted path of a wire object, as a registry's field set holds values: strings
 * as they are, booleans "true"/"false", numbers in decimal, anything missing (or an object or a
 * list) "".
 */
export function fieldValue(obj: unknown, path: string): string {
  let v: unknown = obj;
  for (const part of path.split(".")) {
    if (typeof v !== "object" || v === null || Array.isArray(v) || !Object.hasOwn(v, part)) return "";
    v = (v as Record<string, unknown>)[part];
  }
  if (typeof v === "string") return v;
  if (typeof v === "boolean" || typeof v === "number") return String(v);
  return "";
}

/** A value the field set always holds, defaulted where the wire object omits it. */
function withDefault(path: string, fallback: string): (obj: unknown) => string {
  return (obj) => {
    const v = fieldValue(obj, path);
    return v === "" ? fallback : v;
  };
}

/** Labels whose value is not simply the object's field at the label's path. */
const READERS: {
  readonly [apiVersionSlashKind: string]: { readonly [label: string]: (obj: unknown) => string };
} = {
  "v1/Pod": {
    // PodToSelectableFields: a pod without securityContext-level hostNetwork reads "false".
    "spec.hostNetwork": withDefault("spec.hostNetwork", "false"),
    // The first of status.podIPs (status.podIP when the fake's object has only that).
    "status.podIP": (obj) => {
      const ips = (obj as { status?: { podIPs?: unknown } } | null)?.status?.podIPs;
      const first = Array.isArray(ips) ? fieldValue(ips[0], "ip") : "";
      return first !== "" ? first : fieldValue(obj, "status.podIP");
    },
    // Accepted by the conversion func, never set in the field set: only "" matches.
    "status.podIPs": () => "",
    "spec.host": (obj) => fieldValue(obj, "spec.nodeName"),
  },
  "v1/Node": { "spec.unschedulable": withDefault("spec.unschedulable", "false") },
  "v1/ReplicationController": { "status.replicas": withDefault("status.replicas", "0") },
  "v1/Event": {
    // EventToSelectableFields: source.component, else the reporting controller.
    source: (obj) => fieldValue(obj, "source.component") || fieldValue(obj, "reportingComponent"),
  },
  // The label says "successful", the field is status.succeeded (JobToSelectableFields).
  "batch/v1/Job": { "status.successful": withDefault("status.succeeded", "0") },
};

function labelsOf(
  supported: readonly string[],
  refusal: (label: string) => string,
  kind?: string,
): FieldLabels {
  const readers = kind !== undefined ? READERS[kind] : undefined;
  return {
    supported,
    refusal,
    value: (obj, label) => {
      const read = readers !== undefined && Object.hasOwn(readers, label) ? readers[label] : undefined;
      return read !== undefined ? read(obj) : fieldValue(obj, label);
    },
  };
}

/**
 * A built-in kind's field labels by "<apiVersion>/<kind>" ("v1/Pod", "apps/v1/Deployment"): its
 * conversion func's labels and wording, or DefaultMetaV1FieldSelectorConversion's for a kind
 * without one (`"x" is not a known field selector: only "metadata.name", "metadata.namespace"`).
 */
export function builtinFieldLabels(apiVersionSlashKind: string): FieldLabels {
  const extra = Object.hasOwn(BUILTIN_FIELD_SELECTORS, apiVersionSlashKind)
    ? BUILTIN_FIELD_SELECTORS[apiVersionSlashKind]
    : undefined;
  if (extra === undefined) {
    return labelsOf(
      ["metadata.name", "metadata.namespace"],
      (label) =>
        `${JSON.stringify(label)} is not a known field selector: only "metadata.name", "metadata.namespace"`,
    );
  }
  const meta = WITHOUT_NAMESPACE.has(apiVersionSlashKind)
    ? ["metadata.name"]
    : ["metadata.name", "metadata.namespace"];
  const refusal = Object.hasOwn(REFUSALS, apiVersionSlashKind) ? REFUSALS[apiVersionSlashKind] : undefined;
  return labelsOf([...meta, ...extra], refusal ?? unsupported, apiVersionSlashKind);
}

/**
 * A custom resource's field labels: metadata.name, metadata.namespace when namespaced, and the
 * version's selectableFields' jsonPaths without the leading "." (apiextensions' crConverter).
 */
export function customResourceFieldLabels(
  namespaced: boolean,
  selectableFields: readonly string[] = [],
): FieldLabels {
  const meta = namespaced ? ["metadata.name", "metadata.namespace"] : ["metadata.name"];
  return labelsOf([...meta, ...selectableFields.map((p) => p.replace(/^\./, ""))], unsupported);
}

/** splitTerms: split on commas a backslash does not escape, the backslash kept. */
function splitTerms(text: string): string[] {
  if (text.length === 0) return [];
  const terms: string[] = [];
  let start = 0;
  let inSlash = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (inSlash) inSlash = false;
    else if (c === "\\") inSlash = true;
    else if (c === ",") {
      terms.push(text.slice(start, i));
      start = i + 1;
    }
  }
  terms.push(text.slice(start));
  return terms;
}

const TERM_OPERATORS: readonly FieldOperator[] = ["!=", "==", "="];

/** splitTerm: the first position where an operator starts ("!=" before "==" before "="). */
function splitTerm(term: string): [string, FieldOperator, string] | undefined {
  for (let i = 0; i < term.length; i++) {
    for (const op of TERM_OPERATORS) {
      if (term.startsWith(op, i)) return [term.slice(0, i), op, term.slice(i + op.length)];
    }
  }
  return undefined;
}

/** UnescapeValue: `\\`, `\,` and `\=` are the characters; any other escape or a bare , or = is refused. */
function unescapeValue(s: string): string {
  if (!/[\\,=]/.test(s)) return s;
  let out = "";
  let inSlash = false;
  for (const c of s) {
    if (inSlash) {
      if (c !== "\\" && c !== "," && c !== "=") {
        throw new SelectorError(`invalid field selector: invalid escape sequence: \\${c}`);
      }
      out += c;
      inSlash = false;
    } else if (c === "\\") inSlash = true;
    else if (c === "," || c === "=") {
      // Go prints the rune with %v: its code point.
      throw new SelectorError(`invalid field selector: unescaped character in value: ${c.codePointAt(0)}`);
    } else out += c;
  }
  if (inSlash) throw new SelectorError("invalid field selector: invalid escape sequence: \\");
  return out;
}

/**
 * Parses a field selector as fields.ParseSelector does and checks each label against the kind's:
 * `supported` is a kind's FieldLabels (builtinFieldLabels, customResourceFieldLabels) or a bare
 * list of accepted labels, refused as "field label not supported: <label>". Throws SelectorError
 * with the apiserver's message. An empty string selects everything.
 */
export function parseFieldSelector(text: string, supported: readonly string[] | FieldLabels): FieldSelector {
  const labels: FieldLabels = Array.isArray(supported)
    ? labelsOf(supported as readonly string[], unsupported)
    : (supported as FieldLabels);
  const requirements: FieldRequirement[] = [];
  for (const part of splitTerms(text).sort()) {
    if (part === "") continue;
    const split = splitTerm(part);
    if (split === undefined)
      throw new SelectorError(`invalid selector: '${text}'; can't understand '${part}'`);
    const [field, operator, raw] = split;
    requirements.push({ field, operator, value: unescapeValue(raw) });
  }
  for (const r of requirements) {
    if (!labels.supported.includes(r.field)) throw new SelectorError(labels.refusal(r.field));
  }
  return {
    requirements,
    matches: (obj) =>
      requirements.every((r) => (labels.value(obj, r.field) === r.value) === (r.operator !== "!=")),
  };
}
