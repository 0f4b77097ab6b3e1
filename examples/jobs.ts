// Run:  npx tsx examples/jobs.ts
//
// Lists every Job in every namespace, page by page, then gets default/my-job.
import { isNotFound, loadConfig } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";

const kube = createClient(await loadConfig());
try {
  let n = 0;
  for await (const job of kube.batch.v1.jobs.listAll({ allNamespaces: true, limit: 100 })) {
    const { succeeded = 0, failed = 0, active = 0 } = job.status ?? {};
    console.log(
      `${job.metadata?.namespace}/${job.metadata?.name}\tactive=${active} succeeded=${succeeded} failed=${failed}`,
    );
    n++;
  }
  console.log(`${n} jobs`);

  try {
    const job = await kube.batch.v1.jobs.get({ namespace: "default", name: "my-job" });
    const image = job.spec?.template.spec?.containers[0]?.image;
    console.log(`default/my-job: image ${image}, created ${job.metadata?.creationTimestamp}`);
  } catch (e) {
    if (!isNotFound(e)) throw e;
    console.log("default/my-job: not found");
  }
} finally {
  await kube.close();
}
