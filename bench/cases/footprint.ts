import { rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { GENERATOR_TOOLS } from "../../codegen/tools.js";
import { emptyProject, measureTree, npmInstall, packInto } from "../../test/helpers/pack-install.js";
import type { Benchmark, Figure } from "../harness.js";
import { workDir } from "../harness.js";

const generatorTools = Object.entries(GENERATOR_TOOLS).map(([name, range]) => `${name}@${range}`);

export const footprint: Benchmark = {
  name: "install",
  title:
    "npm pack + npm install into an empty project (npm cache warm): node_modules, packages, install time",
  goals: [
    { text: "runtime alone: node_modules ≤ 15 MB", subject: "kubefetch", metric: "node_modules", bound: 15 },
    { text: "runtime alone: ≤ 8 packages", subject: "kubefetch", metric: "packages", bound: 8 },
  ],
  async run(ctx) {
    const base = join(workDir, "install");
    rmSync(base, { recursive: true, force: true });
    const tarball = await packInto(base);
    // What a service installs; what a project that generates adds; the library we compare with.
    const subjects: [string, string[]][] = [["kubefetch", [tarball]]];
    if (!ctx.tiny) {
      subjects.push(["kubefetch + generator (typescript, openapi-typescript)", [tarball, ...generatorTools]]);
      subjects.push(["@kubernetes/client-node", ["@kubernetes/client-node@2.0.1"]]);
    }
    const figures: Figure[] = [
      {
        subject: "kubefetch",
        metric: "packed tarball",
        unit: "MB",
        samples: [statSync(tarball).size / 1e6],
        better: "lower",
      },
    ];
    for (const [subject, specs] of subjects) {
      const app = emptyProject(join(base, subject.replace(/\W+/g, "-")));
      const t = performance.now();
      await npmInstall(app, specs, ["--omit=dev", "--ignore-scripts"]);
      const seconds = (performance.now() - t) / 1000;
      const m = measureTree(join(app, "node_modules"));
      figures.push(
        { subject, metric: "node_modules", unit: "MB", samples: [m.bytes / 1e6], better: "lower" },
        { subject, metric: "packages", unit: "count", samples: [m.packages], better: "lower" },
        { subject, metric: "install time", unit: "s", samples: [seconds], better: "lower" },
      );
    }
    return figures;
  },
};
