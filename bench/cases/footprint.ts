import { mkdirSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { Benchmark, Figure } from "../harness.js";
import { repoRoot, run, workDir } from "../harness.js";

/** Bytes and package count of a node_modules tree. */
function measure(dir: string): { bytes: number; packages: number } {
  let bytes = 0;
  let packages = 0;
  const walk = (d: string, depthInNm: boolean) => {
    for (const e of readdirSync(d, { withFileTypes: true })) {
      const p = join(d, e.name);
      if (e.isSymbolicLink()) continue;
      if (e.isDirectory()) {
        if (depthInNm && !e.name.startsWith("@") && !e.name.startsWith(".")) packages++;
        walk(p, e.name === "node_modules" || (depthInNm && e.name.startsWith("@")));
      } else {
        bytes += statSync(p).size;
      }
    }
  };
  walk(dir, true);
  return { bytes, packages };
}

export const footprint: Benchmark = {
  name: "install",
  title: "install footprint of a fresh app depending on each (npm install --omit=dev)",
  goals: [],
  async run(ctx) {
    const base = join(workDir, "install");
    rmSync(base, { recursive: true, force: true });
    mkdirSync(base, { recursive: true });
    const pack = await run("npm", ["pack", "--silent", "--pack-destination", base], {
      cwd: repoRoot,
      maxBuffer: 16 << 20,
    });
    const tarball = join(base, pack.stdout.trim().split("\n").pop() as string);
    const subjects: [string, string][] = [["kubefetch", tarball]];
    if (!ctx.tiny) subjects.push(["@kubernetes/client-node", "@kubernetes/client-node@2.0.1"]);
    const figures: Figure[] = [
      {
        subject: "kubefetch",
        metric: "packed tarball",
        unit: "MB",
        samples: [statSync(tarball).size / 1e6],
        better: "lower",
      },
    ];
    for (const [subject, spec] of subjects) {
      const app = join(base, subject.replace(/\W+/g, "-"));
      mkdirSync(app, { recursive: true });
      writeFileSync(
        join(app, "package.json"),
        JSON.stringify({ name: "app", private: true, type: "module" }),
      );
      await run("npm", ["install", "--omit=dev", "--no-audit", "--no-fund", "--ignore-scripts", spec], {
        cwd: app,
        maxBuffer: 16 << 20,
        timeout: 120_000,
      });
      const m = measure(join(app, "node_modules"));
      figures.push({
        subject,
        metric: "node_modules",
        unit: "MB",
        samples: [m.bytes / 1e6],
        better: "lower",
      });
      figures.push({ subject, metric: "packages", unit: "count", samples: [m.packages], better: "lower" });
    }
    return figures;
  },
};
