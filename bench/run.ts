// npm run bench [-- NAME ...] [--tiny] [--rounds N]
// Runs the benchmarks side by side, prints a table and updates their sections of
// bench/RESULTS.md. --tiny: one small round each (the smoke test), no report written.
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { codegen } from "./cases/codegen.js";
import { codegenGroups } from "./cases/codegen-groups.js";
import { controller } from "./cases/controller.js";
import { execRoundTrip } from "./cases/exec.js";
import { fake } from "./cases/fake.js";
import { footprint } from "./cases/footprint.js";
import { portForwardBench } from "./cases/port-forward.js";
import { coldImport, get, getApiserver, list, watch } from "./cases/runtime.js";
import {
  typecheckTs7,
  typecheckTs7Libcheck,
  typecheckTs59,
  typecheckTs59LibcheckClient,
  typecheckTs59LibcheckPod,
} from "./cases/typecheck.js";
import type { Benchmark, Figure } from "./harness.js";
import { competitorsDir, median, repoRoot } from "./harness.js";
import { judge } from "./judge.js";

export const BENCHMARKS: Benchmark[] = [
  codegen,
  codegenGroups,
  typecheckTs59,
  typecheckTs59LibcheckPod,
  typecheckTs59LibcheckClient,
  typecheckTs7,
  typecheckTs7Libcheck,
  coldImport,
  get,
  getApiserver,
  list,
  watch,
  execRoundTrip,
  controller,
  fake,
  footprint,
  portForwardBench,
];

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { tiny: { type: "boolean" }, rounds: { type: "string" } },
});
const selected = positionals.length ? BENCHMARKS.filter((b) => positionals.includes(b.name)) : BENCHMARKS;
const unknown = positionals.filter((p) => !BENCHMARKS.some((b) => b.name === p));
if (unknown.length) {
  console.error(
    `unknown benchmark(s): ${unknown.join(", ")}; known: ${BENCHMARKS.map((b) => b.name).join(", ")}`,
  );
  process.exit(2);
}
const tiny = values.tiny === true;
const ctx = { tiny, rounds: tiny ? 1 : Number(values.rounds ?? 5), budgetMs: tiny ? 30_000 : 50_000 };

const fmt = (n: number) =>
  Math.abs(n) >= 100 ? n.toFixed(0) : Math.abs(n) >= 10 ? n.toFixed(1) : n.toFixed(2);

function section(b: Benchmark, figures: Figure[], seconds: number): string {
  const lines = [
    `### ${b.name}: ${b.title}`,
    "",
    "| subject | metric | median | min–max | rounds |",
    "|---|---|---|---|---|",
  ];
  for (const f of figures) {
    const min = Math.min(...f.samples);
    const max = Math.max(...f.samples);
    lines.push(
      `| ${f.subject} | ${f.metric} | ${fmt(median(f.samples))} ${f.unit} | ${fmt(min)}–${fmt(max)} | ${f.samples.length} |`,
    );
  }
  lines.push("", "| goal | measured | met |", "|---|---|---|");
  for (const v of b.goals.map((g) => judge(g, figures))) {
    const measured =
      v.value === undefined ? "not measured" : v.goal.bound !== undefined ? fmt(v.value) : `${fmt(v.value)}×`;
    const met = { met: "yes", "not met": "**no**", "within noise": "within noise" }[v.outcome ?? "met"];
    lines.push(`| ${v.goal.text} | ${measured} | ${v.outcome === undefined ? "–" : met} |`);
  }
  lines.push("", `(${seconds.toFixed(1)} s)`);
  return lines.join("\n");
}

function versions(): string {
  const v = (dir: string, name: string) => {
    const p = join(dir, "node_modules", name, "package.json");
    return existsSync(p)
      ? (JSON.parse(readFileSync(p, "utf8")) as { version: string }).version
      : "not installed";
  };
  const own = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { version: string };
  return [
    `kubefetch ${own.version}`,
    `@kubernetes/client-node ${v(competitorsDir, "@kubernetes/client-node")}`,
    `undici ${v(repoRoot, "undici")}`,
    `openapi-fetch ${v(repoRoot, "openapi-fetch")}`,
    `typescript ${v(repoRoot, "typescript")} and ${v(competitorsDir, "typescript")}`,
  ].join(", ");
}

const sections = new Map<string, string>();
for (const b of selected) {
  const t = performance.now();
  process.stderr.write(`bench ${b.name}...\n`);
  const figures = await b.run(ctx);
  const seconds = (performance.now() - t) / 1000;
  const text = section(b, figures, seconds);
  sections.set(b.name, text);
  console.log(`\n${text}\n`);
}

if (!tiny) {
  const file = join(repoRoot, "bench/RESULTS.md");
  const old = existsSync(file) ? readFileSync(file, "utf8") : "";
  const keep = new Map<string, string>();
  for (const m of old.matchAll(/<!-- bench:(\S+) -->\n([\s\S]*?)\n<!-- \/bench:\1 -->/g))
    keep.set(m[1] as string, m[2] as string);
  for (const [k, v] of sections) keep.set(k, v);
  const cpu = cpus()[0]?.model ?? "unknown cpu";
  const head = [
    "# Benchmarks",
    "",
    "Written by `npm run bench`; each section says when it last ran. Ratios compare figures of",
    "the same run. Goals come from the issues.",
    "",
    `Last run: ${new Date().toISOString().slice(0, 10)} on ${cpu}, ${cpus().length} cores, ${Math.round(totalmem() / 2 ** 30)} GiB; Node ${process.version}`,
    `Versions: ${versions()}`,
    "",
  ];
  const order = BENCHMARKS.map((b) => b.name).filter((n) => keep.has(n));
  const body = order.map((n) => `<!-- bench:${n} -->\n${keep.get(n)}\n<!-- /bench:${n} -->`);
  writeFileSync(file, `${head.join("\n")}\n${body.join("\n\n")}\n`);
  console.log(`wrote ${file}`);
}
