// Type-level tests of the typed client (checked by tsc via test/typecheck.test.ts).
import type { KubeConfig } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { typedRaw } from "kubefetch/generated/kubernetes-1.36/raw";
import { type Equal, expectType } from "../helpers/expect-type.js";

declare const config: KubeConfig;
const kube = createClient(config);

export async function resources() {
  // Objects are typed by their schema; list items carry kind.
  const cm = await kube.core.v1.configmaps.get({ namespace: "demo", name: "a" });
  expectType<Equal<typeof cm.kind, "ConfigMap">>();
  const pods = await kube.core.v1.pods.list({ namespace: "default", labelSelector: "app=web", limit: 2 });
  expectType<Equal<(typeof pods.items)[number]["kind"], "Pod">>();
  const image: string | undefined = pods.items[0]?.spec?.containers[0]?.image;
  void image;

  // apiVersion/kind are optional on create (filled in); the rest is checked.
  await kube.core.v1.namespaces.create({ metadata: { name: "demo" } });
  // @ts-expect-error data values are strings
  await kube.core.v1.configmaps.create({ metadata: { name: "a" }, data: { k: 1 } });

  // Namespaced vs cluster-scoped.
  await kube.batch.v1.jobs.list();
  await kube.rbacAuthorization.v1.clusterroles.get({ name: "admin" });
  // @ts-expect-error a cluster-scoped resource takes no namespace
  await kube.rbacAuthorization.v1.clusterroles.get({ name: "admin", namespace: "x" });
  // @ts-expect-error nor does its list
  await kube.core.v1.namespaces.list({ namespace: "x" });

  // Methods exist only for the verbs a resource has.
  await kube.authorization.v1.subjectaccessreviews.create({ spec: { user: "alice" } });
  // @ts-expect-error SubjectAccessReview cannot be listed
  await kube.authorization.v1.subjectaccessreviews.list();
  // @ts-expect-error componentstatuses cannot be created
  await kube.core.v1.componentstatuses.create({});
  // @ts-expect-error no such resource key (plurals as in the URL)
  await kube.core.v1.configMaps.list();

  // Query options are the spec's own parameters, typed.
  await kube.core.v1.configmaps.list({ namespace: "demo", resourceVersion: "0", timeoutSeconds: 5 });
  // @ts-expect-error limit is a number
  await kube.core.v1.configmaps.list({ limit: "2" });
  // @ts-expect-error no such query parameter
  await kube.core.v1.configmaps.list({ labelSelektor: "a=b" });
  await kube.core.v1.configmaps.delete(
    { namespace: "demo", name: "a" },
    { propagationPolicy: "Foreground", gracePeriodSeconds: 0, dryRun: true },
  );

  // Patches: a JSON patch is a list of operations; merge/strategic take part of the object.
  await kube.apps.v1.deployments.patch(
    { name: "web" },
    [{ op: "replace", path: "/spec/replicas", value: 2 }],
    { type: "json" },
  );
  await kube.apps.v1.deployments.patch({ name: "web" }, { spec: { replicas: 2 } }, { type: "merge" });
  // @ts-expect-error replicas is a number
  await kube.apps.v1.deployments.patch({ name: "web" }, { spec: { replicas: "2" } }, { type: "strategic" });
  // @ts-expect-error a JSON patch is not an object
  await kube.apps.v1.deployments.patch({ name: "web" }, { spec: { replicas: 2 } }, { type: "json" });
  await kube.apps.v1.deployments.apply(
    { metadata: { name: "web" }, spec: { replicas: 1 } },
    { fieldManager: "me", force: true },
  );
  // @ts-expect-error apply needs a fieldManager
  await kube.apps.v1.deployments.apply({ metadata: { name: "web" } }, {});

  // Subresources.
  const scale = await kube.apps.v1.deployments.scale.get({ namespace: "d", name: "web" });
  expectType<Equal<typeof scale.kind, "Scale">>();
  await kube.apps.v1.deployments.status.patch(
    { name: "web" },
    { status: { replicas: 1 } },
    { type: "merge" },
  );
  for await (const line of kube.core.v1.pods.log({
    namespace: "d",
    name: "p",
    follow: true,
    tailLines: 10,
  })) {
    expectType<Equal<typeof line, string>>();
  }
  // @ts-expect-error configmaps have no status subresource
  kube.core.v1.configmaps.status;

  // exec and attach: only where the registry lists them; collect mode and stream mode differ.
  const r = await kube.core.v1.pods.exec({ namespace: "d", name: "p", command: ["ls"], stdin: "x" });
  expectType<Equal<typeof r.exitCode, number>>();
  expectType<Equal<typeof r.stdout, string>>();
  const proc = await kube.core.v1.pods.exec({ namespace: "d", name: "p", command: ["sh"], stream: true });
  expectType<Equal<Awaited<typeof proc.done>, { exitCode: number }>>();
  proc.stdin.write("exit\n");
  const attached = await kube.core.v1.pods.attach({ name: "p", stdin: true, stream: true });
  await attached.resize({ cols: 80, rows: 24 });
  // @ts-expect-error configmaps have no exec subresource
  kube.core.v1.configmaps.exec;
  // @ts-expect-error deployments cannot be attached to
  kube.apps.v1.deployments.attach;
  // @ts-expect-error exec needs a command
  await kube.core.v1.pods.exec({ name: "p" });
  const copied = await kube.cp.fromPod({ name: "p", from: "/etc/hosts", to: "./hosts" });
  expectType<Equal<(typeof copied.skipped)[number]["reason"], string>>();

  // Watch events are typed.
  for await (const ev of kube.apps.v1.deployments.watch({ namespace: "d" })) {
    expectType<Equal<typeof ev.type, "ADDED" | "MODIFIED" | "DELETED" | "BOOKMARK">>();
    const replicas: number | undefined = ev.object.spec?.replicas;
    void replicas;
  }

  // Discovery, dynamic and raw.
  const v = await kube.discovery.version();
  expectType<Equal<typeof v.gitVersion, string>>();
  await kube.discovery.v1.endpointslices.list();
  const crontabs = kube.resource({ apiVersion: "stable.example.com/v1", kind: "CronTab" });
  const ct = await crontabs.get({ namespace: "d", name: "x" });
  expectType<Equal<typeof ct.kind, string>>();
  await kube.resource.v1.resourceslices.list();
  // kube.raw takes any path, loosely typed; typedRaw(kube) types every path of the spec.
  const loose = await kube.raw.GET("/apis/batch/v1/namespaces/{namespace}/jobs/{name}", {
    params: { path: { namespace: "default", name: "my-job" } },
  });
  expectType<Equal<typeof loose.data, unknown>>();
  const raw = typedRaw(kube);
  const job = await raw.GET("/apis/batch/v1/namespaces/{namespace}/jobs/{name}", {
    params: { path: { namespace: "default", name: "my-job" } },
  });
  expectType<Equal<NonNullable<typeof job.data>["kind"], "Job">>();
  await raw.GET("/apis/batch/v1/namespaces/{namespace}/jobs/{name}", {
    // @ts-expect-error a misspelt path parameter
    params: { path: { namespace: "default", nmae: "my-job" } },
  });

  // Every call takes an AbortSignal and a timeout.
  await kube.core.v1.pods.get({ name: "p" }, { signal: AbortSignal.timeout(1000), timeoutMs: 500 });
}
