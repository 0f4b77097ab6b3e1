// A TypeDoc plugin (typedoc.json loads it): each entry point is named by the import that
// reaches it, from package.json's "exports" ("kubefetch/transport", not TypeDoc's "src/transport"),
// so the reference and the package cannot disagree on what a module is called.
import { readFileSync } from "node:fs";
import { join, resolve } from "node:path";
import { Converter, ReflectionKind } from "typedoc";

/** @param {import("typedoc").Application} app */
export function load(app) {
  const root = join(import.meta.dirname, "..");
  const pkg = JSON.parse(readFileSync(join(root, "package.json"), "utf8"));
  /** @type {Map<string, string>} the source file of each export -> its import specifier */
  const names = new Map();
  for (const [subpath, target] of Object.entries(pkg.exports)) {
    // A types-only entry's source is a { types } object (publint's shape for it).
    const given = typeof target === "object" ? target["kubefetch-source"] : undefined;
    const source = typeof given === "object" ? given?.types : given;
    if (source) names.set(resolve(root, source), pkg.name + subpath.slice(1));
  }
  app.converter.on(Converter.EVENT_RESOLVE_BEGIN, (context) => {
    for (const module of context.project.getReflectionsByKind(ReflectionKind.Module)) {
      const file = module.sources?.[0]?.fullFileName;
      const name = file && names.get(resolve(file));
      if (name) module.name = name;
      // typedoc.json has treatWarningsAsErrors: an entry point no import reaches fails the build.
      else app.logger.warn(`${module.name}: no entry of package.json's "exports" is this file`);
    }
  });
}
