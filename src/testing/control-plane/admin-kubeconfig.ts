// The kubeconfig file a control plane writes for kubectl (and any tool reading KUBECONFIG): its
// server, CA and the admin's client certificate, embedded as *-data so the file stands alone.

import { writeFile } from "node:fs/promises";
import { stringify } from "yaml";

/** Writes a kubeconfig with one cluster, user and context ("envtest", as controller-runtime names them), mode 0600. */
export async function writeAdminKubeconfig(
  path: string,
  o: { server: string; caPem: string; certPem: string; keyPem: string },
): Promise<void> {
  const b64 = (pem: string) => Buffer.from(pem, "utf8").toString("base64");
  const doc = {
    apiVersion: "v1",
    kind: "Config",
    clusters: [
      { name: "envtest", cluster: { server: o.server, "certificate-authority-data": b64(o.caPem) } },
    ],
    users: [
      {
        name: "envtest",
        user: { "client-certificate-data": b64(o.certPem), "client-key-data": b64(o.keyPem) },
      },
    ],
    contexts: [{ name: "envtest", context: { cluster: "envtest", user: "envtest", namespace: "default" } }],
    "current-context": "envtest",
  };
  await writeFile(path, stringify(doc), { mode: 0o600 });
}
