import { join } from "node:path";
import { extractedCorpus } from "./specs-corpus.js";

export const repoRoot = join(import.meta.dirname, "../..");

/** The committed spec corpus (test/specs/README.md says what it holds). */
export const specsArchive = join(repoRoot, "test/specs/kubernetes-specs.tar.xz");

/**
 * The real specs (1.10 -> 1.36, v3 dumps, crds/, extra/, PROVENANCE.json) as plain files:
 * KUBEFETCH_SPECS, else the committed archive extracted once into the cache.
 */
export const specsDir = process.env.KUBEFETCH_SPECS ?? extractedCorpus(specsArchive);
