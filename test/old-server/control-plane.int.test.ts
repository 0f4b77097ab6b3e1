// startControlPlane on the 1.20 stack's binaries: the flags an old kube-apiserver needs
// (--insecure-port=0 before 1.24) and a CRD installed and served, as on the current one.
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, symlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { startControlPlane } from "../../src/testing/index.js";
import { testCluster } from "../helpers/cluster.js";

const cluster = testCluster();
const assets = mkdtempSync(join(tmpdir(), "kubefetch-cp-old-"));
after(() => rmSync(assets, { recursive: true, force: true }));

it("starts etcd and kube-apiserver 1.20 from KUBEBUILDER_ASSETS, with a CRD, and stops them", {
  timeout: 120_000,
}, async () => {
  symlinkSync(cluster.etcd.binary, join(assets, "etcd"));
  symlinkSync(cluster.apiserver.binary, join(assets, "kube-apiserver"));
  const cp = await startControlPlane({
    env: { ...process.env, KUBEBUILDER_ASSETS: assets },
    crds: [join(import.meta.dirname, "../fixtures/control-plane/widgets.yaml")],
  });
  try {
    assert.match(cp.version, /^v1\.20\./);
    const kube = createClient(cp.config);
    // Established and served before startControlPlane returned.
    const list = await kube.discovery.resources("kubefetch.test/v1");
    assert.deepEqual(
      list.resources.filter((r) => !r.name.includes("/")).map((r) => r.kind),
      ["Widget"],
    );
    await kube.core.v1.namespaces.create({ metadata: { name: "old-cp" } });
    assert.equal((await kube.core.v1.namespaces.get({ name: "old-cp" })).metadata?.name, "old-cp");
    await kube.close();
  } finally {
    await cp.stop();
  }
  for (const pid of Object.values(cp.pids)) assert.throws(() => process.kill(pid, 0));
});
