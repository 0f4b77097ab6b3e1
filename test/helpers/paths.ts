import { join } from "node:path";

export const repoRoot = join(import.meta.dirname, "../..");

/** The shared real specs (1.10 -> 1.36): KUBEFETCH_SPECS, else ../shared/specs beside the repo. */
export const specsDir = process.env.KUBEFETCH_SPECS ?? join(repoRoot, "../shared/specs");
