import { mkdirSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import type { BenchContext, Benchmark, Figure } from "../harness.js";
import { competitorBin, competitorsDir, median, rounds, timeProcess, workDir } from "../harness.js";

// A consumer that imports the client's types and names a Pod, as a service author writes it.
const CONSUMERS = {
  kubefetch: {
    dir: join(workDir, "typecheck"),
    source: [
      'import type { coreV1 } from "kubefetch/generated/kubernetes-1.36";',
      'export const pod: coreV1.Pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { containers: [{ name: "web", image: "nginx" }] } };',
      "export const image = (p: coreV1.Pod): string | undefined => p.spec?.containers[0]?.image;",
    ],
  },
  "@kubernetes/client-node": {
    // Inside bench/competitors so that its node_modules resolves, like an app depending on it.
    dir: join(competitorsDir, ".work/typecheck"),
    source: [
      'import type { V1Pod } from "@kubernetes/client-node";',
      'export const pod: V1Pod = { apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, spec: { containers: [{ name: "web", image: "nginx" }] } };',
      "export const image = (p: V1Pod): string | undefined => p.spec?.containers[0]?.image;",
    ],
  },
} as const;

function writeProject(dir: string, file: string, source: string[], skipLibCheck: boolean): string {
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
        types: [],
      },
      files: [file],
    }),
  );
  return config;
}

function typecheck(ts: "5.9" | "7"): Benchmark {
  const tsc =
    ts === "5.9"
      ? () => ({ cmd: process.execPath, pre: [createRequire(import.meta.url).resolve("typescript/bin/tsc")] })
      : () => ({ cmd: competitorBin("tsc"), pre: [] as string[] });
  return {
    name: `typecheck-ts${ts.replace(".", "")}`,
    title: `added tsc --noEmit time of a consumer naming a Pod, TypeScript ${ts}`,
    goals: [true, false].map((slc) => ({
      text: `≤ 0.5× client-node's added time (TS ${ts}, skipLibCheck ${slc})`,
      subject: "kubefetch",
      metric: `added tsc time, TS ${ts}, skipLibCheck ${slc}`,
      versus: "@kubernetes/client-node",
      ratio: 0.5,
    })),
    async run(ctx: BenchContext) {
      const { cmd, pre } = tsc();
      const figures: Figure[] = [];
      const settings = ctx.tiny ? [true] : [true, false];
      for (const skipLibCheck of settings) {
        for (const [subject, c] of Object.entries(CONSUMERS)) {
          const base = writeProject(c.dir, "baseline.ts", ["export const x: number = 1;"], skipLibCheck);
          const consumer = writeProject(c.dir, "consumer.ts", [...c.source], skipLibCheck);
          const share = 1 / (settings.length * Object.keys(CONSUMERS).length);
          // Interleave baseline and consumer so machine noise hits both alike.
          const pairs = await rounds(
            ctx,
            async () => {
              const b = await timeProcess(cmd, [...pre, "-p", base]);
              const t = await timeProcess(cmd, [...pre, "-p", consumer]);
              return { b, t };
            },
            share,
          );
          const baseline = median(pairs.map((p) => p.b));
          figures.push({
            subject,
            metric: `added tsc time, TS ${ts}, skipLibCheck ${skipLibCheck}`,
            unit: "ms",
            samples: pairs.map((p) => p.t - baseline),
            better: "lower",
          });
        }
      }
      return figures;
    },
  };
}

export const typecheckTs59 = typecheck("5.9");
export const typecheckTs7 = typecheck("7");
