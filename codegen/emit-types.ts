import type { GlobalContext } from "openapi-typescript";
import { astToString, resolveRef, scanDiscriminators, transformSchema } from "openapi-typescript";
import type { OpenApiDocument } from "./openapi-types.js";

const DEPRECATED_WATCH = /^\/apis?\/(?:[^/]+\/)?[^/]+\/watch\//;

export interface EmittedTypes {
  /** `export interface components`: what consumers who only name types load. */
  components: string;
  /** `paths`, `webhooks` and `operations`, importing components: for the raw client. */
  paths: string;
}

/**
 * Runs openapi-typescript's transform on our already-bundled document. `openapiTS()` would
 * first re-bundle and lint it with Redocly (half the time on the largest spec) and produce
 * the same output; every $ref here is local and was checked by `toOpenApi3`.
 */
export function emitTypes(full: OpenApiDocument): EmittedTypes {
  // The /watch/ paths are deprecated (`?watch=true` on the list path replaces them) and are
  // a quarter of all paths: typing them would cost every consumer's type-check.
  const paths = Object.fromEntries(Object.entries(full.paths).filter(([p]) => !DEPRECATED_WATCH.test(p)));
  const doc: OpenApiDocument = { ...full, paths };
  const schema = doc as unknown as Parameters<typeof transformSchema>[0];
  const ctx: GlobalContext = {
    additionalProperties: false,
    alphabetize: false,
    arrayLength: false,
    // A field with a default is still optional to the client: the server fills it in.
    defaultNonNullable: false,
    discriminators: scanDiscriminators(schema, {}),
    // `{type: object}` with no properties (Patch, RawExtension, FieldsV1) stays open.
    emptyObjectsUnknown: true,
    enum: false,
    enumValues: false,
    conditionalEnums: false,
    dedupeEnums: false,
    excludeDeprecated: false,
    exportType: false,
    immutable: false,
    injectFooter: [],
    pathParamsAsTypes: false,
    postTransform: undefined,
    propertiesRequiredByDefault: false,
    redoc: undefined as unknown as GlobalContext["redoc"],
    rootTypes: false,
    rootTypesNoSchemaPrefix: false,
    rootTypesKeepCasing: false,
    silent: true,
    transform: undefined,
    transformProperty: undefined,
    makePathsEnum: false,
    generatePathParams: false,
    readWriteMarkers: false,
    resolve: ($ref) => resolveRef(schema, $ref, { silent: true }),
  };
  const nodes = transformSchema(schema, ctx);
  const components: typeof nodes = [];
  const rest: typeof nodes = [];
  for (const node of nodes) {
    const name = (node as { name?: { text?: string } }).name?.text;
    if (name === "components") components.push(node);
    else if (name !== "$defs") rest.push(node);
  }
  return {
    components: astToString(components),
    paths: `import type { components } from "./components.js";\nexport type { components };\n\n${astToString(rest)}`,
  };
}
