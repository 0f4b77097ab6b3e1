import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmdirSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { promisify } from "node:util";
import { repoRoot } from "../helpers/paths.js";

// kubelet 1.20 sets host sysctls and writes fixed host paths; containerd writes /run/containerd.
// The machines running these tests are shared, so up.sh runs both in a mount namespace of the
// cluster's own. This test starts a second cluster with a node, and checks the host before
// up.sh, while it runs, and after down.sh.
const run = promisify(execFile);
const SYSCTLS = [
  "kernel/panic",
  "kernel/panic_on_oops",
  "vm/overcommit_memory",
  "vm/panic_on_oom",
  "net/ipv4/ip_forward",
];
const PATHS = [
  "/var/log/pods",
  "/var/log/containers",
  "/var/lib/kubelet",
  "/var/lib/cni",
  "/run/containerd",
  "/opt/containerd",
];

const sysctls = () =>
  Object.fromEntries(SYSCTLS.map((s) => [s, readFileSync(`/proc/sys/${s}`, "utf8").trim()]));
const paths = () => Object.fromEntries(PATHS.map((p) => [p, existsSync(p)]));
const mountsUnder = (dir: string) =>
  readFileSync("/proc/self/mountinfo", "utf8")
    .split("\n")
    .filter((l) => l.split(" ")[4]?.startsWith(dir));
/** Processes whose command line or working folder names dir. */
const processesOf = (dir: string) =>
  readdirSync("/proc")
    .filter((p) => /^\d+$/.test(p) && Number(p) !== process.pid)
    .filter((p) => {
      try {
        const cmd = readFileSync(`/proc/${p}/cmdline`, "utf8").replaceAll("\0", " ");
        return cmd.includes(dir) || readlinkSync(`/proc/${p}/cwd`).startsWith(dir);
      } catch {
        return false; // ended meanwhile
      }
    });

describe("a cluster with a node leaves the shared machine as it found it", () => {
  it("host sysctls and kubelet's paths are unchanged, and no process, mount or cgroup is left after down.sh", async () => {
    const before = { sysctls: sysctls(), paths: paths() };
    const parent = mkdtempSync(join(tmpdir(), "kubefetch-host-"));
    const dir = join(parent, "cluster");
    let up = false;
    let tasks: { id: string; pid: number }[] = [];
    let bridge = "";
    try {
      await run("bash", [join(repoRoot, "test/cluster/up.sh"), dir], { cwd: repoRoot, timeout: 300_000 });
      up = true;
      const c = JSON.parse(readFileSync(join(dir, "cluster.json"), "utf8"));
      // The kubelet did set its sysctls, into the cluster's files, not the host's.
      assert.equal(readFileSync(join(dir, "node/host/sysctl/kernel.panic"), "utf8").trim(), "10");
      assert.equal(readFileSync(join(dir, "node/host/sysctl/vm.overcommit_memory"), "utf8").trim(), "1");
      assert.ok(existsSync(join(c.node.podLogDir)), "pod logs live in the cluster folder");
      assert.deepEqual(sysctls(), before.sysctls, "host sysctls while the node runs");
      assert.deepEqual(paths(), before.paths, "host paths while the node runs");
      assert.ok(processesOf(dir).length >= 5, "the cluster's daemons run");
      const holder = readFileSync(join(dir, "mountns.pid"), "utf8").trim();
      assert.notEqual(readlinkSync(`/proc/${holder}/ns/mnt`), readlinkSync("/proc/self/ns/mnt"));
      // A pod still running at down.sh: its sandbox and container must go too.
      const kubectl = ["--kubeconfig", c.kubeconfigs.admin, "--cache-dir", join(dir, "kubectl-cache")];
      // Pods still running at down.sh: one with hostNetwork, one on the node's CNI bridge.
      const pod = (name: string, hostNetwork: boolean) => ({
        apiVersion: "v1",
        kind: "Pod",
        metadata: { name, namespace: "default" },
        spec: {
          hostNetwork,
          containers: [
            { name: "c", image: c.images.busybox, imagePullPolicy: "Never", command: ["sleep", "600"] },
          ],
        },
      });
      const apply = run(c.kubectl, [...kubectl, "apply", "-f", "-"]);
      apply.child.stdin?.end(
        JSON.stringify({ apiVersion: "v1", kind: "List", items: [pod("host", true), pod("bridged", false)] }),
      );
      await apply;
      await run(c.kubectl, [
        ...kubectl,
        "wait",
        "--for=condition=Ready",
        "pod/host",
        "pod/bridged",
        "--timeout=90s",
      ]);
      bridge = readFileSync(join(dir, "node/bridge"), "utf8").trim();
      await run("ip", ["link", "show", bridge]); // the bridged pod made it
      const ls = await run("ctr", ["-a", c.node.containerdSocket, "-n", "k8s.io", "tasks", "ls"]);
      tasks = ls.stdout
        .trim()
        .split("\n")
        .slice(1)
        .map((l) => l.split(/\s+/))
        .map(([id, pid]) => ({ id: id as string, pid: Number(pid) }));
      assert.equal(tasks.length, 4, `two sandboxes and two sleep containers: ${ls.stdout}`);
    } finally {
      await run("bash", [join(repoRoot, "test/cluster/down.sh"), "--keep", dir], { timeout: 120_000 });
    }
    assert.ok(up, "up.sh succeeded");
    assert.deepEqual(sysctls(), before.sysctls, "host sysctls after down.sh");
    assert.deepEqual(paths(), before.paths, "host paths after down.sh");
    assert.deepEqual(processesOf(dir), [], "no process of the cluster left");
    assert.deepEqual(mountsUnder(dir), [], "no mount under the cluster folder");
    for (const t of tasks)
      assert.equal(existsSync(`/proc/${t.pid}`), false, `task ${t.id} (pid ${t.pid}) ended`);
    // Containers' cgroups are named by their ids (runc under containerd's k8s.io parent).
    const cgroups = readdirSync("/sys/fs/cgroup").flatMap((ctrl) =>
      tasks.map((t) => join("/sys/fs/cgroup", ctrl, "k8s.io", t.id)).filter((p) => existsSync(p)),
    );
    assert.deepEqual(cgroups, [], "no cgroup of the cluster's containers left");
    await assert.rejects(run("ip", ["link", "show", bridge]), "the CNI bridge is gone");
    await run("bash", [join(repoRoot, "test/cluster/down.sh"), dir]);
    assert.equal(existsSync(dir), false);
    rmdirSync(parent);
  });
});
