// Vitest for examples/testing, resolving kubefetch from this repository's sources (a user's
// project resolves the installed package and needs no config).
import { defineConfig } from "vitest/config";

export default defineConfig({
  resolve: { conditions: ["kubefetch-source"] },
  ssr: { resolve: { conditions: ["kubefetch-source"] } },
  test: { include: ["examples/testing/*.vitest.test.ts"] },
});
