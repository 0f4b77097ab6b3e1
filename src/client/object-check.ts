// Objects checked against their generated schema before they are sent: when a client is given
// a generated API's validators, create and replace (of a resource or a subresource with a body)
// refuse an object that does not match, for typed kinds and for kube.resource() alike.

import { issueMessage } from "../core/issue-message.js";
import type { RequestSpec } from "../core/request.js";
import type { ValidationIssue, ValidationResult } from "../core/validation-result.js";

/** A generated API's `validators` (its schemas.ts), as `createClient(config, { validators })` takes them. */
export interface ObjectValidators {
  /** Checks `value` against the definition `name` (typed `never`: any generated API's names fit). */
  validate(name: never, value: unknown): ValidationResult<unknown>;
}

const MAX_LINES = 20;

/** An object that does not match its kind's schema. Nothing was sent to the server. */
export class InvalidObjectError extends TypeError {
  /** "InvalidObjectError", as stack traces show it. */
  override name = "InvalidObjectError";
  /** The verb of the call that refused it. */
  readonly verb: string;
  /** The resource it was called on. */
  readonly resource: string;
  /** The definition the object was checked against, e.g. `io.velero.v1.BackupStorageLocation`. */
  readonly schema: string;
  /** Every place the object does not match, with what is wrong there. */
  readonly issues: readonly ValidationIssue[];

  constructor(verb: string, resource: string, schema: string, issues: ValidationIssue[]) {
    const lines = issues.slice(0, MAX_LINES).map((i) => `  ${i.path || "(object)"}: ${i.message}`);
    if (issues.length > MAX_LINES) lines.push(`  ... and ${issues.length - MAX_LINES} more`);
    super(`${verb} ${resource}: the object does not match ${schema}; nothing was sent\n${lines.join("\n")}`);
    this.verb = verb;
    this.resource = resource;
    this.schema = schema;
    this.issues = issues;
  }
}

/** The definition a request's body must match: whole objects only (create, replace), not patches. */
function schemaOf(spec: RequestSpec): string | undefined {
  if (spec.method !== "POST" && spec.method !== "PUT") return undefined;
  if (spec.body === null || typeof spec.body !== "object" || Array.isArray(spec.body)) return undefined;
  if (spec.subresource) return spec.resource.subresources[spec.subresource]?.schema;
  return spec.resource.schema;
}

/** Throws InvalidObjectError when the body of `spec` does not match its schema. */
export function checkObject(validators: ObjectValidators | undefined, spec: RequestSpec): void {
  if (!validators) return;
  const schema = schemaOf(spec);
  if (!schema) return;
  const r = validators.validate(schema as never, spec.body);
  if (r.success) return;
  const issues = r.issues.map((i) => ({ path: i.path, message: issueMessage(i.message) }));
  const what = spec.subresource ? `${spec.resource.plural}/${spec.subresource}` : spec.resource.plural;
  throw new InvalidObjectError(spec.verb, what, schema, issues);
}
