import { execFile } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, readFileSync, renameSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import type { TestCluster } from "../test/helpers/cluster.js";
import type { NodeCluster } from "../test/helpers/node.js";

export const repoRoot = join(import.meta.dirname, "..");
export const competitorsDir = join(repoRoot, "bench/competitors");
export const workDir = join(repoRoot, "bench/.work");

/** One measured quantity of one subject, over rounds. */
export interface Figure {
  /** e.g. "kubefetch", "@kubernetes/client-node", "raw undici" */
  subject: string;
  /** e.g. "added tsc time, TS 5.9, skipLibCheck" */
  metric: string;
  unit: "ms" | "s" | "MB" | "KB" | "req/s" | "events/s" | "packages" | "count";
  samples: number[];
  /** Higher is better (throughput) or lower is better (time, size). */
  better: "higher" | "lower";
}

/** A goal: a ratio of two figures of the same run, or a bound on one. */
export interface Goal {
  text: string;
  /** The figure (subject + metric) the goal is about. */
  subject: string;
  metric: string;
  /** Compare against another subject's figure of the same metric, as a ratio... */
  versus?: string;
  /** ...which must be at most (lower-is-better) or at least (higher-is-better) this. */
  ratio?: number;
  /** Or an absolute bound in the figure's unit. */
  bound?: number;
}

export interface BenchContext {
  /** Smoke mode: tiny sizes, one round, to prove the harness runs. */
  tiny: boolean;
  /** Rounds wanted; a benchmark may do fewer to stay under its time budget. */
  rounds: number;
  /** Milliseconds a benchmark may spend in all (each is bounded under 60 s). */
  budgetMs: number;
}

export interface Benchmark {
  name: string;
  title: string;
  goals: Goal[];
  run(ctx: BenchContext): Promise<Figure[]>;
}

export const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};

export const run = promisify(execFile);

/** Wall time of one child process, in ms. */
export async function timeProcess(
  cmd: string,
  args: string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
) {
  const t = performance.now();
  await run(cmd, args, { maxBuffer: 64 << 20, ...opts });
  return performance.now() - t;
}

/**
 * Repeats `fn` up to `rounds` times, stopping early when over budget, but not before `least`
 * rounds (one in tiny mode): a figure from one round has no noise to judge it by.
 */
export async function rounds<T>(
  ctx: BenchContext,
  fn: (round: number) => Promise<T>,
  share = 1,
  least = 1,
): Promise<T[]> {
  const out: T[] = [];
  const start = performance.now();
  const floor = ctx.tiny ? 1 : Math.min(least, ctx.rounds);
  for (let i = 0; i < ctx.rounds; i++) {
    out.push(await fn(i));
    const spent = performance.now() - start;
    if (out.length >= floor && spent + spent / out.length > ctx.budgetMs * share) break;
  }
  return out;
}

export function competitorBin(name: string): string {
  const p = join(competitorsDir, "node_modules/.bin", name);
  if (!existsSync(p)) {
    throw new Error(`bench competitor ${name} missing: run \`npm ci --prefix bench/competitors\``);
  }
  return p;
}

/**
 * Runs `fn` on the test cluster KUBEFETCH_TEST_CLUSTER names, or on one test/cluster/up.sh
 * starts for it (`node: false`: the control plane alone) and down.sh ends after, also on failure.
 */
export function withCluster<T>(node: true, fn: (cluster: NodeCluster) => Promise<T>): Promise<T>;
export function withCluster<T>(node: false, fn: (cluster: TestCluster) => Promise<T>): Promise<T>;
export async function withCluster<T>(node: boolean, fn: (cluster: NodeCluster) => Promise<T>): Promise<T> {
  const given = process.env.KUBEFETCH_TEST_CLUSTER || undefined;
  const up = () =>
    run("bash", [join(repoRoot, "test/cluster/up.sh"), ...(node ? [] : ["--no-node"])], { cwd: repoRoot });
  const dir = given ?? (await up()).stdout.trim();
  try {
    const cluster = JSON.parse(readFileSync(join(dir, "cluster.json"), "utf8")) as TestCluster;
    if (node && (!cluster.node || !cluster.images))
      throw new Error(`${dir} has no node: this bench needs one`);
    return await fn(cluster as NodeCluster);
  } finally {
    if (!given) await run("bash", [join(repoRoot, "test/cluster/down.sh"), dir]);
  }
}

/**
 * The client-go child (bench/competitors/client-go), built with the machine's Go into
 * ~/.cache/kubefetch keyed by its sources, so a run after the first starts at once.
 */
export async function clientGoBin(): Promise<string> {
  const src = join(competitorsDir, "client-go");
  const hash = createHash("sha256");
  for (const f of ["main.go", "go.mod", "go.sum"]) hash.update(readFileSync(join(src, f)));
  const cache = join(homedir(), ".cache/kubefetch");
  const bin = join(cache, `client-go-bench-${hash.digest("hex").slice(0, 16)}`);
  if (!existsSync(bin)) {
    const env = {
      ...process.env,
      GOPATH: process.env.GOPATH ?? join(cache, "go"),
      GOCACHE: process.env.GOCACHE ?? join(cache, "go-build"),
      GOFLAGS: "-mod=readonly",
    };
    await run("go", ["build", "-o", `${bin}.tmp`, "."], { cwd: src, env, maxBuffer: 16 << 20 });
    renameSync(`${bin}.tmp`, bin);
  }
  return bin;
}
