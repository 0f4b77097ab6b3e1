import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";

/**
 * The uncompressed spec corpus from `archive` (test/specs/kubernetes-specs.tar.xz), extracted
 * once into `<cache>/specs-<sha256 prefix>`. The key is the archive's content, so a changed
 * corpus gets a new folder and an old one is never half-updated. Two processes may extract at
 * once: each writes its own temp folder and renames it into place; the loser drops its copy.
 */
export function extractedCorpus(archive: string, cache = defaultCache()): string {
  const sha = createHash("sha256").update(readFileSync(archive)).digest("hex").slice(0, 16);
  const dir = join(cache, `specs-${sha}`);
  // The folder only ever appears whole (renamed into place), so one file in it is proof enough.
  if (existsSync(join(dir, "PROVENANCE.json"))) return dir;
  mkdirSync(cache, { recursive: true });
  const tmp = `${dir}.tmp-${process.pid}-${Date.now()}`;
  mkdirSync(tmp);
  try {
    execFileSync("tar", ["-xJf", archive, "-C", tmp], { stdio: ["ignore", "ignore", "pipe"] });
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    const stderr = String((err as { stderr?: Buffer }).stderr ?? "").trim();
    throw new Error(
      `cannot extract the spec corpus ${archive} into ${cache}: ${stderr || (err as Error).message}` +
        " (needs tar and xz; Debian: apt-get install xz-utils)",
    );
  }
  try {
    renameSync(tmp, dir);
  } catch (err) {
    rmSync(tmp, { recursive: true, force: true });
    // Another process renamed its complete copy first: use that one.
    if (!existsSync(join(dir, "PROVENANCE.json"))) throw err;
  }
  return dir;
}

/** The folder of the tests' caches: KUBEFETCH_CACHE, else ~/.cache/kubefetch. */
export function defaultCache(): string {
  return process.env.KUBEFETCH_CACHE ?? join(homedir(), ".cache/kubefetch");
}
