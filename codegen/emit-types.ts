import type { GlobalContext } from "openapi-typescript";
import { astToString, resolveRef, scanDiscriminators, transformSchema } from "openapi-typescript";
import ts from "typescript";
import type { OpenApiDocument } from "./openapi-types.js";

/** Members every object literal has through Object.prototype (lib.es5's `interface Object`). */
const OBJECT_MEMBERS = new Set([
  "constructor",
  "toString",
  "toLocaleString",
  "valueOf",
  "hasOwnProperty",
  "isPrototypeOf",
  "propertyIsEnumerable",
]);

/**
 * A field named like a member of Object (a CRD's `constructor: string`) would make every
 * object literal without it fail to type-check: TypeScript compares the literal's apparent
 * `constructor` (a Function) with the field's type. Optional such fields also accept
 * Object's own member, so a literal that omits them type-checks; a literal that sets them
 * is still checked against the field's type.
 */
function allowObjectMember(property: ts.PropertySignature): ts.PropertySignature {
  const name = property.name;
  const text = ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;
  if (!text || !OBJECT_MEMBERS.has(text) || !property.questionToken || !property.type) return property;
  const own = ts.factory.createIndexedAccessTypeNode(
    ts.factory.createTypeReferenceNode("Object"),
    ts.factory.createLiteralTypeNode(ts.factory.createStringLiteral(text)),
  );
  return ts.factory.updatePropertySignature(
    property,
    property.modifiers,
    property.name,
    property.questionToken,
    ts.factory.createUnionTypeNode([property.type, own]),
  );
}

/**
 * `components` with each definition's type moved to a top-level alias of its own
 * (`"io.k8s.api.apps.v1.Deployment": io_k8s_api_apps_v1_Deployment`). tsc takes a type literal
 * nested in an interface for one that may hold type parameters, and walks it whole in every
 * inference that meets it: `list.items.map((d) => ...)` resolved a Deployment's every nested
 * definition (850 types). A top-level alias without parameters it knows to skip. `export {}`
 * keeps the aliases out of the module's exports.
 */
function namedDefinitions(node: ts.Node): ts.Node[] {
  if (!ts.isInterfaceDeclaration(node)) return [node];
  const aliases: ts.TypeAliasDeclaration[] = [];
  const taken = new Set<string>();
  const members = node.members.map((member) => {
    if (!ts.isPropertySignature(member) || !member.type || !ts.isTypeLiteralNode(member.type)) return member;
    if (!ts.isIdentifier(member.name) || member.name.text !== "schemas") return member;
    const definitions = member.type.members.map((d) => {
      if (!ts.isPropertySignature(d) || !d.type || !(ts.isStringLiteral(d.name) || ts.isIdentifier(d.name))) {
        return d;
      }
      const name = aliasName(d.name.text, taken);
      aliases.push(ts.factory.createTypeAliasDeclaration(undefined, name, undefined, d.type));
      return ts.factory.updatePropertySignature(
        d,
        d.modifiers,
        d.name,
        d.questionToken,
        ts.factory.createTypeReferenceNode(name),
      );
    });
    return ts.factory.updatePropertySignature(
      member,
      member.modifiers,
      member.name,
      member.questionToken,
      ts.factory.updateTypeLiteralNode(member.type, ts.factory.createNodeArray(definitions)),
    );
  });
  const exportNothing = ts.factory.createExportDeclaration(
    undefined,
    false,
    ts.factory.createNamedExports([]),
  );
  const components = ts.factory.updateInterfaceDeclaration(
    node,
    node.modifiers,
    node.name,
    node.typeParameters,
    node.heritageClauses,
    members,
  );
  documented(
    components,
    'Every definition of the spec by its full name (`components["schemas"]["io.k8s.api.core.v1.Pod"]`); the short names (`coreV1.Pod`) are the same types.',
  );
  return [components, ...aliases, exportNothing];
}

/** What openapi-typescript's top-level declarations are, as their doc comments. */
const TOP_LEVEL_DOCS: Record<string, string> = {
  paths: "Every path of the spec (but the deprecated /watch/ ones): its parameters and operations by method.",
  webhooks: "The spec's webhooks: Kubernetes declares none.",
  operations: "Every operation of the spec by its operationId: parameters, request body and responses.",
};

/** Gives a declaration a doc comment of one line. */
function documented(node: ts.Node, text: string): void {
  ts.addSyntheticLeadingComment(node, ts.SyntaxKind.MultiLineCommentTrivia, `* ${text} `, true);
}

/** A definition's name as an identifier (`io.k8s.api.apps.v1.Deployment` -> io_k8s_api_apps_v1_Deployment), unique. */
function aliasName(definition: string, taken: Set<string>): string {
  let name = definition.replace(/[^A-Za-z0-9_$]/g, "_");
  if (/^[0-9]/.test(name) || ts.identifierToKeywordKind(ts.factory.createIdentifier(name)) !== undefined)
    name = `_${name}`;
  let unique = name;
  for (let i = 2; taken.has(unique); i++) unique = `${name}_${i}`;
  taken.add(unique);
  return unique;
}

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
    transformProperty: allowObjectMember,
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
    if (name === "components") components.push(...namedDefinitions(node));
    else if (name !== "$defs") {
      const doc = name === undefined ? undefined : TOP_LEVEL_DOCS[name];
      if (doc) documented(node, doc);
      rest.push(node);
    }
  }
  return {
    components: astToString(components),
    paths: `import type { components } from "./components.js";\nexport type { components };\n\n${astToString(rest)}`,
  };
}
