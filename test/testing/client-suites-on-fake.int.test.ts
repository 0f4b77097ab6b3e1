// The project's own integration suites that need no node, run against the fake (one fake
// process per file, test/testing/fake-cluster-process.ts) as child `node --test` processes:
// what they assert of a real apiserver, the fake answers alike.
//
// Left out, because they need what a fake cannot be (no fake bug behind any of them):
// - test/client/client.int.test.ts
//   - "jobs: list all jobs cluster-wide and get default/my-job": needs a node (the seed's Job runs).
//   - "404 NotFound, 409 AlreadyExists, 422 Invalid with causes, 403 Forbidden": the 403 needs RBAC
//     (the "unprivileged" kubeconfig is an admin on the fake, which has no authorization).
//   - "generate --from-cluster, typed CRUD …": `kubefetch generate --from-cluster` reads
//     /openapi/v2 and /openapi/v3, which the fake does not serve.
// - test/client/discovery.int.test.ts (whole file): its before hook starts a TLS recording proxy
//   with the cluster's CA and certificates, and it compares with `kubectl api-resources`.
// - test/informer/informer.int.test.ts
//   - "a proxy that cuts connections at random moments": an https kubeconfig with the cluster's
//     CA and admin token (the fake is plain http, no certificates).
//   - "etcd compacted while the informer is disconnected…", "a resourceVersion older than etcd
//     keeps throws WatchExpiredError": run etcdctl against the cluster's etcd (fake.compact() is
//     their counterpart, specified in fake.test.ts).
//   - "kube-apiserver killed and restarted mid-watch…": kills the apiserver process by its pid file
//     (fake.dropWatches() is the counterpart, in fake.test.ts).
// - test/informer/informer-failures.int.test.ts
//   - "a first list refused by RBAC (403)…": needs RBAC. (With it failing, the informer the test
//     leaves running keeps the file's process alive: the pattern leaves it out.)
// - test/controller/controller.int.test.ts
//   - "converges after an apiserver restart in the middle of 200 changes…": kills the apiserver
//     process by its pid file.
// - test/controller/leader-election.int.test.ts
//   - "a leader cut off from the API server stops reconciling…": its TCP proxy is addressed as
//     https:// (the cluster's certificate); the fake is plain http.
// - test/client/validators.int.test.ts (whole file): its before hook runs `kubectl create
//   namespace`, and kubectl sends built-ins as protobuf, which the fake does not decode.
// - test/client/validation-causes.int.test.ts (whole file): `kubectl apply` downloads /openapi
//   to validate, and the test needs CEL (x-kubernetes-validations), which the fake does not run.
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";

interface Suite {
  file: string;
  /** Test names to leave out (exact names; see the comment above for why). */
  skip: string[];
  /**
   * The describe() names those tests are in. Node 20's --test-name-pattern runs every test of a
   * suite whose name matches, so a pattern that leaves tests out must leave their suites out
   * too; the suites' other tests still run, matched by their own names. (A renamed suite shows
   * as its left-out test failing here, never as tests silently not run.)
   */
  suites: string[];
}

const SUITES: Suite[] = [
  {
    file: "test/client/client.int.test.ts",
    skip: [
      "jobs: list all jobs cluster-wide and get default/my-job (the seed's example)",
      "404 NotFound, 409 AlreadyExists, 422 Invalid with causes, 403 Forbidden",
      "generate --from-cluster, typed CRUD through that client, and the same objects via kube.resource()",
    ],
    suites: [
      "CRUD on the real cluster",
      "errors arrive as the right KubeError",
      "a CRD: generated from the cluster, typed, and through the dynamic client",
    ],
  },
  {
    file: "test/informer/informer.int.test.ts",
    skip: [
      "a proxy that cuts connections at random moments",
      "etcd compacted while the informer is disconnected: 410, relist, caught up",
      "a resourceVersion older than etcd keeps throws WatchExpiredError",
      "kube-apiserver killed and restarted mid-watch while 200 objects are created, updated and deleted",
    ],
    suites: ["informer under faults", "raw watch on the real cluster"],
  },
  {
    file: "test/informer/informer-failures.int.test.ts",
    skip: ["a first list refused by RBAC (403) rejects synced within seconds, and the informer stops"],
    suites: ["an informer that cannot work says so"],
  },
  {
    file: "test/controller/controller.int.test.ts",
    skip: ["converges after an apiserver restart in the middle of 200 changes, never holding one key twice"],
    suites: ["createController"],
  },
  {
    file: "test/controller/leader-election.int.test.ts",
    skip: ["a leader cut off from the API server stops reconciling before the other takes over"],
    suites: ["leaderElection on a coordination.k8s.io/v1 Lease"],
  },
  { file: "test/manifests/apply.int.test.ts", skip: [], suites: [] },
];

const escapeRegExp = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
/**
 * Node 20 has --test-name-pattern only, and runs a test when its name or any ancestor's matches
 * (the file's root test is named "<root>"): every name but these, "<root>" and their suites.
 */
const patternLeavingOut = (names: string[]) =>
  `^(?!(?:${[...names, "<root>"].map(escapeRegExp).join("|")})$)`;

const children = new Set<ChildProcess>();
after(() => {
  for (const c of children) c.kill("SIGTERM");
});

function run(cmd: string, args: string[], env: NodeJS.ProcessEnv, untilLine?: string) {
  // NODE_TEST_CONTEXT would make a child `node --test` report to this runner instead of printing.
  const { NODE_TEST_CONTEXT: _, ...clean } = env;
  const child = spawn(cmd, args, { env: clean, stdio: ["ignore", "pipe", "pipe"] });
  children.add(child);
  let out = "";
  const ready = new Promise<void>((resolve, reject) => {
    child.stdout?.on("data", (c: Buffer) => {
      out += c;
      if (untilLine && out.includes(untilLine)) resolve();
    });
    child.stderr?.on("data", (c: Buffer) => (out += c));
    child.once("exit", (code) => (untilLine ? reject(new Error(`exited ${code}: ${out}`)) : resolve()));
  });
  // "close": the exit code once stdout and stderr are read to their end.
  const exit = new Promise<number | null>((resolve) => child.once("close", (code) => resolve(code)));
  exit.then(() => children.delete(child));
  return { child, ready, exit, output: () => out };
}

describe("the integration suites that need no node pass against the fake", () => {
  for (const suite of SUITES) {
    it(`${suite.file}${suite.skip.length ? ` (less ${suite.skip.length})` : ""}`, async () => {
      const dir = mkdtempSync(join(tmpdir(), "kubefetch-fake-suite-"));
      const node = ["--import", "tsx", "--conditions=kubefetch-source"];
      const fake = run(
        process.execPath,
        [...node, "test/testing/fake-cluster-process.ts", dir],
        process.env,
        "ready",
      );
      try {
        await fake.ready;
        const args = [...node, "--test", "--test-reporter=spec"];
        if (suite.skip.length)
          args.push(`--test-name-pattern=${patternLeavingOut([...suite.skip, ...suite.suites])}`);
        const t = run(process.execPath, [...args, suite.file], {
          ...process.env,
          KUBEFETCH_TEST_CLUSTER: dir,
        });
        const code = await t.exit;
        assert.equal(code, 0, `${suite.file} failed on the fake:\n${t.output()}`);
        assert.match(t.output(), /ℹ pass [1-9]/, "some test ran");
        assert.match(t.output(), /ℹ fail 0/);
      } finally {
        fake.child.kill("SIGTERM");
        await fake.exit;
        rmSync(dir, { recursive: true, force: true });
      }
    });
  }
});
