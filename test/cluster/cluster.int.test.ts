import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { Agent, request } from "undici";
import { testCluster, uniqueName } from "../helpers/cluster.js";
import { kubectl, kubectlOrThrow } from "../helpers/kubectl-run.js";
import { repoRoot } from "../helpers/paths.js";

const run = promisify(execFile);
const cluster = testCluster();

interface Credential {
  name: string;
  agent: Agent;
  headers: Record<string, string>;
  namespace: string;
}

const adminNs = uniqueName("smoke");
const credentials: Credential[] = [
  {
    name: "admin client certificate",
    agent: new Agent({
      connect: {
        ca: readFileSync(cluster.ca),
        cert: readFileSync(cluster.certs.admin.cert),
        key: readFileSync(cluster.certs.admin.key),
      },
    }),
    headers: {},
    namespace: adminNs,
  },
  {
    name: "admin token",
    agent: new Agent({ connect: { ca: readFileSync(cluster.ca) } }),
    headers: { authorization: `Bearer ${cluster.tokens.admin}` },
    namespace: adminNs,
  },
  {
    name: "service-account token (TokenRequest)",
    agent: new Agent({ connect: { ca: readFileSync(join(cluster.serviceAccount.dir, "ca.crt")) } }),
    headers: { authorization: `Bearer ${readFileSync(join(cluster.serviceAccount.dir, "token"), "utf8")}` },
    namespace: readFileSync(join(cluster.serviceAccount.dir, "namespace"), "utf8"),
  },
];

async function call(cred: Credential, method: string, path: string, body?: unknown) {
  const res = await request(`${cluster.server}${path}`, {
    method: method as "GET",
    dispatcher: cred.agent,
    headers: { ...cred.headers, accept: "application/json", "content-type": "application/json" },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  return { status: res.statusCode, json: (await res.body.json()) as Record<string, unknown> };
}

describe("test cluster: a ConfigMap's whole life with each credential", () => {
  before(async () => {
    const admin = credentials[0] as Credential;
    const r = await call(admin, "POST", "/api/v1/namespaces", { metadata: { name: adminNs } });
    assert.equal(r.status, 201);
  });
  after(async () => {
    await call(credentials[0] as Credential, "DELETE", `/api/v1/namespaces/${adminNs}`);
    for (const c of credentials) await c.agent.close();
  });

  for (const cred of credentials) {
    it(cred.name, async () => {
      const ns = cred.namespace;
      const name = uniqueName("cm");
      const base = `/api/v1/namespaces/${ns}/configmaps`;
      const created = await call(cred, "POST", base, {
        apiVersion: "v1",
        kind: "ConfigMap",
        metadata: { name, labels: { smoke: "yes" } },
        data: { k: "v" },
      });
      assert.equal(created.status, 201, JSON.stringify(created.json));
      const read = await call(cred, "GET", `${base}/${name}`);
      assert.equal(read.status, 200);
      assert.deepEqual(read.json.data, { k: "v" });
      const listed = await call(cred, "GET", `${base}?labelSelector=smoke%3Dyes`);
      assert.equal(listed.status, 200);
      const names = (listed.json.items as { metadata: { name: string } }[]).map((i) => i.metadata.name);
      assert.ok(names.includes(name), names.join(","));
      assert.equal((await call(cred, "DELETE", `${base}/${name}`)).status, 200);
      assert.equal((await call(cred, "GET", `${base}/${name}`)).status, 404);
    });
  }

  it("the service account gets 403 outside its namespace", async () => {
    const sa = credentials[2] as Credential;
    const r = await call(sa, "GET", "/api/v1/namespaces/default/configmaps");
    assert.equal(r.status, 403);
    assert.equal(r.json.reason, "Forbidden");
    assert.match(String(r.json.message), /system:serviceaccount:kubefetch-sa:reader/);
    assert.equal((await call(sa, "GET", `/api/v1/namespaces/${sa.namespace}/pods`)).status, 200);
  });
});

describe("test cluster: kubectl with each written kubeconfig", () => {
  for (const which of ["admin", "token"] as const) {
    it(`${which} kubeconfig lists namespaces`, async () => {
      const kubeconfig = cluster.kubeconfigs[which];
      const out = await kubectlOrThrow(cluster, ["get", "namespaces", "-o", "name"], {
        kubeconfig,
        timeoutMs: 30_000,
      });
      assert.match(out, /namespace\/default/);
    });
  }
  for (const [which, user] of [
    ["unprivileged", "alice"],
    ["unprivilegedToken", "bob"],
  ] as const) {
    it(`${which} kubeconfig authenticates as ${user} and is refused by RBAC`, async () => {
      const kubeconfig = cluster.kubeconfigs[which];
      const v = await kubectlOrThrow(cluster, ["get", "--raw", "/version"], {
        kubeconfig,
        timeoutMs: 30_000,
      });
      assert.match(v, /"gitVersion"/);
      const refused = await kubectl(cluster, ["get", "namespaces"], { kubeconfig, timeoutMs: 30_000 });
      assert.notEqual(refused.code, 0, "kubectl listed namespaces");
      assert.match(refused.stderr, new RegExp(`User "${user}" cannot list resource "namespaces"`));
    });
  }
});

describe("test cluster: scripts", () => {
  it("`up` on a running cluster's folder is harmless and changes nothing", async () => {
    const r = await run("bash", [join(repoRoot, "test/cluster/up.sh"), cluster.dir]);
    assert.equal(r.stdout.trim(), cluster.dir);
    assert.match(r.stderr, /already up/);
    const again = JSON.parse(readFileSync(join(cluster.dir, "cluster.json"), "utf8"));
    assert.equal(again.server, cluster.server);
  });

  it("`down` with nothing running is harmless", async () => {
    const r = await run("bash", [
      join(repoRoot, "test/cluster/down.sh"),
      join(cluster.dir, "no-such-cluster"),
    ]);
    assert.equal(r.stderr, "");
  });
});
