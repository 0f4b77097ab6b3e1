import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { specsDir } from "../../test/helpers/paths.js";
import type { Benchmark, Figure } from "../harness.js";
import { repoRoot, rounds, run, timeProcess, workDir } from "../harness.js";
import { tscTime, writeProject } from "./typecheck.js";

const CRDS = [join(repoRoot, "test/fixtures/crds"), join(specsDir, "crds")];
const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");

const FULL = "1.36 + 51 CRDs (full)";
const SMALL = "1.36 + 51 CRDs --groups core,apps";
const BUILT_IN = "1.36 (full)";

/** tsc's own total time of one project, in ms, and the types it made (typecheck.ts's measures). */
const tscRun = (config: string) => tscTime(process.execPath, [tsc, "-p", config]);
/**
 * tsc's time parsing and binding each file under `folder`, in ms, from its --generateTrace
 * events (createSourceFile and bindSourceFile, as complete or begin/end events).
 */
async function parseBindTimes(
  config: string,
  folder: string,
  traceDir: string,
): Promise<Map<string, number>> {
  rmSync(traceDir, { recursive: true, force: true });
  await run(process.execPath, [tsc, "-p", config, "--generateTrace", traceDir], { maxBuffer: 16 << 20 });
  const events = JSON.parse(readFileSync(join(traceDir, "trace.json"), "utf8")) as TraceEvent[];
  const inFolder = (e: TraceEvent) => e.args?.path?.startsWith(`${folder}/`) === true;
  const times = new Map<string, number>();
  const add = (key: string, us: number) => times.set(key, (times.get(key) ?? 0) + us / 1000);
  const open = new Map<string, { ts: number; key: string }>();
  for (const e of events) {
    if (e.name !== "createSourceFile" && e.name !== "bindSourceFile") continue;
    const key = `${e.name} ${e.args?.path}`;
    if (e.ph === "X" && inFolder(e)) add(key, e.dur ?? 0);
    else if (e.ph === "B") {
      if (inFolder(e)) open.set(e.name, { ts: e.ts, key });
      else open.delete(e.name);
    } else if (e.ph === "E") {
      const began = open.get(e.name);
      if (began) add(began.key, e.ts - began.ts);
      open.delete(e.name);
    }
  }
  return times;
}

/** The sum over files of each file's fastest time: a GC pause lands in some file's time in most runs. */
function sumOfFastest(runs: Map<string, number>[]): number {
  const fastest = new Map<string, number>();
  for (const r of runs) for (const [k, v] of r) fastest.set(k, Math.min(v, fastest.get(k) ?? v));
  return [...fastest.values()].reduce((a, b) => a + b, 0);
}

interface TraceEvent {
  name: string;
  ph: string;
  ts: number;
  dur?: number;
  args?: { path?: string };
}

/** A strict NodeNext project of one file, skipLibCheck on (typecheck.ts's layout). */
const project = (dir: string, file: string, source: string[]) => writeProject(dir, file, source, true);

export const codegenGroups: Benchmark = {
  name: "codegen-groups",
  title:
    "generate --crd (51 real CRDs) and --groups core,apps: time, output size, the tsc time the generated client adds",
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
    // A consumer that names a Pod and lists Deployments with the generated client, minus a
    // baseline; each round times all, so noise hits all alike.
    // The baseline uses the runtime alone (kubefetch's own types and undici's, the same for every
    // generated client: ~0.3 s of the total), so the figure is what the generated client adds.
    // Its two parts are measured too: parsing and binding the generated files (the part that
    // grows with the API; from tsc's trace, per file, so free of the baseline's noise) and
    // checking the consumer's calls (per call, the same for any client). At least 5 rounds.
    const baseline = project(base, "baseline.ts", [
      'import { loadConfig, type KubeConfig } from "kubefetch";',
      "export const config: Promise<KubeConfig> = loadConfig();",
    ]);
    const consumers = (ctx.tiny ? cases.slice(0, 2) : cases).map(([subject, dir]) => ({
      subject,
      folder: join(base, dir),
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
        const out: { ms: number; types: number; checkMs: number; parseBind: Map<string, number> }[] = [];
        for (const c of consumers) {
          const parseBind = await parseBindTimes(c.config, c.folder, join(base, "trace"));
          out.push({ ...(await tscRun(c.config)), parseBind });
        }
        return { zero, out };
      },
      0.6,
      5,
    );
    // Every time below is from the fastest runs (noise only ever adds time): with this
    // machine's noise, a round's consumer minus the fastest baseline swung by 2x.
    const fastest = (xs: number[]) => Math.min(...xs);
    const zeroMs = fastest(samples.map((r) => r.zero.ms));
    const zeroCheckMs = fastest(samples.map((r) => r.zero.checkMs));
    const zeroTypes = samples[0]?.zero.types ?? 0;
    for (const [i, c] of consumers.entries()) {
      const mine = samples.map((r) => r.out[i] as (typeof r.out)[number]);
      const ms = (metric: string, value: number): Figure => ({
        subject: c.subject,
        metric: `${metric} (fastest of ${mine.length} runs)`,
        unit: "ms",
        samples: [value],
        better: "lower",
      });
      figures.push(
        ms("tsc time the generated client adds, skipLibCheck", fastest(mine.map((o) => o.ms)) - zeroMs),
      );
      figures.push(
        ms("tsc parse+bind of the generated files, per file", sumOfFastest(mine.map((o) => o.parseBind))),
      );
      figures.push(ms("tsc check time the consumer adds", fastest(mine.map((o) => o.checkMs)) - zeroCheckMs));
      // The checker's work, free of machine noise: the same count on every run.
      figures.push({
        subject: c.subject,
        metric: "types the generated client adds, skipLibCheck",
        unit: "count",
        samples: [(samples[0]?.out[i]?.types as number) - zeroTypes],
        better: "lower",
      });
    }
    rmSync(base, { recursive: true, force: true });
    return figures;
  },
};
