import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { BenchContext, Benchmark, Figure } from "../harness.js";
import { competitorBin, competitorsDir, rounds, run, workDir } from "../harness.js";

// Two consumers per library, as service authors write them: one that imports the types and
// names a Pod, one that lists pods with the client.
const POD =
  '{ apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { containers: [{ name: "web", image: "nginx" }] } }';
const KF_DIR = join(workDir, "typecheck");
// Inside bench/competitors so that its node_modules resolves, like an app depending on it.
const CN_DIR = join(competitorsDir, ".work/typecheck");
const CONSUMERS = [
  {
    subject: "kubefetch",
    scenario: "names a Pod",
    dir: KF_DIR,
    source: [
      'import type { coreV1 } from "kubefetch/generated/kubernetes-1.36";',
      `export const pod: coreV1.Pod = ${POD};`,
      "export const image = (p: coreV1.Pod): string | undefined => p.spec?.containers[0]?.image;",
    ],
  },
  {
    subject: "@kubernetes/client-node",
    scenario: "names a Pod",
    dir: CN_DIR,
    source: [
      'import type { V1Pod } from "@kubernetes/client-node";',
      `export const pod: V1Pod = ${POD};`,
      "export const image = (p: V1Pod): string | undefined => p.spec?.containers[0]?.image;",
    ],
  },
  {
    subject: "kubefetch",
    scenario: "lists pods with the client",
    dir: KF_DIR,
    source: [
      'import { loadConfig } from "kubefetch";',
      'import { createClient } from "kubefetch/generated/kubernetes-1.36";',
      "export async function images(): Promise<(string | undefined)[]> {",
      "  const kube = createClient(await loadConfig());",
      '  const pods = await kube.core.v1.pods.list({ namespace: "default" });',
      "  return pods.items.map((p) => p.spec?.containers[0]?.image);",
      "}",
    ],
  },
  {
    subject: "@kubernetes/client-node",
    scenario: "lists pods with the client",
    dir: CN_DIR,
    source: [
      'import { CoreV1Api, KubeConfig } from "@kubernetes/client-node";',
      "export async function images(): Promise<(string | undefined)[]> {",
      "  const kc = new KubeConfig();",
      "  kc.loadFromDefault();",
      '  const pods = await kc.makeApiClient(CoreV1Api).listNamespacedPod({ namespace: "default" });',
      "  return pods.items.map((p) => p.spec?.containers[0]?.image);",
      "}",
    ],
  },
];

export function writeProject(dir: string, file: string, source: string[], skipLibCheck: boolean): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, file), `${source.join("\n")}\n`);
  const config = join(dir, `tsconfig.${file}.${skipLibCheck}.json`);
  writeFileSync(
    config,
    JSON.stringify({
      compilerOptions: {
        strict: true,
        target: "ES2022",
        module: "NodeNext",
        moduleResolution: "NodeNext",
        noEmit: true,
        skipLibCheck,
        // A Node project has @types/node; the baseline has it too, so it is not counted.
        types: ["node"],
      },
      files: [file],
    }),
  );
  return config;
}

/**
 * tsc's own "Total time" (--extendedDiagnostics): parse, bind and check, without the process
 * start-up that makes wall time noisy on a small machine; and its "Types" count, the same on
 * every run: how much type work a consumer adds, free of noise.
 */
export async function tscTime(
  cmd: string,
  args: string[],
): Promise<{ ms: number; types: number; checkMs: number }> {
  const r = await run(cmd, [...args, "--extendedDiagnostics"], { maxBuffer: 16 << 20 });
  const m = /Total time:\s+([\d.]+)s/.exec(r.stdout);
  const t = /^Types:\s+(\d+)/m.exec(r.stdout);
  const c = /^Check time:\s+([\d.]+)s/m.exec(r.stdout);
  if (!m || !t || !c)
    throw new Error(`no Total time, Check time or Types in tsc output: ${r.stdout.slice(0, 200)}`);
  return { ms: Number(m[1]) * 1000, types: Number(t[1]), checkMs: Number(c[1]) * 1000 };
}

function typecheck(ts: "5.9" | "7", skipLibCheck: boolean, only?: string): Benchmark {
  const tsc =
    ts === "5.9"
      ? () => ({ cmd: process.execPath, pre: [createRequire(import.meta.url).resolve("typescript/bin/tsc")] })
      : () => ({ cmd: competitorBin("tsc"), pre: [] as string[] });
  const scenarios = only ? [only] : ["names a Pod", "lists pods with the client"];
  const suffix = only ? (only === "names a Pod" ? "-pod" : "-client") : "";
  return {
    name: `typecheck-ts${ts.replace(".", "")}${skipLibCheck ? "" : "-libcheck"}${suffix}`,
    title: `added tsc --noEmit time (tsc's own total) of a consumer over the fastest run of an empty file, TypeScript ${ts}, skipLibCheck ${skipLibCheck}`,
    goals: scenarios.map((scenario) => ({
      text: `${scenario}: ≤ 0.5× client-node's added time`,
      subject: "kubefetch",
      metric: `${scenario}, TS ${ts}, skipLibCheck ${skipLibCheck}`,
      versus: "@kubernetes/client-node",
      ratio: 0.5,
    })),
    async run(ctx: BenchContext) {
      const { cmd, pre } = tsc();
      const consumers = CONSUMERS.filter((c) => scenarios.includes(c.scenario)).slice(
        0,
        ctx.tiny ? 2 : undefined,
      );
      const projects = consumers.map((c) => ({
        c,
        config: writeProject(c.dir, `${c.scenario.replaceAll(" ", "-")}.ts`, c.source, skipLibCheck),
      }));
      const baselines = [...new Set(consumers.map((c) => c.dir))].map((dir) => ({
        dir,
        config: writeProject(dir, "baseline.ts", ["export const x: number = 1;"], skipLibCheck),
      }));
      // Each round times every baseline and consumer once, so machine noise hits all alike;
      // at least 3 rounds, so that each figure carries its noise.
      const samples = await rounds(
        ctx,
        async () => {
          const base = new Map<string, { ms: number; types: number }>();
          for (const b of baselines) base.set(b.dir, await tscTime(cmd, [...pre, "-p", b.config]));
          const out: { ms: number; types: number }[] = [];
          for (const p of projects) out.push(await tscTime(cmd, [...pre, "-p", p.config]));
          return { base, out };
        },
        1,
        3,
      );
      // Noise on a busy machine only ever adds time, so a baseline's fastest run is its best
      // estimate. Each consumer run minus that is positive (a consumer checks all the baseline
      // does, and more), where run-minus-run differences went negative (-610 ms) on one-off
      // stalls. The spread of the rounds stays in the figure as its noise.
      const fastest = (dir: string) => Math.min(...samples.map((r) => r.base.get(dir)?.ms as number));
      return projects.flatMap((p, i): Figure[] => {
        const metric = `${p.c.scenario}, TS ${ts}, skipLibCheck ${skipLibCheck}`;
        const first = samples[0] as (typeof samples)[number];
        return [
          {
            subject: p.c.subject,
            metric,
            unit: "ms",
            samples: samples.map((r) => (r.out[i]?.ms as number) - fastest(p.c.dir)),
            better: "lower",
          },
          {
            subject: p.c.subject,
            metric: `${metric}, added types`,
            unit: "count",
            samples: [(first.out[i]?.types as number) - (first.base.get(p.c.dir)?.types as number)],
            better: "lower",
          },
        ];
      });
    },
  };
}

export const typecheckTs59 = typecheck("5.9", true);
// With library checks each tsc run takes seconds here: one benchmark per scenario keeps
// several rounds within the one-minute bound.
export const typecheckTs59LibcheckPod = typecheck("5.9", false, "names a Pod");
export const typecheckTs59LibcheckClient = typecheck("5.9", false, "lists pods with the client");
export const typecheckTs7 = typecheck("7", true);
export const typecheckTs7Libcheck = typecheck("7", false);
