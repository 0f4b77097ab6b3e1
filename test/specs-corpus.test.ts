import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import { promisify } from "node:util";
import { repoRoot, specsArchive, specsDir } from "./helpers/paths.js";
import { scratchDir } from "./helpers/spec-check.js";
import { extractedCorpus } from "./helpers/specs-corpus.js";

const exec = promisify(execFile);
const base = scratchDir("corpus");
after(() => rmSync(base, { recursive: true, force: true }));

describe("the spec corpus lives in the repository", () => {
  it("specsDir has the corpus's layout: 1.10 -> 1.36, v3 dumps, crds, extra, provenance", () => {
    const top = readdirSync(specsDir);
    for (const want of ["1.10", "1.27", "1.36", "crds", "extra", "PROVENANCE.json", "README.md"]) {
      assert.ok(top.includes(want), `${want} missing from ${specsDir}`);
    }
    assert.ok(readdirSync(join(specsDir, "1.27/v3")).includes("api__v1_openapi.json"));
    assert.ok(readdirSync(join(specsDir, "crds")).includes("cert-manager.crds.yaml"));
  });

  it("every file PROVENANCE.json gives a sha256 for is there, with that sha256", () => {
    const entries = JSON.parse(readFileSync(join(specsDir, "PROVENANCE.json"), "utf8")) as {
      file: string;
      sha256?: string;
    }[];
    const hashed = entries.filter((e) => e.sha256 && !e.file.includes(" "));
    assert.ok(hashed.length >= 20, `${hashed.length} hashed entries`);
    for (const e of hashed) {
      const sha = createHash("sha256")
        .update(readFileSync(join(specsDir, e.file)))
        .digest("hex");
      assert.equal(sha, e.sha256, e.file);
    }
  });

  it("the embedded spec's origin is the upstream source PROVENANCE.json names, not a local path", () => {
    const info = JSON.parse(readFileSync(join(repoRoot, "specs/default.json"), "utf8")) as {
      kubernetesVersion: string;
      origin: string;
    };
    const entries = JSON.parse(readFileSync(join(specsDir, "PROVENANCE.json"), "utf8")) as {
      file: string;
      source: string;
    }[];
    const mine = entries.find((e) => e.file === `${info.kubernetesVersion}/swagger-enums.json`);
    assert.equal(info.origin, mine?.source);
    assert.doesNotMatch(info.origin, /shared\/specs/);
  });

  it("two processes extracting into an empty cache at once both get one whole folder", async () => {
    const cache = join(base, "cache");
    const module = join(repoRoot, "test/helpers/specs-corpus.ts");
    const code = `const { extractedCorpus } = await import(${JSON.stringify(module)});
      console.log(extractedCorpus(${JSON.stringify(specsArchive)}, ${JSON.stringify(cache)}));`;
    const run = async () =>
      (await exec(process.execPath, ["--import", "tsx", "--input-type=module", "-e", code])).stdout.trim();
    const [a, b] = await Promise.all([run(), run()]);
    assert.equal(a, b);
    // Only the final folder is left: no temp copies, no second folder.
    assert.deepEqual(readdirSync(cache), [a.split("/").at(-1)]);
    assert.equal(readdirSync(join(a, "1.36")).length, readdirSync(join(specsDir, "1.36")).length);
    assert.equal(extractedCorpus(specsArchive, cache), a, "a second call reuses the folder");
  });

  it("a corrupt archive is a clear error naming the archive, and leaves nothing behind", () => {
    const bad = join(base, "bad.tar.xz");
    writeFileSync(bad, "not an xz file");
    const cache = join(base, "cache-bad");
    assert.throws(() => extractedCorpus(bad, cache), /cannot extract the spec corpus .*bad\.tar\.xz/);
    assert.deepEqual(readdirSync(cache), []);
  });
});
