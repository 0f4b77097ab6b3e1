import assert from "node:assert/strict";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type Client, createClient } from "kubefetch/generated/kubernetes-1.36";
import { isAlreadyExists, isNotFound, loadConfig } from "../../src/index.js";
import { testCluster, uniqueName } from "../helpers/cluster.js";
import { startKubectlProxy } from "../helpers/kubectl-proxy.js";
import { busyboxPod, freePort, myJob, nodeCluster, podNamespace, waitForPod } from "../helpers/node.js";
import { repoRoot } from "../helpers/paths.js";
import { clusterEnv, exampleCommands, sh, waitForOutput } from "../helpers/shell.js";
import { until } from "../helpers/wait.js";

// Each example is run with the command its first line gives, from the repository, with the
// test cluster's admin kubeconfig as $KUBECONFIG: a smoke test of the public API as users see it.
const cluster = testCluster();
const env = clusterEnv(cluster);
const commands = new Map(exampleCommands().map((e) => [e.file, e.command]));
const command = (file: string) => {
  const c = commands.get(file);
  assert.ok(c, `examples/${file} has no command`);
  return c;
};
let kube: Client;

before(async () => {
  kube = createClient(await loadConfig({ kubeconfig: cluster.kubeconfigs.admin, env: {} }));
});
after(() => kube.close());

describe("examples/, each run as its first line says", () => {
  it("every example says how to run it, and this suite runs each of them", () => {
    assert.deepEqual(
      [...commands.keys()],
      [
        "apply-manifests.ts",
        "controller.ts",
        "crd-typed.ts",
        "discovery.ts",
        "exec.ts",
        "in-cluster-pods.ts",
        "jobs.ts",
        "kubectl-proxy.ts",
        "port-forward.ts",
        "watch-deployments.ts",
      ],
    );
  });

  it("in-cluster-pods.ts lists its namespace's pods with the service account's folder", async () => {
    const sa = cluster.serviceAccount;
    const name = uniqueName("sa-pod");
    await kube.core.v1.pods.create({
      metadata: { name, namespace: sa.namespace },
      spec: { containers: [{ name: "c", image: "busybox" }] },
    });
    const r = await sh(command("in-cluster-pods.ts"), {
      env: {
        ...env,
        KUBECONFIG: "/nonexistent", // proves the kubeconfig plays no part
        KUBERNETES_SERVICE_HOST: cluster.host,
        KUBERNETES_SERVICE_PORT: String(cluster.apiPort),
        SERVICE_ACCOUNT_DIR: sa.dir,
      },
    }).done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      r.stdout,
      new RegExp(`^\\d+ pods in ${sa.namespace} \\(https://${cluster.host}:${cluster.apiPort}\\)$`, "m"),
    );
    assert.match(r.stdout, new RegExp(`^${name}\\tPending$`, "m"));
  });

  it("in-cluster-pods.ts says what is missing outside a pod", async () => {
    const r = await sh(command("in-cluster-pods.ts"), { env: { ...env, KUBERNETES_SERVICE_HOST: "" } }).done;
    assert.equal(r.code, 1);
    assert.match(r.stderr, /ConfigError: .*KUBERNETES_SERVICE_HOST/);
  });

  describe("kubectl-proxy.ts", () => {
    let proxy: Awaited<ReturnType<typeof startKubectlProxy>>;
    let url = "";
    before(async () => {
      proxy = await startKubectlProxy(cluster.kubeconfigs.admin);
      url = proxy.url;
    });
    after(() => proxy.stop());

    it("reaches the cluster through kubectl proxy with no credentials in the program", async () => {
      // Port 0 instead of the command's 8001, so a busy port on the machine cannot fail the test.
      const cmd = command("kubectl-proxy.ts").replace("http://127.0.0.1:8001", url);
      const r = await sh(cmd, { env: { ...env, KUBECONFIG: "/nonexistent" } }).done;
      assert.equal(r.code, 0, r.stderr);
      assert.match(
        r.stdout,
        new RegExp(`^Kubernetes v1\\.\\d+\\.\\d+ through ${url}, no credentials here$`, "m"),
      );
      assert.match(r.stdout, /^namespace kube-system$/m);
    });
  });

  it("discovery.ts prints groups and versions, then batch/v1's resources with their verbs", async () => {
    const r = await sh(command("discovery.ts"), { env }).done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^core: v1$/m);
    assert.match(r.stdout, /^apps: v1$/m);
    assert.match(
      r.stdout,
      /^ {2}jobs +Job +namespaced +create,delete,deletecollection,get,list,patch,update,watch$/m,
    );
    assert.match(r.stdout, /^ {2}jobs\/status +Job +namespaced +get,patch,update$/m);
  });

  it("exec.ts runs a command in a pod and prints its stdout and exit code", async () => {
    const node = nodeCluster();
    const ns = await podNamespace(kube, "example-exec");
    try {
      await kube.core.v1.pods.create(busyboxPod(node, ns, "box", "sleep 3600"));
      await waitForPod(kube, ns, "box", (p) => p.status?.phase === "Running", "Running");
      // The first line's command as written, with the pod filled in.
      const run = (pod: string) => command("exec.ts").replace("NAMESPACE", ns).replace("POD", pod);
      const r = await sh(run("box"), { env }).done;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, "hello\nexit code 3\n");
      const missing = await sh(run("nope"), { env }).done;
      assert.equal(missing.code, 1);
      assert.match(missing.stderr, /pods "nope" not found/);
    } finally {
      await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
    }
  });

  it("jobs.ts lists jobs in all namespaces and gets default/my-job", async () => {
    const other = uniqueName("jobs");
    await kube.core.v1.namespaces.create({ metadata: { name: other } });
    const job = (namespace: string, name: string) => ({
      metadata: { name, namespace },
      spec: {
        template: {
          spec: { restartPolicy: "Never" as const, containers: [{ name: "c", image: "busybox" }] },
        },
      },
    });
    // The same my-job as the client and node tests' (a Job's template is immutable), whichever
    // runs first: busybox echoing once, run to completion by the test cluster's node.
    const { images } = nodeCluster();
    await kube.batch.v1.jobs.create(myJob(images)).catch((e: unknown) => {
      if (!isAlreadyExists(e)) throw e;
    });
    await kube.batch.v1.jobs.create(job(other, "elsewhere"));
    await until(
      async () =>
        (await kube.batch.v1.jobs.get({ namespace: "default", name: "my-job" })).status?.succeeded === 1,
      { what: "default/my-job to succeed" },
    );
    const r = await sh(command("jobs.ts"), { env }).done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^default\/my-job\tactive=0 succeeded=1 failed=0$/m);
    assert.match(r.stdout, new RegExp(`^${other}/elsewhere\\t`, "m"));
    assert.match(r.stdout, new RegExp(`^default/my-job: image ${images.busybox}, created \\d{4}-`, "m"));
  });

  it("watch-deployments.ts prints each change until Ctrl-C, then stops cleanly", async () => {
    const ns = uniqueName("watch");
    await kube.core.v1.namespaces.create({ metadata: { name: ns } });
    const run = sh(command("watch-deployments.ts"), { env });
    await waitForOutput(run.output, /^watching \d+ deployments from resourceVersion \d+$/m);
    const d = {
      metadata: { name: "w", namespace: ns },
      spec: {
        replicas: 2,
        selector: { matchLabels: { app: "w" } },
        template: {
          metadata: { labels: { app: "w" } },
          spec: { containers: [{ name: "c", image: "nginx" }] },
        },
      },
    };
    await kube.apps.v1.deployments.create(d);
    await waitForOutput(run.output, `ADDED    ${ns}/w ready 0/2`);
    await kube.apps.v1.deployments.patch(
      { namespace: ns, name: "w" },
      { spec: { replicas: 3 } },
      { type: "merge" },
    );
    await waitForOutput(run.output, `MODIFIED ${ns}/w ready 0/3`);
    await kube.apps.v1.deployments.delete({ namespace: ns, name: "w" });
    await waitForOutput(run.output, `DELETED  ${ns}/w`);
    run.interrupt();
    const r = await run.done;
    // The example ends its watch and closes the client ("stopped" is its last line, no stack on
    // stderr); npm exec then re-raises the Ctrl-C it forwarded, as a shell sees it.
    assert.ok(r.code === 0 || r.signal === "SIGINT", `${r.code} ${r.signal}`);
    assert.equal(r.stderr, "");
    assert.match(r.stdout, /stopped\n$/);
  });

  describe("controller.ts", () => {
    const web = (ns: string) => ({
      metadata: { name: "web", namespace: ns },
      spec: {
        paused: true, // no pods: the example only reads the spec
        replicas: 2,
        selector: { matchLabels: { app: "web" } },
        template: {
          metadata: { labels: { app: "web" } },
          spec: { containers: [{ name: "c", image: "busybox" }] },
        },
      },
    });

    it("keeps a ConfigMap per Deployment, owned by it, and cleans it up through its finalizer", async () => {
      const ns = uniqueName("ctl-example");
      await kube.core.v1.namespaces.create({ metadata: { name: ns } });
      const run = sh(`${command("controller.ts")} ${ns}`, { env });
      await waitForOutput(run.output, `controlling deployments in ${ns}`);
      await kube.apps.v1.deployments.create(web(ns));
      await waitForOutput(run.output, `reconciled ${ns}/web images=busybox replicas=2`);
      const cm = await kube.core.v1.configmaps.get({ namespace: ns, name: "web-info" });
      assert.deepEqual(cm.data, { images: "busybox", replicas: "2" });
      assert.equal(cm.metadata?.ownerReferences?.[0]?.kind, "Deployment");
      assert.equal(cm.metadata?.ownerReferences?.[0]?.controller, true);
      const d = await kube.apps.v1.deployments.get({ namespace: ns, name: "web" });
      assert.deepEqual(d.metadata?.finalizers, ["example.kubefetch.dev/configmap"]);
      await kube.apps.v1.deployments.patch(
        { namespace: ns, name: "web" },
        { spec: { replicas: 3 } },
        { type: "merge" },
      );
      await waitForOutput(run.output, `reconciled ${ns}/web images=busybox replicas=3`);
      await kube.apps.v1.deployments.delete({ namespace: ns, name: "web" });
      await waitForOutput(run.output, `cleaned up ${ns}/web`);
      await until(
        () => kube.apps.v1.deployments.get({ namespace: ns, name: "web" }).then(() => false, isNotFound),
        { what: "the Deployment gone once its finalizer is removed" },
      );
      await assert.rejects(kube.core.v1.configmaps.get({ namespace: ns, name: "web-info" }), isNotFound);
      run.interrupt();
      const r = await run.done;
      assert.ok(r.code === 0 || r.signal === "SIGINT", `${r.code} ${r.signal}`);
      assert.equal(r.stderr, "");
      assert.match(r.stdout, /stopped\n$/);
    });

    it("with --leader-elect, leads through the Lease and gives it up on Ctrl-C", async () => {
      const ns = uniqueName("ctl-elect");
      await kube.core.v1.namespaces.create({ metadata: { name: ns } });
      const run = sh(`${command("controller.ts")} ${ns} --leader-elect`, { env });
      await waitForOutput(run.output, /^leading$/m);
      await kube.apps.v1.deployments.create(web(ns));
      await waitForOutput(run.output, `reconciled ${ns}/web images=busybox replicas=2`);
      const lease = await kube.coordination.v1.leases.get({
        namespace: ns,
        name: "configmap-per-deployment",
      });
      assert.match(lease.spec?.holderIdentity ?? "", /-\d+$/);
      run.interrupt();
      const r = await run.done;
      assert.ok(r.code === 0 || r.signal === "SIGINT", `${r.code} ${r.signal}`);
      assert.match(r.stdout, /not leading\nstopped\n$/);
      const released = await kube.coordination.v1.leases.get({
        namespace: ns,
        name: "configmap-per-deployment",
      });
      assert.equal(released.spec?.holderIdentity ?? "", "");
    });
  });

  it("apply-manifests.ts applies a YAML file in dependency order, and nothing of an invalid one", async () => {
    const r = await sh(command("apply-manifests.ts"), { env }).done;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(r.stdout.trim().split("\n"), [
      "doc 1 Deployment/kubefetch-example/web: applied",
      "doc 2 Service/kubefetch-example/web: applied",
      "doc 3 ConfigMap/kubefetch-example/web-config: applied",
      "doc 4 Namespace/kubefetch-example: applied",
    ]);
    const svc = await kube.core.v1.services.get({ namespace: "kubefetch-example", name: "web" });
    assert.equal(svc.spec?.ports?.[0]?.targetPort, "http");

    const broken = await sh("npx tsx examples/apply-manifests.ts examples/manifests/broken.yaml", { env })
      .done;
    assert.equal(broken.code, 1);
    assert.equal(
      broken.stderr,
      [
        "examples/manifests/broken.yaml: nothing applied",
        "doc 2 Deployment web: spec.template.spec.containers[0].name: required",
        "doc 2 Deployment web: spec.template.spec.nodeSelectr: unknown field",
        "",
      ].join("\n"),
    );
    await assert.rejects(kube.core.v1.namespaces.get({ name: "kubefetch-broken" }), isNotFound);
  });

  it("crd-typed.ts installs a CRD, regenerates from the cluster and uses the typed client", async () => {
    const r = await sh(command("crd-typed.ts"), { env, timeoutMs: 180_000 }).done;
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^CronTab my-crontab: \* \* \* \* \*\/5 runs my-cron-image$/m);
    const tab = await kube.resource({ apiVersion: "stable.example.com/v1", kind: "CronTab" }).get({
      namespace: "default",
      name: "my-crontab",
    });
    assert.deepEqual(tab.spec, { cronSpec: "* * * * */5", image: "my-cron-image", replicas: 1 });

    // The example type-checks against what it generated, and those types come from the CRD's schema.
    const tsc = join(repoRoot, "node_modules/typescript/bin/tsc");
    const ok = await sh(`node ${tsc} -p examples/tsconfig.crd-typed.json`, { env }).done;
    assert.equal(ok.code, 0, ok.stdout);
    const dir = join(repoRoot, "examples/generated/type-check");
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, "wrong.ts"),
      'import type { stableV1 } from "../cluster/index.js";\nexport const t: stableV1.CronTab = { apiVersion: "stable.example.com/v1", kind: "CronTab", spec: { cronSpec: 5, image: "i" } };\n',
    );
    writeFileSync(
      join(dir, "tsconfig.json"),
      '{ "extends": "../../../tsconfig.json", "include": ["wrong.ts"], "exclude": [] }\n',
    );
    const wrong = await sh(`node ${tsc} -p examples/generated/type-check/tsconfig.json`, { env }).done;
    assert.equal(wrong.code, 2);
    assert.match(
      wrong.stdout,
      /wrong\.ts\(2,\d+\): error TS2322: Type 'number' is not assignable to type 'string'/,
    );
    // The CRD goes with the test: stable.example.com is also a group of the CRD corpus.
    await kube.apiextensions.v1.customresourcedefinitions.delete({ name: "crontabs.stable.example.com" });
  });

  it("port-forward.ts forwards a pod's HTTP port and fetches a page through it", async () => {
    const node = nodeCluster();
    const ns = await podNamespace(kube, "example-pf");
    try {
      const port = await freePort();
      const page = `hello from ${ns}`;
      await kube.core.v1.pods.create(
        busyboxPod(
          node,
          ns,
          "web",
          `mkdir /www && echo '${page}' > /www/index.html && exec httpd -f -p 127.0.0.1:${port} -h /www`,
        ),
      );
      await waitForPod(kube, ns, "web", (p) => p.status?.containerStatuses?.[0]?.ready === true, "ready");
      const run = () =>
        sh(command("port-forward.ts"), {
          env: { ...env, NAMESPACE: ns, POD: "web", PORT: String(port), URL_PATH: "/index.html" },
        }).done;
      // httpd may take a moment after the container starts: until then the forward reports "refused".
      let r = await run();
      for (let i = 0; i < 20 && r.code !== 0; i++) {
        await new Promise((res) => setTimeout(res, 500));
        r = await run();
      }
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^forwarding 127\\.0\\.0\\.1:\\d+ -> web:${port}$`, "m"));
      assert.match(r.stdout, new RegExp(`^GET /index.html: 200, ${page.length + 1} bytes\n${page}$`, "m"));
    } finally {
      await kube.core.v1.namespaces.delete({ name: ns }).catch(() => {});
    }
  });
});
