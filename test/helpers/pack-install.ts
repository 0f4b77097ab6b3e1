import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./paths.js";
import { defaultCache } from "./specs-corpus.js";

const run = promisify(execFile);

/**
 * `npm pack` of this repository into `dir`, from the dist/ already built (no prepare run:
 * the caller built it). Returns the tarball's path.
 */
export async function packInto(dir: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  const r = await run("npm", ["pack", "--silent", "--ignore-scripts", "--pack-destination", dir], {
    cwd: repoRoot,
    maxBuffer: 16 << 20,
  });
  return join(dir, r.stdout.trim().split("\n").pop() as string);
}

/** An empty ESM project at `dir`, as `npm init` leaves it, for installing into. */
export function emptyProject(dir: string): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }));
  return dir;
}

/** `npm install` in `app`, as a service would (no dev dependencies of the installed packages). */
export async function npmInstall(app: string, specs: string[], flags: string[] = []) {
  return run("npm", ["install", "--no-audit", "--no-fund", "--prefer-offline", ...flags, ...specs], {
    cwd: app,
    maxBuffer: 16 << 20,
    timeout: 180_000,
  });
}

/** Bytes, package count and package names of a node_modules tree (symlinks not followed). */
export function measureTree(nodeModules: string): { bytes: number; packages: number; names: string[] } {
  let bytes = 0;
  const names: string[] = [];
  const walk = (d: string, prefix: string | undefined) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isSymbolicLink()) continue;
      if (!e.isDirectory()) {
        bytes += statSync(p).size;
        continue;
      }
      // Inside a node_modules folder, each folder is a package, or a scope holding packages.
      if (prefix !== undefined && !e.name.startsWith(".")) {
        if (e.name.startsWith("@") && prefix === "") {
          walk(p, `${e.name}/`);
          continue;
        }
        names.push(`${prefix}${e.name}`);
      }
      walk(p, e.name === "node_modules" ? "" : undefined);
    }
  };
  walk(nodeModules, "");
  return { bytes, packages: names.length, names: names.sort() };
}

/**
 * `npm ci` of the project in `fixture` (its package.json and package-lock.json), once, into
 * `<cache>/<name of the folder>-<sha256 prefix of the lock>`: a changed lock gets a new folder.
 * Returns the folder holding node_modules. As extractedCorpus, two processes may install at
 * once: each into its own temp folder, renamed into place; the loser drops its copy.
 */
export async function cachedInstall(fixture: string, cache = defaultCache()): Promise<string> {
  const lock = readFileSync(join(fixture, "package-lock.json"));
  const sha = createHash("sha256").update(lock).digest("hex").slice(0, 16);
  const dir = join(cache, `${fixture.split("/").pop()}-${sha}`);
  // npm writes node_modules/.package-lock.json last; the folder only appears whole anyway.
  if (existsSync(join(dir, "node_modules/.package-lock.json"))) return dir;
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp, { recursive: true });
  try {
    for (const f of ["package.json", "package-lock.json"]) cpSync(join(fixture, f), join(tmp, f));
    await run("npm", ["ci", "--no-audit", "--no-fund", "--prefer-offline"], {
      cwd: tmp,
      maxBuffer: 16 << 20,
      timeout: 300_000,
    });
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    // Another process renamed its complete copy first: use that one.
    if (!existsSync(join(dir, "node_modules/.package-lock.json"))) throw err;
  }
  return dir;
}
