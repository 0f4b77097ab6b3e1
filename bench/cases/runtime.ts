import { join } from "node:path";
import { pod, startFixture } from "../fixture-server.js";
import type { BenchContext, Benchmark, Figure } from "../harness.js";
import {
  clientGoBin,
  competitorBin,
  competitorsDir,
  repoRoot,
  rounds,
  run,
  timeProcess,
  withCluster,
} from "../harness.js";

const KF = join(repoRoot, "bench/child/kubefetch.mjs");
const UNDICI = join(repoRoot, "bench/child/undici.mjs");
const CN = join(competitorsDir, "child/client-node.mjs");

interface ChildResult {
  ms: number;
  maxRss: number;
  rss10k?: number;
  rssEnd?: number;
  items?: number;
}

/** Each subject in its own process: kubefetch and raw undici on this Node, client-node on Node 22. */
async function child(
  subject: string,
  task: string,
  n: number,
  f: { kubeconfig: string; url: string; ca: string; token: string },
) {
  const [cmd, args] =
    subject === "kubefetch"
      ? [process.execPath, [KF, task, String(n), f.kubeconfig]]
      : subject === "raw undici"
        ? [process.execPath, [UNDICI, task, String(n), f.url, f.ca, f.token]]
        : subject === CLIENT_GO
          ? [await clientGoBin(), [task, String(n), f.kubeconfig]]
          : [competitorBin("node"), [CN, task, String(n), f.kubeconfig]];
  const r = await run(cmd, args, { cwd: repoRoot, maxBuffer: 1 << 20, timeout: 120_000 });
  return JSON.parse(r.stdout.trim().split("\n").pop() as string) as ChildResult;
}

const CLIENT_GO = "client-go v0.37.2";
const SUBJECTS = ["kubefetch", "raw undici", CLIENT_GO, "@kubernetes/client-node (Node 22)"];

export const get: Benchmark = {
  name: "get",
  title: "typed get of a ~3 KB Pod from a loopback HTTPS server (keep-alive, CA-verified)",
  goals: [
    {
      text: "sequential ≥ 0.8× raw undici",
      subject: "kubefetch",
      metric: "sequential",
      versus: "raw undici",
      ratio: 0.8,
    },
    {
      text: "sequential ≥ 5× client-node",
      subject: "kubefetch",
      metric: "sequential",
      versus: "@kubernetes/client-node (Node 22)",
      ratio: 5,
    },
  ],
  async run(ctx: BenchContext) {
    const f = await startFixture({ listSize: 1, watchEvents: 1 });
    const figures: Figure[] = [];
    try {
      for (const [metric, task] of [
        ["sequential", "get-seq"],
        ["64 concurrent", "get-conc"],
      ] as const) {
        for (const subject of SUBJECTS) {
          // client-node opens a TLS connection per request: fewer requests keep its run short.
          const n = ctx.tiny ? 64 : subject.startsWith("@") ? 256 : 2048;
          let handshakes = 0;
          const samples = await rounds(
            ctx,
            async () => {
              const before = f.handshakes();
              const r = await child(subject, task, n, f);
              handshakes = f.handshakes() - before;
              return (n / r.ms) * 1000;
            },
            1 / 6,
          );
          figures.push({ subject, metric, unit: "req/s", samples, better: "higher" });
          figures.push({
            subject,
            metric: `${metric}: TLS handshakes per run`,
            unit: "count",
            samples: [handshakes],
            better: "lower",
          });
        }
      }
    } finally {
      await f.close();
    }
    return figures;
  },
};

export const list: Benchmark = {
  name: "list",
  title: "list of 5,000 pods: time to get and decode, and peak RSS of the process",
  goals: [
    {
      text: "≤ 1.1× raw undici + JSON.parse",
      subject: "kubefetch",
      metric: "time",
      versus: "raw undici",
      ratio: 1.1,
    },
  ],
  async run(ctx) {
    const size = ctx.tiny ? 50 : 5000;
    const f = await startFixture({ listSize: size, watchEvents: 1 });
    const figures: Figure[] = [];
    try {
      for (const subject of SUBJECTS) {
        const results = await rounds(ctx, () => child(subject, "list", 1, f), 1 / 3);
        if (results.some((r) => r.items !== size))
          throw new Error(`${subject} listed ${results[0]?.items} of ${size}`);
        figures.push({
          subject,
          metric: "time",
          unit: "ms",
          samples: results.map((r) => r.ms),
          better: "lower",
        });
        figures.push({
          subject,
          metric: "peak RSS",
          unit: "MB",
          samples: results.map((r) => r.maxRss / 1e6),
          better: "lower",
        });
      }
    } finally {
      await f.close();
    }
    return figures;
  },
};

export const watch: Benchmark = {
  name: "watch",
  title: "watch: 50,000 pod events from a loopback HTTPS stream, events/s and memory",
  goals: [
    {
      text: "≥ 0.9× raw undici + line split + JSON.parse",
      subject: "kubefetch",
      metric: "events/s",
      versus: "raw undici",
      ratio: 0.9,
    },
  ],
  async run(ctx) {
    const n = ctx.tiny ? 500 : 50_000;
    const f = await startFixture({ listSize: 1, watchEvents: n });
    const figures: Figure[] = [];
    try {
      for (const subject of SUBJECTS) {
        const results = await rounds(ctx, () => child(subject, "watch", n, f), 1 / 3);
        figures.push({
          subject,
          metric: "events/s",
          unit: "events/s",
          samples: results.map((r) => (n / r.ms) * 1000),
          better: "higher",
        });
        if (!ctx.tiny) {
          figures.push({
            subject,
            metric: "RSS at 10k events",
            unit: "MB",
            samples: results.map((r) => (r.rss10k ?? 0) / 1e6),
            better: "lower",
          });
        }
        figures.push({
          subject,
          metric: `RSS at ${n / 1000}k events`,
          unit: "MB",
          samples: results.map((r) => (r.rssEnd ?? 0) / 1e6),
          better: "lower",
        });
      }
    } finally {
      await f.close();
    }
    return figures;
  },
};

export const coldImport: Benchmark = {
  name: "import",
  title: "cold import, whole process (node -e), Node 20 and 22",
  goals: [
    {
      text: 'kubefetch client ≤ 1.5× import("undici") on Node 20',
      subject: "kubefetch client",
      metric: "Node 20",
      versus: 'import("undici")',
      ratio: 1.5,
    },
  ],
  async run(ctx) {
    const node22 = competitorBin("node");
    const cases: [string, string, string, string][] = [
      ["node -e 0", "Node 20", process.execPath, "0"],
      ['import("undici")', "Node 20", process.execPath, 'await import("undici")'],
      [
        "kubefetch client",
        "Node 20",
        process.execPath,
        'await import("kubefetch/generated/kubernetes-1.36")',
      ],
      ["node -e 0", "Node 22", node22, "0"],
      ['import("undici")', "Node 22", node22, 'await import("undici")'],
      ["kubefetch client", "Node 22", node22, 'await import("kubefetch/generated/kubernetes-1.36")'],
      ["@kubernetes/client-node", "Node 22", node22, 'await import("@kubernetes/client-node")'],
    ];
    const samples = await rounds(ctx, async () => {
      const out: number[] = [];
      for (const [subject, , cmd, code] of cases) {
        // client-node resolves from its own folder; the rest from the repo.
        const cwd = subject.startsWith("@") ? competitorsDir : repoRoot;
        out.push(await timeProcess(cmd, ["--input-type=module", "-e", code], { cwd }));
      }
      return out;
    });
    return cases.map(
      ([subject, metric], i): Figure => ({
        subject,
        metric,
        unit: "ms",
        samples: samples.map((r) => r[i] as number),
        better: "lower",
      }),
    );
  },
};

/** The same typed get against the real test kube-apiserver (started here unless one is given). */
export const getApiserver: Benchmark = {
  name: "get-apiserver",
  title: "typed get of a Pod from the real test kube-apiserver (token auth, keep-alive)",
  goals: [
    {
      text: "sequential ≥ 0.8× raw undici",
      subject: "kubefetch",
      metric: "sequential",
      versus: "raw undici",
      ratio: 0.8,
    },
  ],
  async run(ctx) {
    return withCluster(false, async (c) => {
      const f = { kubeconfig: c.kubeconfigs.token, url: c.server, ca: c.ca, token: c.tokens.admin };
      const body = JSON.stringify({
        ...pod(1),
        metadata: { name: "web", namespace: "default" },
        status: undefined,
      });
      await run("curl", [
        "-sS",
        "--cacert",
        c.ca,
        "-H",
        `Authorization: Bearer ${c.tokens.admin}`,
        "-H",
        "Content-Type: application/json",
        "-X",
        "POST",
        "-d",
        body,
        `${c.server}/api/v1/namespaces/default/pods`,
      ]);
      const figures: Figure[] = [];
      for (const subject of SUBJECTS) {
        const n = ctx.tiny ? 32 : subject.startsWith("@") ? 128 : 512;
        const samples = await rounds(
          ctx,
          async () => (n / (await child(subject, "get-seq", n, f)).ms) * 1000,
          1 / 3,
        );
        figures.push({ subject, metric: "sequential", unit: "req/s", samples, better: "higher" });
      }
      return figures;
    });
  },
};
