// Compiles src/, codegen/ and generated/ into dist/ (ES modules), copies the generated .d.ts
// files, which tsc does not emit, then builds the CommonJS copy of the runtime in dist/cjs/
// for the CommonJS loaders that cannot require() an ES module (Jest's module runtime, older
// bundlers). package.json's "require" condition points there; Node's own require() takes
// "module-sync" (the ES build) first, so one process under Node loads one copy.
import { execFileSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";

const root = join(import.meta.dirname, "..");
const dist = join(root, "dist");
const cjs = join(dist, "cjs");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
const compile = (config) =>
  execFileSync(process.execPath, [tsc, "-p", join(root, config)], { stdio: "inherit", cwd: root });

rmSync(dist, { recursive: true, force: true });
compile("tsconfig.build.json");
for (const dir of readdirSync(join(root, "generated"), { withFileTypes: true })) {
  if (!dir.isDirectory()) continue;
  for (const f of readdirSync(join(root, "generated", dir.name))) {
    if (f.endsWith(".d.ts"))
      cpSync(join(root, "generated", dir.name, f), join(dist, "generated", dir.name, f));
  }
}

// The CommonJS JavaScript: a transpile of the code the ES build just type-checked (noCheck),
// one file per module as there, so each entry point shares one KubeError class.
compile("tsconfig.build-cjs.json");
writeFileSync(join(cjs, "package.json"), `${JSON.stringify({ type: "commonjs" })}\n`);
// Its declarations are the ES build's, read as CommonJS because of that package.json. A
// types-only module (no .js beside it) that imports no package means the same in either
// format, so the package holds it once (the generated API types: openapi.d.ts and
// components.d.ts are 6.5 MB): in the CommonJS tree, with the ES tree's file re-exporting
// it, as an ES module may import CommonJS in every TypeScript setup while the reverse fails
// under module node16 (TS1479) unless skipLibCheck hides it. The other declarations are
// copied, so a package they import ("kubefetch", undici) resolves as a require() does.
const importsPackage = (text) => /^\s*(?:import|export)\b[^;]*?\bfrom\s+"(?![./])/m.test(text);
const declarations = readdirSync(dist, { recursive: true }).filter(
  (f) => f.endsWith(".d.ts") && !f.startsWith("cjs/") && !f.startsWith("codegen/"),
);
for (const f of declarations) {
  const esm = join(dist, f);
  const commonjs = join(cjs, f);
  mkdirSync(dirname(commonjs), { recursive: true });
  const text = readFileSync(esm, "utf8");
  writeFileSync(commonjs, text);
  if (!existsSync(esm.replace(/\.d\.ts$/, ".js")) && !importsPackage(text)) {
    const target = relative(dirname(esm), commonjs).replace(/\.d\.ts$/, ".js");
    writeFileSync(esm, `export type * from "${target}";\n`);
  }
}
