/**
 * zod validators of a generated API's definitions, built on first use; behind its own import so
 * that only its users load zod.
 * @packageDocumentation
 */
import { z } from "zod";
import type { ValidationResult } from "../core/validation-result.js";
import type { JsonSchema } from "./json-schema.js";
import { nullAsAbsent } from "./wire-nulls.js";

/** One generated API's validators: `validators.get("io.k8s.api.core.v1.Pod").parse(obj)`. */
export interface Validators<Schemas> {
  /** The zod schema of one definition, built on first use and cached. */
  get<N extends keyof Schemas & string>(name: N): z.ZodType<Schemas[N]>;
  /** Validates `value` against one definition; issues carry the field path. */
  validate<N extends keyof Schemas & string>(name: N, value: unknown): ValidationResult<Schemas[N]>;
  /** Every definition name this API has. */
  names(): (keyof Schemas & string)[];
  /** The JSON Schema the validator of `name` is built from (`$ref`s point into `#/$defs/`). */
  definition(name: string): JsonSchema | undefined;
}

export type { ValidationIssue, ValidationResult } from "../core/validation-result.js";
/** A JSON Schema as the generator writes it: plain data. */
export type { JsonSchema } from "./json-schema.js";

/**
 * Builds validators lazily from a generated API's JSON Schema definitions (`$defs`), with
 * zod's JSON Schema importer. Lazy because building all ~800 at once costs a second or
 * more at start-up, and most programs validate a handful of kinds.
 */
export function createValidators<Schemas>(definitionsJson: string): Validators<Schemas> {
  let defs: Record<string, unknown> | undefined;
  let zodDefs: unknown;
  const cache = new Map<string, z.ZodType>();
  const definitions = () => {
    defs ??= JSON.parse(definitionsJson) as Record<string, unknown>;
    return defs;
  };
  const get = (name: string): z.ZodType => {
    let schema = cache.get(name);
    if (!schema) {
      if (!Object.hasOwn(definitions(), name)) throw new RangeError(`no definition named ${name}`);
      // zod reads `nullable` in OpenAPI 3.0 mode only, where definitions live under `definitions`.
      zodDefs ??= nullAsAbsent(JSON.parse(definitionsJson.replaceAll('"#/$defs/', '"#/definitions/')));
      schema = fromOpenApi30({ $ref: `#/definitions/${escapeRef(name)}`, definitions: zodDefs });
      cache.set(name, schema);
    }
    return schema;
  };
  return {
    get: get as Validators<Schemas>["get"],
    validate: (name, value) => check(get(name), value) as ValidationResult<Schemas[typeof name]>,
    names: () => Object.keys(definitions()).sort() as (keyof Schemas & string)[],
    definition: (name) =>
      Object.hasOwn(definitions(), name) ? (definitions()[name] as JsonSchema) : undefined,
  };
}

/**
 * A validator for one standalone JSON Schema, such as a CustomResourceDefinition's
 * `openAPIV3Schema`. Throws when zod cannot read the schema.
 */
export function createSchemaValidator(schema: JsonSchema): (value: unknown) => ValidationResult<unknown> {
  const zschema = fromOpenApi30(nullAsAbsent(schema));
  return (value) => check(zschema, value);
}

function fromOpenApi30(schema: unknown): z.ZodType {
  return z.fromJSONSchema(schema as never, { defaultTarget: "openapi-3.0" });
}

function check(schema: z.ZodType, value: unknown): ValidationResult<unknown> {
  // zod reads an object's fields with `obj[key]`, so a field named `constructor` or
  // `toString` that the object lacks would read Object.prototype's function. Validating a
  // prototype-free copy makes every lookup an own-property lookup.
  const r = schema.safeParse(withoutPrototypes(value));
  if (r.success) return { success: true, data: withPrototypes(r.data) };
  return {
    success: false,
    issues: r.error.issues.map((i) => ({ path: formatPath(i.path), message: i.message })),
  };
}

/** A deep copy whose objects have no prototype: only own properties can be read. */
function withoutPrototypes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withoutPrototypes);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = Object.create(null);
  for (const [k, v] of Object.entries(value)) out[k] = withoutPrototypes(v);
  return out;
}

/** The inverse, for the parsed data handed back: plain objects, `__proto__` kept as a key. */
function withPrototypes(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(withPrototypes);
  if (value === null || typeof value !== "object") return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) {
    Object.defineProperty(out, k, {
      value: withPrototypes(v),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return out;
}

function escapeRef(name: string): string {
  return name.replaceAll("~", "~0").replaceAll("/", "~1");
}

/** `["spec","containers",0,"name"]` -> `spec.containers[0].name`, as kubectl prints it. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = "";
  for (const seg of path) {
    if (typeof seg === "number") out += `[${seg}]`;
    else out += out ? `.${String(seg)}` : String(seg);
  }
  return out;
}
