import { decodePointerSegment, GenerateError, pointerSegment } from "./errors.js";
import type {
  GroupVersionKind,
  HttpMethod,
  OpenApiDocument,
  Operation,
  Parameter,
  PathItem,
  Schema,
} from "./openapi-types.js";
import { HTTP_METHODS } from "./openapi-types.js";

/**
 * Swagger 2.0 -> OpenAPI 3.0 for the subset Kubernetes emits, plus the Kubernetes-specific
 * schema fixes both the types and the validators need. Chosen over swagger2openapi by
 * measurement: this runs in tens of milliseconds on the largest spec where swagger2openapi
 * takes 2-3 s, and it needs no dependencies. Schemas are walked structurally (properties,
 * items, ...) because JSONSchemaProps has properties literally named `$ref`, `type`,
 * `format` and `default`.
 */
export function toOpenApi3(input: Record<string, unknown>, where: string): OpenApiDocument {
  if (input.swagger === "2.0") return fromSwagger2(input, where);
  if (typeof input.openapi === "string" && input.openapi.startsWith("3.")) {
    return fromOpenApi3(input, where);
  }
  const found =
    "swagger" in input
      ? `swagger: ${JSON.stringify(input.swagger)}`
      : "openapi" in input
        ? `openapi: ${JSON.stringify(input.openapi)}`
        : "no swagger or openapi field";
  throw new GenerateError(where, `not a Swagger 2.0 or OpenAPI 3 document (${found})`);
}

const V2_DEFINITION = "#/definitions/";
const V2_PARAMETER = "#/parameters/";
const V3_SCHEMA = "#/components/schemas/";
const V3_PARAMETER = "#/components/parameters/";

interface Ctx {
  where: string;
  /** The prefix schema $refs have in the input. */
  schemaRefPrefix: string;
  definitions: Record<string, unknown>;
}

function fromSwagger2(input: Record<string, unknown>, where: string): OpenApiDocument {
  const definitions = objectAt(input, "definitions", `${where}#`) ?? {};
  const ctx: Ctx = { where, schemaRefPrefix: V2_DEFINITION, definitions };
  const schemas = convertDefinitions(definitions, ctx, "/definitions");

  const rawParams = objectAt(input, "parameters", `${where}#`) ?? {};
  const bodyParams = new Map<string, Record<string, unknown>>();
  const parameters: Record<string, Parameter> = {};
  for (const name of Object.keys(rawParams).sort()) {
    const p = rawParams[name] as Record<string, unknown>;
    const ptr = `/parameters/${pointerSegment(name)}`;
    if (p.in === "body") bodyParams.set(name, p);
    else parameters[name] = convertParameter(p, ctx, ptr);
  }

  const paths: Record<string, PathItem> = {};
  const rawPaths = objectAt(input, "paths", `${where}#`) ?? {};
  for (const path of Object.keys(rawPaths).sort()) {
    const ptr = `/paths/${pointerSegment(path)}`;
    const item = rawPaths[path] as Record<string, unknown>;
    const out: PathItem = {};
    const shared = convertParameterList(item.parameters, ctx, `${ptr}/parameters`, rawParams);
    if (shared.body) {
      throw new GenerateError(`${where}#${ptr}/parameters`, "body parameter on a path item");
    }
    if (shared.params.length) out.parameters = shared.params;
    for (const method of HTTP_METHODS) {
      const op = item[method] as Record<string, unknown> | undefined;
      if (op) out[method] = convertOperation(op, ctx, `${ptr}/${method}`, rawParams);
    }
    paths[path] = out;
  }

  const info = (input.info ?? {}) as { title?: string; version?: string };
  return {
    openapi: "3.0.3",
    info: { title: info.title ?? "Kubernetes", version: info.version ?? "unversioned" },
    paths,
    components: { schemas, parameters },
  };
}

function fromOpenApi3(input: Record<string, unknown>, where: string): OpenApiDocument {
  const components = objectAt(input, "components", `${where}#`) ?? {};
  const definitions = objectAt(components, "schemas", `${where}#/components`) ?? {};
  const ctx: Ctx = { where, schemaRefPrefix: V3_SCHEMA, definitions };
  const schemas = convertDefinitions(definitions, ctx, "/components/schemas");
  const paths = (objectAt(input, "paths", `${where}#`) ?? {}) as Record<string, PathItem>;
  // Path schemas are checked and fixed the same way as the definitions.
  const fixedPaths: Record<string, PathItem> = {};
  for (const path of Object.keys(paths).sort()) {
    const ptr = `/paths/${pointerSegment(path)}`;
    const item = paths[path] as PathItem;
    const out: PathItem = { ...item };
    for (const method of HTTP_METHODS) {
      const op = item[method];
      if (!op) continue;
      out[method] = mapOperationSchemas(op, (s, p) => convertSchema(s, ctx, `${ptr}/${method}${p}`));
    }
    fixedPaths[path] = out;
  }
  const info = (input.info ?? {}) as { title?: string; version?: string };
  return {
    openapi: String(input.openapi),
    info: { title: info.title ?? "Kubernetes", version: info.version ?? "unversioned" },
    paths: fixedPaths,
    components: {
      schemas,
      parameters: (components.parameters ?? {}) as Record<string, Parameter>,
    },
  };
}

function mapOperationSchemas(op: Operation, fix: (s: Schema, ptr: string) => Schema): Operation {
  const out: Operation = { ...op };
  if (op.requestBody) {
    const content: Record<string, { schema: Schema }> = {};
    for (const [mt, media] of Object.entries(op.requestBody.content ?? {})) {
      content[mt] = { schema: fix(media.schema, `/requestBody/content/${pointerSegment(mt)}/schema`) };
    }
    out.requestBody = { ...op.requestBody, content };
  }
  if (op.responses) {
    const responses: NonNullable<Operation["responses"]> = {};
    for (const [code, res] of Object.entries(op.responses)) {
      if (!res.content) {
        responses[code] = res;
        continue;
      }
      const content: Record<string, { schema: Schema }> = {};
      for (const [mt, media] of Object.entries(res.content)) {
        const p = `/responses/${code}/content/${pointerSegment(mt)}/schema`;
        content[mt] = { schema: media.schema ? fix(media.schema, p) : {} };
      }
      responses[code] = { ...res, content };
    }
    out.responses = responses;
  }
  return out;
}

function convertDefinitions(
  definitions: Record<string, unknown>,
  ctx: Ctx,
  base: string,
): Record<string, Schema> {
  const out: Record<string, Schema> = {};
  for (const name of Object.keys(definitions).sort()) {
    const ptr = `${base}/${pointerSegment(name)}`;
    const def = definitions[name];
    if (!isObject(def)) throw new GenerateError(`${ctx.where}#${ptr}`, "definition is not an object");
    out[name] = withKindLiterals(
      definitionOverride(name, def as Schema) ?? convertSchema(def as Schema, ctx, ptr),
    );
  }
  return out;
}

/**
 * OpenAPI 3 definitions added to a document (CRDs), converted as the document's own are:
 * `$ref`s must point at `#/components/schemas/` names in `known`.
 */
export function convertDefinitionsV3(
  definitions: Record<string, Schema>,
  known: Set<string>,
  where: string,
): Record<string, Schema> {
  const names: Record<string, true> = {};
  for (const n of known) names[n] = true;
  return convertDefinitions(
    definitions,
    { where, schemaRefPrefix: V3_SCHEMA, definitions: names },
    "/components/schemas",
  );
}

/** Definitions whose published schema is wrong for clients, replaced whole. */
function definitionOverride(name: string, def: Schema): Schema | undefined {
  const description = def.description;
  const desc = description === undefined ? {} : { description };
  // Go writes a zero metav1.Time or MicroTime as null (`creationTimestamp: null` in a Job's
  // pod template), so null is part of these types on the wire.
  if (name.endsWith(".pkg.apis.meta.v1.Time") || name.endsWith(".pkg.apis.meta.v1.MicroTime")) {
    return { ...def, nullable: true };
  }
  // Quantity is published as a plain string, but the API server accepts and sometimes
  // returns numbers (`cpu: 1`).
  if (name.endsWith(".pkg.api.resource.Quantity")) {
    return { ...desc, anyOf: [{ type: "string" }, { type: "number" }] };
  }
  // A Patch body is a JSON patch (array) or a merge/strategic/apply patch (object);
  // `{type: object}` alone would admit neither.
  if (name.endsWith(".pkg.apis.meta.v1.Patch")) {
    return {
      ...desc,
      anyOf: [
        { type: "array", items: { type: "object", additionalProperties: true } },
        { type: "object", additionalProperties: true },
      ],
    };
  }
  return undefined;
}

/**
 * `apiVersion` and `kind` become literal types from x-kubernetes-group-version-kind. With
 * one GVK they are required: the runtime fills them in on create and on list items, so a
 * `Pod` always has `kind: "Pod"`. With several (DeleteOptions, WatchEvent) they stay
 * optional unions.
 */
function withKindLiterals(def: Schema): Schema {
  const gvks = def["x-kubernetes-group-version-kind"];
  if (!Array.isArray(gvks) || gvks.length === 0 || !def.properties) return def;
  const props = def.properties;
  if (!props.kind || !props.apiVersion) return def;
  const kinds = unique(gvks.map((g) => g.kind));
  const apiVersions = unique(gvks.map(apiVersionOf));
  const properties = {
    ...props,
    apiVersion: { ...props.apiVersion, type: "string", enum: apiVersions },
    kind: { ...props.kind, type: "string", enum: kinds },
  };
  if (gvks.length !== 1) return { ...def, properties };
  const required = unique([...(def.required ?? []), "apiVersion", "kind"]);
  return { ...def, properties, required };
}

export function apiVersionOf(g: GroupVersionKind): string {
  return g.group ? `${g.group}/${g.version}` : g.version;
}

function unique<T>(values: T[]): T[] {
  return [...new Set(values)];
}

/** Rewrites refs, checks they resolve, and fixes the Kubernetes formats in one schema tree. */
function convertSchema(schema: Schema, ctx: Ctx, ptr: string): Schema {
  if (!isObject(schema)) {
    if (typeof schema === "boolean") return schema;
    throw new GenerateError(`${ctx.where}#${ptr}`, "schema is not an object");
  }
  let out: Schema = { ...schema };
  if (typeof schema.$ref === "string") out.$ref = schemaRef(schema.$ref, ctx, ptr);

  if (schema.format === "int-or-string" || schema["x-kubernetes-int-or-string"] === true) {
    // int-or-string: accepts 80 and "http". Keep description and extensions, drop the
    // string-only type.
    const { type: _t, format: _f, ...rest } = out;
    out = { ...rest, anyOf: [{ type: "integer" }, { type: "string" }] };
  }

  if (schema.properties !== undefined) {
    if (!isObject(schema.properties)) {
      throw new GenerateError(`${ctx.where}#${ptr}/properties`, "properties is not an object");
    }
    const props: Record<string, Schema> = {};
    for (const [k, v] of Object.entries(schema.properties)) {
      props[k] = convertSchema(v, ctx, `${ptr}/properties/${pointerSegment(k)}`);
    }
    out.properties = props;
  }
  if (schema.items !== undefined) {
    out.items = Array.isArray(schema.items)
      ? // Tuple form (JSON Schema draft 4): no Kubernetes type uses it; treat as any item.
        {}
      : convertSchema(schema.items, ctx, `${ptr}/items`);
  }
  if (isObject(schema.additionalProperties)) {
    out.additionalProperties = convertSchema(
      schema.additionalProperties as Schema,
      ctx,
      `${ptr}/additionalProperties`,
    );
  }
  for (const key of ["allOf", "anyOf", "oneOf"] as const) {
    const list = schema[key];
    if (Array.isArray(list)) {
      out[key] = list.map((s, i) => convertSchema(s, ctx, `${ptr}/${key}/${i}`));
    }
  }
  if (isObject(schema.not)) out.not = convertSchema(schema.not as Schema, ctx, `${ptr}/not`);

  // Objects the server keeps open stay open in the types (CRD payloads, RawExtension).
  if (schema["x-kubernetes-preserve-unknown-fields"] === true && out.additionalProperties === undefined) {
    out.additionalProperties = true;
  }
  return out;
}

function schemaRef(ref: string, ctx: Ctx, ptr: string): string {
  const at = `${ctx.where}#${ptr}/$ref`;
  if (!ref.startsWith("#/")) throw new GenerateError(at, `external $ref ${ref} is not supported`);
  if (!ref.startsWith(ctx.schemaRefPrefix)) {
    throw new GenerateError(at, `$ref ${ref} does not point into ${ctx.schemaRefPrefix}`);
  }
  const name = decodePointerSegment(ref.slice(ctx.schemaRefPrefix.length));
  if (!Object.hasOwn(ctx.definitions, name)) {
    throw new GenerateError(at, `$ref ${ref} resolves nowhere`);
  }
  return V3_SCHEMA + pointerSegment(name);
}

function convertParameter(p: Record<string, unknown>, ctx: Ctx, ptr: string): Parameter {
  const where = `${ctx.where}#${ptr}`;
  if (typeof p.name !== "string") throw new GenerateError(where, "parameter without a name");
  const loc = p.in;
  if (loc !== "query" && loc !== "path" && loc !== "header") {
    throw new GenerateError(where, `parameter location ${JSON.stringify(loc)} is not supported`);
  }
  const schema: Schema = {};
  for (const key of ["type", "format", "enum", "default"] as const) {
    if (p[key] !== undefined) (schema as Record<string, unknown>)[key] = p[key];
  }
  if (isObject(p.items)) schema.items = convertSchema(p.items as Schema, ctx, `${ptr}/items`);
  const out: Parameter = { name: p.name, in: loc, schema };
  if (p.required === true || loc === "path") out.required = true;
  if (typeof p.description === "string") out.description = p.description;
  return out;
}

interface ConvertedParams {
  params: (Parameter | { $ref: string })[];
  body?: Record<string, unknown>;
  bodyPtr?: string;
}

function convertParameterList(
  list: unknown,
  ctx: Ctx,
  ptr: string,
  shared: Record<string, unknown>,
): ConvertedParams {
  const out: ConvertedParams = { params: [] };
  if (list === undefined) return out;
  if (!Array.isArray(list)) throw new GenerateError(`${ctx.where}#${ptr}`, "parameters is not a list");
  list.forEach((raw: Record<string, unknown>, i) => {
    const at = `${ptr}/${i}`;
    let p = raw;
    let resolvedAt = at;
    if (typeof raw.$ref === "string") {
      if (!raw.$ref.startsWith(V2_PARAMETER)) {
        throw new GenerateError(
          `${ctx.where}#${at}/$ref`,
          `$ref ${raw.$ref} is not a #/parameters/ reference`,
        );
      }
      const name = decodePointerSegment(raw.$ref.slice(V2_PARAMETER.length));
      if (!Object.hasOwn(shared, name)) {
        throw new GenerateError(`${ctx.where}#${at}/$ref`, `$ref ${raw.$ref} resolves nowhere`);
      }
      p = shared[name] as Record<string, unknown>;
      resolvedAt = `/parameters/${pointerSegment(name)}`;
      if (p.in !== "body") {
        out.params.push({ $ref: V3_PARAMETER + pointerSegment(name) });
        return;
      }
    }
    if (p.in === "body") {
      out.body = p;
      out.bodyPtr = resolvedAt;
    } else {
      out.params.push(convertParameter(p, ctx, at));
    }
  });
  return out;
}

function convertOperation(
  op: Record<string, unknown>,
  ctx: Ctx,
  ptr: string,
  shared: Record<string, unknown>,
): Operation {
  const out: Operation = {};
  if (typeof op.operationId === "string") out.operationId = op.operationId;
  if (typeof op.description === "string") out.description = op.description;
  const { params, body, bodyPtr } = convertParameterList(op.parameters, ctx, `${ptr}/parameters`, shared);
  if (params.length) out.parameters = params;
  if (body) {
    const schema = convertSchema(body.schema as Schema, ctx, `${bodyPtr}/schema`);
    const consumes = (Array.isArray(op.consumes) ? op.consumes : ["application/json"]) as string[];
    const content: Record<string, { schema: Schema }> = {};
    for (const mt of consumes) content[mt === "*/*" ? "application/json" : mt] = { schema };
    out.requestBody = { content };
    if (body.required === true) out.requestBody.required = true;
    if (typeof body.description === "string") out.requestBody.description = body.description;
  }
  const responses: NonNullable<Operation["responses"]> = {};
  const rawResponses = (op.responses ?? {}) as Record<string, Record<string, unknown>>;
  for (const code of Object.keys(rawResponses).sort()) {
    const r = rawResponses[code] as Record<string, unknown>;
    const res: { description: string; content?: Record<string, { schema: Schema }> } = {
      description: typeof r.description === "string" ? r.description : "",
    };
    if (isObject(r.schema)) {
      const p = `${ptr}/responses/${pointerSegment(code)}/schema`;
      // One media type: openapi-fetch reads JSON, and one entry keeps the types small.
      res.content = { "application/json": { schema: convertSchema(r.schema as Schema, ctx, p) } };
    }
    responses[code] = res;
  }
  out.responses = responses;
  for (const key of Object.keys(op)) {
    if (key.startsWith("x-kubernetes-")) out[key] = op[key];
  }
  return out;
}

function objectAt(
  parent: Record<string, unknown>,
  key: string,
  where: string,
): Record<string, unknown> | undefined {
  const v = parent[key];
  if (v === undefined) return undefined;
  if (!isObject(v)) throw new GenerateError(`${where}/${pointerSegment(key)}`, `${key} is not an object`);
  return v as Record<string, unknown>;
}

function isObject(v: unknown): boolean {
  return v !== null && typeof v === "object" && !Array.isArray(v);
}

export type { HttpMethod };
