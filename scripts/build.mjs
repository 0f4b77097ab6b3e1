// Compiles src/, codegen/ and generated/ into dist/, then copies the generated .d.ts
// files, which tsc does not emit.
import { execFileSync } from "node:child_process";
import { cpSync, readdirSync, rmSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";

const root = join(import.meta.dirname, "..");
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
rmSync(join(root, "dist"), { recursive: true, force: true });
execFileSync(process.execPath, [tsc, "-p", join(root, "tsconfig.build.json")], {
  stdio: "inherit",
  cwd: root,
});
for (const dir of readdirSync(join(root, "generated"), { withFileTypes: true })) {
  if (!dir.isDirectory()) continue;
  for (const f of readdirSync(join(root, "generated", dir.name))) {
    if (f.endsWith(".d.ts"))
      cpSync(join(root, "generated", dir.name, f), join(root, "dist/generated", dir.name, f));
  }
}
