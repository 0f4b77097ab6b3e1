// Port-forward when the apiserver goes away mid-stream: the broken stream is reported as a
// typed error and its local connection closed; the listener survives, and a connection made
// after the apiserver is back gets a new stream that works.
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { connect as tcpConnect } from "node:net";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { loadConfig, PortForwardError } from "../../src/index.js";
import { restartApiserver } from "../helpers/faults.js";
import { fetchLocal, httpdPod } from "../helpers/httpd-pod.js";
import { freePort, nodeCluster, podNamespace, waitForPod } from "../helpers/node.js";
import { until } from "../helpers/wait.js";

const cluster = nodeCluster();
const SIZE = 10 * 1024 * 1024;
let kube: Client;
let ns: string;
let httpPort: number;

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
  ns = await podNamespace(kube, "pf-faults");
  httpPort = await freePort();
  await kube.core.v1.pods.create(
    httpdPod({ namespace: ns, image: cluster.images.busybox, port: httpPort, size: SIZE }),
  );
  await waitForPod(kube, ns, "web", (p) => p.status?.containerStatuses?.[0]?.ready === true, "ready");
});
after(async () => {
  await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
  await kube.close();
});

describe("port-forward across an apiserver restart", () => {
  it("the open stream breaks with a PortForwardError; the listener lives on and new connections work", async (t) => {
    const errors: Error[] = [];
    const pf = await kube.core.v1.pods.portForward({
      namespace: ns,
      name: "web",
      ports: [{ remote: httpPort }],
      onError: (e) => errors.push(e),
    });
    try {
      const port = pf.ports[0]?.local as number;
      await until(
        async () => (await fetchLocal(port, "/big.md5").catch(() => ({ status: 0 }))).status === 200,
        { what: "httpd" },
      );
      // Until httpd listens the kubelet reports "connection refused": not what this test is about.
      errors.length = 0;
      // A transfer held mid-way: the client reads one chunk and stops, so the stream stays open.
      const sock = tcpConnect(port, "127.0.0.1");
      sock.on("error", () => {});
      sock.write("GET /big HTTP/1.1\r\nHost: x\r\n\r\n");
      await new Promise((r) => sock.once("data", r));
      sock.pause();
      const closed = new Promise((r) => sock.once("close", r));

      await restartApiserver(cluster);

      sock.resume(); // read on, to see the end
      await closed;
      await until(async () => errors.length > 0, { what: "the broken stream reported", timeoutMs: 30_000 });
      const e = errors[0];
      t.diagnostic(errors.map((x) => `${x.name}: ${x.message}`).join(" | "));
      assert.ok(e instanceof PortForwardError, String(e));
      assert.equal(e.reason, "stream");
      assert.equal(e.port, httpPort);

      // Same listener, new connection, new stream: the whole file, the pod's checksum.
      const expected = (await fetchLocal(port, "/big.md5")).body.toString().trim();
      const r = await fetchLocal(port, "/big");
      assert.equal(r.body.length, SIZE);
      assert.equal(createHash("md5").update(r.body).digest("hex"), expected);
    } finally {
      await pf.close();
    }
  });
});
