// startControlPlane on the real binaries of the test cluster (their paths only: the control
// plane started here is its own, on its own ports and folder).
import assert from "node:assert/strict";
import { execFile, spawn } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { ControlPlaneError, startControlPlane } from "../../src/testing/control-plane/control-plane.js";
import { testCluster } from "../helpers/cluster.js";
import { until } from "../helpers/wait.js";

const run = promisify(execFile);
const fixtures = join(import.meta.dirname, "../fixtures/control-plane");
const cluster = testCluster();
const work = mkdtempSync(join(tmpdir(), "kubefetch-cp-int-"));
// What setup-envtest gives: a folder of the three binaries under their names.
const assets = join(work, "assets");

before(() => {
  mkdirSync(assets);
  symlinkSync(cluster.etcd.binary, join(assets, "etcd"));
  symlinkSync(cluster.apiserver.binary, join(assets, "kube-apiserver"));
  symlinkSync(cluster.kubectl, join(assets, "kubectl"));
});
after(() => rmSync(work, { recursive: true, force: true }));

/** Whether a PID is gone: no such process, or a zombie its new parent has not reaped yet. */
function gone(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return true;
  }
  try {
    return /^\d+ \(.*\) Z/.test(readFileSync(`/proc/${pid}/stat`, "utf8"));
  } catch {
    return true;
  }
}

describe("startControlPlane on real binaries", () => {
  it("starts from KUBEBUILDER_ASSETS, serves a CRD from a file, works with kubectl, and stop() leaves nothing", async (t) => {
    const t0 = performance.now();
    const cp = await startControlPlane({
      env: { ...process.env, KUBEBUILDER_ASSETS: assets },
      crds: [join(fixtures, "widgets.yaml")],
    });
    const startMs = performance.now() - t0;
    t.diagnostic(`started (with one CRD) in ${Math.round(startMs)} ms`);
    let stopped = false;
    try {
      assert.equal(cp.version, cluster.version);
      assert.match(cp.server, /^https:\/\/127\.0\.0\.1:\d+$/);
      assert.notEqual(cp.server, cluster.server);
      assert.equal(cp.kubectl, join(assets, "kubectl"));

      // The CRD is served at once: no wait between start and the first create.
      const kube = createClient(cp.config);
      const widgets = kube.resource({ apiVersion: "kubefetch.test/v1", kind: "Widget" });
      const made = await widgets.create({
        apiVersion: "kubefetch.test/v1",
        kind: "Widget",
        metadata: { name: "w1", namespace: "default" },
        spec: { size: 3 },
      });
      assert.equal(made.metadata?.uid?.length, 36);
      // The CRD's schema is enforced: this is a real apiserver.
      await assert.rejects(
        widgets.create({
          apiVersion: "kubefetch.test/v1",
          kind: "Widget",
          metadata: { name: "w2", namespace: "default" },
          spec: { size: 0 },
        }),
        /spec\.size/,
      );
      await kube.close();

      const kubectl = (...args: string[]) =>
        run(cp.kubectl ?? "kubectl", ["--kubeconfig", cp.kubeconfigPath, ...args], {
          // Only the kubeconfig given counts; HOME keeps its discovery cache out of the worktree.
          env: { HOME: work },
        });
      const got = JSON.parse((await kubectl("get", "widgets", "w1", "-o", "json")).stdout);
      assert.equal(got.spec.size, 3);
      // RBAC, not AlwaysAllow: the admin may do anything, another user nothing granted.
      assert.equal((await kubectl("auth", "can-i", "delete", "widgets")).stdout.trim(), "yes");
      const alice = await kubectl("auth", "can-i", "list", "widgets", "--as=alice").catch(
        (e: { stdout: string; code: number }) => e,
      );
      assert.equal(alice.stdout.trim(), "no");

      const t1 = performance.now();
      await cp.stop();
      stopped = true;
      t.diagnostic(`stopped in ${Math.round(performance.now() - t1)} ms`);
      assert.ok(gone(cp.pids.etcd), "etcd still runs");
      assert.ok(gone(cp.pids.kubeApiserver), "kube-apiserver still runs");
      assert.equal(existsSync(cp.dir), false, "the temp folder is still there");
      await cp.stop(); // again: nothing to do, no error
    } finally {
      if (!stopped) await cp.stop();
    }
  });

  it("a CRD the apiserver refuses: CrdFailed with its message, processes ended, a given dir kept with the logs", async () => {
    const dir = join(work, "kept");
    const err = await startControlPlane({
      binaries: {
        etcd: cluster.etcd.binary,
        kubeApiserver: cluster.apiserver.binary,
      },
      env: {},
      dir,
      crds: [join(fixtures, "invalid-crd.yaml")],
    }).then(
      () => assert.fail("started"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ControlPlaneError, String(err));
    assert.equal(err.reason, "CrdFailed");
    assert.match(err.message, /invalid-crd\.yaml: creating CRD broken\.kubefetch\.test: HTTP 422: .*storage/);
    for (const f of ["etcd.log", "kube-apiserver.log", "kubeconfig", "pki/ca.crt"]) {
      assert.ok(existsSync(join(dir, f)), f);
    }
    // Nothing of this start still runs: no process holds the folder's etcd data.
    const { stdout } = await run("ps", ["-eo", "args"]);
    assert.ok(!stdout.includes(join(dir, "etcd")), "a process of the failed start still runs");
  });

  it("not ready within startTimeoutMs: Timeout with the log's tail, and the processes ended", async () => {
    const dir = join(work, "slow");
    const err = await startControlPlane({ assets, dir, startTimeoutMs: 300 }).then(
      () => assert.fail("started"),
      (e: unknown) => e,
    );
    assert.ok(err instanceof ControlPlaneError, String(err));
    assert.equal(err.reason, "Timeout");
    assert.match(err.message, /not ready in time; its log: /);
    const { stdout } = await run("ps", ["-eo", "args"]);
    assert.ok(!stdout.includes(join(dir, "etcd")), "a process of the timed-out start still runs");
  });

  it("a port taken between choosing and binding: etcd and kube-apiserver are retried on new ports", async () => {
    // Each stand-in fails its first start as Go does when another process took the port, then
    // runs the real binary.
    const racing = join(work, "racing");
    mkdirSync(racing);
    const stub = (name: string, real: string) => {
      const file = join(racing, name);
      const mark = join(racing, `${name}.raced`);
      writeFileSync(
        file,
        `#!/bin/sh
[ "$1" = --version ] && exec "${real}" --version
if [ ! -f "${mark}" ]; then
  touch "${mark}"
  echo "listen tcp 127.0.0.1:1: bind: address already in use" >&2
  exit 1
fi
exec "${real}" "$@"
`,
      );
      chmodSync(file, 0o755);
      return mark;
    };
    const marks = [stub("etcd", cluster.etcd.binary), stub("kube-apiserver", cluster.apiserver.binary)];
    const cp = await startControlPlane({ assets: racing });
    try {
      for (const m of marks) assert.ok(existsSync(m), `${m}: no race happened`);
      const kube = createClient(cp.config);
      const ns = await kube.core.v1.namespaces.get({ name: "default" });
      assert.equal(ns.metadata?.name, "default");
      await kube.close();
      // Each log holds the attempt that ran, not the race before it.
      assert.ok(!readFileSync(join(cp.dir, "etcd.log"), "utf8").includes("address already in use"));
    } finally {
      await cp.stop();
    }
  });

  for (const how of ["throw", "wait"] as const) {
    const what = how === "throw" ? "dies of an uncaught error" : "is ended by SIGTERM";
    it(`the processes and the temp folder do not outlive a test process that ${what} without stop()`, async () => {
      const child = spawn(
        process.execPath,
        [
          "--import",
          "tsx",
          "--conditions=kubefetch-source",
          join(fixtures, "start-and-crash.ts"),
          assets,
          how,
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      let out = "";
      let errOut = "";
      child.stdout.on("data", (d) => {
        out += d;
        if (how === "wait" && out.endsWith("\n")) child.kill("SIGTERM");
      });
      child.stderr.on("data", (d) => {
        errOut += d;
      });
      const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((r) =>
        child.on("exit", (c, s) => r([c, s])),
      );
      if (how === "throw") {
        assert.equal(code, 1, errOut);
        assert.match(errOut, /crash without stop\(\)/);
      } else {
        // Still ended by the signal, as without the control plane's listener.
        assert.equal(signal, "SIGTERM", errOut);
      }
      const { pids, dir } = JSON.parse(out) as { pids: { etcd: number; kubeApiserver: number }; dir: string };
      await until(() => gone(pids.etcd) && gone(pids.kubeApiserver), {
        what: "the ended test's etcd and kube-apiserver to end",
        timeoutMs: 10_000,
      });
      assert.equal(existsSync(dir), false);
    });
  }

  it("refuses, before starting anything, a folder without kube-apiserver, another Kubernetes version, and a ConfigMap as a CRD", async () => {
    const onlyEtcd = join(work, "only-etcd");
    mkdirSync(onlyEtcd);
    symlinkSync(cluster.etcd.binary, join(onlyEtcd, "etcd"));
    await assert.rejects(startControlPlane({ assets: onlyEtcd }), (e: unknown) => {
      assert.ok(e instanceof ControlPlaneError);
      assert.equal(e.reason, "BinaryMissing");
      assert.equal(e.component, "kube-apiserver");
      assert.equal(e.path, join(onlyEtcd, "kube-apiserver"));
      return true;
    });

    const other = cluster.version.startsWith("v1.20.") ? "1.37" : "1.20";
    await assert.rejects(startControlPlane({ assets, kubernetesVersion: other }), (e: unknown) => {
      assert.ok(e instanceof ControlPlaneError);
      assert.equal(e.reason, "WrongVersion");
      assert.ok(e.message.includes(`is ${cluster.version}, not the kubernetesVersion asked for (${other})`));
      return true;
    });

    const dir = join(work, "never-made");
    await assert.rejects(
      startControlPlane({ assets, dir, crds: [join(fixtures, "configmap.yaml")] }),
      (e: unknown) => {
        assert.ok(e instanceof ControlPlaneError);
        assert.equal(e.reason, "CrdFailed");
        assert.match(e.message, /configmap\.yaml: holds a ConfigMap/);
        return true;
      },
    );
    assert.equal(existsSync(dir), false, "a refused start made its folder");
  });
});
