// A TypeDoc plugin (typedoc.json loads it): a generated client's declarations that hold the
// whole Kubernetes API (`components`, `paths`, `operations`, the `Registry` type) stay in the
// reference as one entry each, with their comment and source, but without their members.
// Member by member they are tens of thousands of undocumented properties (the spec's own
// descriptions are on the definitions) and 64 MB of HTML (`paths` alone 41 MB) that take
// twice the time and memory to build; the short names (`coreV1.Pod`) and an editor's hover
// serve a reader better. Should the files or names change, the build fails: the members are
// undocumented.

import { Converter, ReflectionKind, ReflectionType, UnknownType } from "typedoc";

const WHOLE_API = new Set(["components", "paths", "operations", "Registry"]);
// The files kubefetch's codegen writes them to (codegen/emit-types.ts, emit-client.ts).
const GENERATED = /(^|\/)generated\/[^/]+\/(components|openapi|client)\.d\.ts$/;

/** @param {import("typedoc").Application} app */
export function load(app) {
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    const { project } = context;
    for (const refl of project.getReflectionsByKind(ReflectionKind.Interface | ReflectionKind.TypeAlias)) {
      const file = project.getSymbolIdFromReflection(refl)?.fileName ?? "";
      if (!WHOLE_API.has(refl.name) || !GENERATED.test(file.replaceAll("\\", "/"))) continue;
      if (refl.type instanceof ReflectionType) {
        project.removeReflection(refl.type.declaration);
        refl.type = new UnknownType("{ … }");
      } else {
        for (const child of [...(refl.children ?? []), ...(refl.indexSignatures ?? [])]) {
          project.removeReflection(child);
        }
      }
      refl.comment?.summary.push({
        kind: "text",
        text: "\n\nIts members, the whole API, are not listed here: see the declaration in its file.",
      });
    }
  });
}
