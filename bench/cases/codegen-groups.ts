import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { specsDir } from "../../test/helpers/paths.js";
import type { Benchmark, Figure } from "../harness.js";
import { repoRoot, rounds, timeProcess, workDir } from "../harness.js";
import { tscTime, writeProject } from "./typecheck.js";

const CRDS = [join(repoRoot, "test/fixtures/crds"), join(specsDir, "crds")];
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

const FULL = "1.36 + 51 CRDs (full)";
const SMALL = "1.36 + 51 CRDs --groups core,apps";
const BUILT_IN = "1.36 (full)";

/** tsc's own total time of one project, in ms, and the types it made (typecheck.ts's measures). */
const tscRun = (config: string) => tscTime(process.execPath, [tsc, "-p", config]);
/** A strict NodeNext project of one file, skipLibCheck on (typecheck.ts's layout). */
const project = (dir: string, file: string, source: string[]) => writeProject(dir, file, source, true);

export const codegenGroups: Benchmark = {
  name: "codegen-groups",
  title:
    "generate --crd (51 real CRDs) and --groups core,apps: time, output size, a consumer's added tsc time",
  goals: [
    {
      text: "--crd with 51 CRDs onto the embedded spec < 10 s",
      subject: FULL,
      metric: "generate time",
      bound: 10,
    },
    {
      text: "--groups core,apps output ≥ 5× smaller than the cluster's full client",
      subject: SMALL,
      metric: "whole output folder",
      versus: FULL,
      ratio: 0.2,
    },
  ],
  async run(ctx) {
    const cli = join(repoRoot, "bin/kubefetch.js");
    const base = join(workDir, "codegen-groups");
    mkdirSync(base, { recursive: true });
    const cases: [string, string, string[]][] = [
      [FULL, "full", ["--crd", ...CRDS]],
      [SMALL, "small", ["--crd", ...CRDS, "--groups", "core,apps"]],
      [BUILT_IN, "builtin", []],
    ];
    const figures: Figure[] = [];
    for (const [subject, dir, args] of ctx.tiny ? cases.slice(0, 2) : cases) {
      const out = join(base, dir);
      const samples = await rounds(
        ctx,
        async () => {
          rmSync(out, { recursive: true, force: true });
          return (await timeProcess(process.execPath, [cli, "generate", ...args, "--out", out])) / 1000;
        },
        0.15,
      );
      figures.push({ subject, metric: "generate time", unit: "s", samples, better: "lower" });
      const bytes = readdirSync(out).reduce((n, f) => n + statSync(join(out, f)).size, 0);
      figures.push({
        subject,
        metric: "whole output folder",
        unit: "MB",
        samples: [bytes / 1e6],
        better: "lower",
      });
    }
    // A consumer that names a Pod and lists Deployments with the generated client, minus the
    // fastest run of an empty baseline (typecheck.ts's rule: noise only ever adds time, and
    // run-minus-run differences went negative); each round times all, so noise hits all alike.
    const baseline = project(base, "baseline.ts", ["export const x: number = 1;"]);
    const consumers = (ctx.tiny ? cases.slice(0, 2) : cases).map(([subject, dir]) => ({
      subject,
      config: project(base, `consumer-${dir}.ts`, [
        `import { createClient, type coreV1 } from "./${dir}/index.js";`,
        'import type { KubeConfig } from "kubefetch";',
        'export const pod: coreV1.Pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web" } };',
        "export async function names(config: KubeConfig): Promise<(string | undefined)[]> {",
        "  const kube = createClient(config);",
        '  const list = await kube.apps.v1.deployments.list({ namespace: "default" });',
        "  return list.items.map((d) => d.metadata?.name);",
        "}",
      ]),
    }));
    const samples = await rounds(
      ctx,
      async () => {
        const zero = await tscRun(baseline);
        const out: { ms: number; types: number }[] = [];
        for (const c of consumers) out.push(await tscRun(c.config));
        return { zero, out };
      },
      0.5,
      3,
    );
    const zeroMs = Math.min(...samples.map((r) => r.zero.ms));
    const zeroTypes = samples[0]?.zero.types ?? 0;
    for (const [i, c] of consumers.entries()) {
      figures.push({
        subject: c.subject,
        metric: "consumer's added tsc time, skipLibCheck",
        unit: "ms",
        samples: samples.map((r) => (r.out[i]?.ms as number) - zeroMs),
        better: "lower",
      });
      // The checker's work, free of machine noise: the same count on every run.
      figures.push({
        subject: c.subject,
        metric: "consumer's added types checked, skipLibCheck",
        unit: "count",
        samples: [(samples[0]?.out[i]?.types as number) - zeroTypes],
        better: "lower",
      });
    }
    rmSync(base, { recursive: true, force: true });
    return figures;
  },
};
