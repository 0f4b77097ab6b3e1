import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { specsDir } from "../../test/helpers/paths.js";
import type { Benchmark, Figure } from "../harness.js";
import { repoRoot, rounds, timeProcess, workDir } from "../harness.js";

/** The largest swagger*.json of the spec corpus, by bytes. */
function largestSpec(): string {
  let best = { path: "", size: 0 };
  for (const v of readdirSync(specsDir)) {
    const dir = join(specsDir, v);
    if (!statSync(dir).isDirectory()) continue;
    for (const f of readdirSync(dir)) {
      if (!/^swagger.*\.json$/.test(f)) continue;
      const size = statSync(join(dir, f)).size;
      if (size > best.size) best = { path: join(dir, f), size };
    }
  }
  return best.path;
}

export const codegen: Benchmark = {
  name: "codegen",
  title: "kubefetch generate: time (whole CLI process) and size of the output",
  goals: [
    { text: "generate the largest spec < 5 s", subject: "largest spec", metric: "generate time", bound: 5 },
  ],
  async run(ctx) {
    const out = join(workDir, "codegen");
    mkdirSync(workDir, { recursive: true });
    const cli = join(repoRoot, "bin/kubefetch.js");
    const largest = largestSpec();
    const cases: [string, string[]][] = ctx.tiny
      ? [["embedded default (1.36)", []]]
      : [
          [`largest spec`, ["--from-file", largest]],
          ["embedded default (1.36)", []],
        ];
    const figures: Figure[] = [];
    for (const [subject, args] of cases) {
      const samples = await rounds(
        ctx,
        async () => {
          rmSync(out, { recursive: true, force: true });
          return (await timeProcess(process.execPath, [cli, "generate", ...args, "--out", out])) / 1000;
        },
        1 / cases.length,
      );
      figures.push({ subject, metric: "generate time", unit: "s", samples, better: "lower" });
      const size = (f: string) => statSync(join(out, f)).size / 1e6;
      figures.push({
        subject,
        metric: "types: components.d.ts",
        unit: "MB",
        samples: [size("components.d.ts")],
        better: "lower",
      });
      figures.push({
        subject,
        metric: "types: openapi.d.ts",
        unit: "MB",
        samples: [size("openapi.d.ts")],
        better: "lower",
      });
      const all = readdirSync(out).reduce((n, f) => n + size(f), 0);
      figures.push({ subject, metric: "whole output folder", unit: "MB", samples: [all], better: "lower" });
    }
    if (!ctx.tiny) figures[0] = { ...(figures[0] as Figure), subject: "largest spec" };
    rmSync(out, { recursive: true, force: true });
    return figures;
  },
};
