// npm run embed-spec: copies the newest spec of the corpus (test/specs) into specs/ as the
// package's embedded default, with its upstream origin from the corpus's PROVENANCE.json.
// Prefers the enum variant: it is what a live cluster with OpenAPIEnums serves.
// Run: npm run embed-spec [-- SPECS_DIR]
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { specsDir as corpus } from "../test/helpers/paths.js";

const specsDir = process.argv[2] ?? corpus;
const versions = readdirSync(specsDir)
  .filter((d) => /^\d+\.\d+$/.test(d))
  .filter((d) => readdirSync(join(specsDir, d)).some((f) => /^swagger.*\.json$/.test(f)))
  .sort((a, b) => {
    const [am, an] = a.split(".").map(Number) as [number, number];
    const [bm, bn] = b.split(".").map(Number) as [number, number];
    return am - bm || an - bn;
  });
const newest = versions.at(-1);
if (!newest) throw new Error(`no swagger*.json under ${specsDir}`);
const files = readdirSync(join(specsDir, newest));
const chosen = files.includes("swagger-enums.json") ? "swagger-enums.json" : "swagger.json";
const provenance = JSON.parse(readFileSync(join(specsDir, "PROVENANCE.json"), "utf8")) as {
  file: string;
  source: string;
}[];
const source = provenance.find((p) => p.file === `${newest}/${chosen}`)?.source;
if (!source) throw new Error(`${join(specsDir, "PROVENANCE.json")}: no entry for ${newest}/${chosen}`);
const raw = readFileSync(join(specsDir, newest, chosen));
const file = `kubernetes-${newest}.json.gz`;
// level 9 and no mtime/filename in the header: the same input gives the same bytes.
writeFileSync(join(import.meta.dirname, "../specs", file), gzipSync(raw, { level: 9 }));
const info = { kubernetesVersion: newest, file, origin: source };
writeFileSync(join(import.meta.dirname, "../specs/default.json"), `${JSON.stringify(info, null, 2)}\n`);
console.log(`embedded Kubernetes ${newest} (${source}) as specs/${file}`);
