import { execFile } from "node:child_process";
import { mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { promisify } from "node:util";
import { repoRoot } from "./paths.js";

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
