// The test command: lint, build, the API reference, then one `node --test` run.
//   node scripts/test.mjs unit          no cluster: *.test.ts only, and no bench/competitors
//   node scripts/test.mjs integration   the cluster and *.int.test.ts only
//   node scripts/test.mjs all           both (npm test): the integration tests on the current release
//   node scripts/test.mjs old-server    test/old-server/ on the old stack (1.20): the fallbacks a
//                                       client needs for old clusters (CI runs it after npm test)
//   node scripts/test.mjs integration test/x/y.int.test.ts ...   only those files of the mode
// The cluster (test/cluster/up.sh: the current release, or --version 1.20 for old-server) is
// started once for the run and ended by its PIDs afterwards, also when tests fail or the run
// is interrupted.
import { execFileSync, spawn, spawnSync } from "node:child_process";
import { existsSync, readdirSync } from "node:fs";
import { join, relative, resolve } from "node:path";

const root = join(import.meta.dirname, "..");
const mode = process.argv[2] ?? "all";
// Arguments naming test files pick those files; the others go to `node --test`.
const picked = process.argv.slice(3).filter((a) => a.endsWith(".test.ts"));
const extra = process.argv.slice(3).filter((a) => !a.endsWith(".test.ts"));
const modes = ["unit", "integration", "all", "old-server"];
if (!modes.includes(mode)) {
  console.error(`usage: node scripts/test.mjs ${modes.join("|")} [test files] [node --test args]`);
  process.exit(2);
}

function find(dir, out = []) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) {
      if (e.name !== "fixtures" && e.name !== "node_modules") find(p, out);
    } else if (e.name.endsWith(".test.ts")) out.push(relative(root, p));
  }
  return out.sort();
}
const all = find(join(root, "test"));
const oldServer = (f) => f.startsWith("test/old-server/");
const inMode = (f) => {
  if (mode === "old-server") return oldServer(f);
  if (oldServer(f)) return false;
  return mode === "all" || (mode === "unit") !== f.endsWith(".int.test.ts");
};
const files = all.filter(
  (f) => inMode(f) && (picked.length === 0 || picked.some((p) => relative(root, resolve(p)) === f)),
);
const unknown = picked.filter((p) => !all.includes(relative(root, resolve(p))));
if (unknown.length) {
  console.error(`scripts/test.mjs: no such test file: ${unknown.join(", ")}`);
  process.exit(2);
}

const run = (cmd, args) => {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
// Lint: biome, and the layer rules (.dependency-cruiser.cjs).
run("npm", ["run", "--silent", "lint"]);
run(process.execPath, [join(root, "scripts/build.mjs")]);
// The API reference (typedoc.json, about 15 s): warnings are errors, so an exported symbol
// without a doc comment, or a broken {@link}, fails here.
run("npm", ["run", "--silent", "docs"]);

// TS 7, client-node and Node 22 for the bench run and the TS 7 consumer checks: outside the
// package's tree (bench/competitors), installed here on a fresh clone so `npm test` needs no
// other set-up command. Unit mode is the quick loop and installs none of it: the only unit
// tests that use it, install.test.ts's TS 7 rows, skip when it is absent in that mode (and
// fail when it is absent in any other). The build stays: package.test.ts, install.test.ts
// (npm pack) and cli.test.ts (bin/kubefetch.js) run the package as it ships, from dist/.
// Bun, Deno and Node 22/24 for test/runtimes (the smoke on each runtime) come the same way, from
// .ci/runtimes.
for (const dir of ["bench/competitors", ".ci/runtimes"]) {
  if (mode !== "unit" && !existsSync(join(root, dir, "node_modules/.package-lock.json"))) {
    run("npm", ["ci", "--prefix", join(root, dir), "--no-audit", "--no-fund"]);
  }
}

let clusterDir;
const down = () => {
  if (!clusterDir) return;
  const dir = clusterDir;
  clusterDir = undefined;
  spawnSync("bash", [join(root, "test/cluster/down.sh"), dir], { stdio: "inherit" });
};
process.on("exit", down);
for (const sig of ["SIGINT", "SIGTERM", "SIGHUP"]) {
  process.on(sig, () => {
    down();
    process.exit(130);
  });
}

// The tests that depend on what a mode installs read it here.
const env = { ...process.env, KUBEFETCH_TEST_MODE: mode };
if (files.some((f) => f.endsWith(".int.test.ts"))) {
  const version = mode === "old-server" ? ["--version", "1.20"] : [];
  clusterDir = execFileSync("bash", [join(root, "test/cluster/up.sh"), ...version], {
    cwd: root,
    stdio: ["ignore", "pipe", "inherit"],
    encoding: "utf8",
  }).trim();
  env.KUBEFETCH_TEST_CLUSTER = clusterDir;
}

const child = spawn(
  process.execPath,
  [
    "--import",
    "tsx",
    "--conditions=kubefetch-source",
    "--test",
    // A hang fails its file; the longest honest wait is a log kept quiet past undici's 300 s.
    "--test-timeout=420000",
    "--test-reporter=spec",
    ...extra,
    ...files,
  ],
  { stdio: "inherit", cwd: root, env },
);
child.on("exit", (code, signal) => {
  down();
  process.exit(code ?? (signal ? 1 : 0));
});
