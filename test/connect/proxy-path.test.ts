// What a proxy call sends, seen from a loopback server of ours: the `[scheme:]name:port`
// segment, the trailing path encoded segment by segment, ".." that would climb out refused
// before anything is sent, and the answer handed back as a Response whatever its status.
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { createConfig, InvalidRequestError } from "../../src/index.js";
import { fakeApiserver, json } from "../helpers/fake-apiserver.js";

let s: Awaited<ReturnType<typeof fakeApiserver>>;
let kube: ReturnType<typeof createClient>;

before(async () => {
  s = await fakeApiserver((r, res) => {
    // As a server without aggregated discovery answers the client's first question.
    if (r.url === "/api") return json(res, 200, { kind: "APIVersions", versions: ["v1"] });
    if (r.url === "/api/v1") {
      const resources = [
        { name: "pods", namespaced: true, kind: "Pod", verbs: ["get"] },
        { name: "pods/proxy", namespaced: true, kind: "PodProxyOptions", verbs: ["get", "create"] },
        { name: "configmaps", namespaced: true, kind: "ConfigMap", verbs: ["get"] },
      ];
      return json(res, 200, { kind: "APIResourceList", groupVersion: "v1", resources });
    }
    if (r.url.includes("missing"))
      return res.writeHead(404, { "content-type": "text/plain" }).end("no such page");
    res.writeHead(200, { "content-type": "text/plain", "x-echo-method": r.method }).end(`body:${r.body}`);
  });
  kube = createClient(createConfig({ server: s.url, namespace: "ctx", token: "secret-token", env: {} }), {
    retry: { maxRetries: 0 },
  });
});
after(async () => {
  await kube.close();
  await s.close();
});

const last = () => s.seen.at(-1)?.url;

describe("proxy paths: the one request layer builds them", () => {
  it("services: name:port, the path after /proxy, the query as `query`", async () => {
    const res = await kube.core.v1.services.proxy({
      name: "web",
      port: "http",
      path: "/healthz",
      query: { verbose: true },
    });
    assert.equal(res.status, 200);
    assert.equal(last(), "/api/v1/namespaces/ctx/services/web:http/proxy/healthz?verbose=true");
  });

  it("pods: name:port with a number, scheme:name:port with a scheme, the namespace given", async () => {
    await kube.core.v1.pods.proxy({ namespace: "n1", name: "p", port: 8080, path: "a/b/" });
    assert.equal(last(), "/api/v1/namespaces/n1/pods/p:8080/proxy/a/b/");
    await kube.core.v1.pods.proxy({ namespace: "n1", name: "p", port: 8443, scheme: "https" });
    assert.equal(last(), "/api/v1/namespaces/n1/pods/https:p:8443/proxy/");
  });

  it("nodes: no namespace, no port means the kubelet's", async () => {
    await kube.core.v1.nodes.proxy({ name: "localhost", path: "/pods" });
    assert.equal(last(), "/api/v1/nodes/localhost/proxy/pods");
  });

  it("each segment is percent-encoded; a % is a literal percent, never a pre-encoded byte", async () => {
    await kube.core.v1.services.proxy({ name: "web", path: "/a b/%2e%2e/ü/x:y@z+1" });
    assert.equal(last(), "/api/v1/namespaces/ctx/services/web/proxy/a%20b/%252e%252e/%C3%BC/x:y@z+1");
  });

  it('"." and ".." inside the path resolve as a URL would; one climbing out is refused, nothing sent', async () => {
    await kube.core.v1.services.proxy({ name: "web", path: "/a/./b/../c" });
    assert.equal(last(), "/api/v1/namespaces/ctx/services/web/proxy/a/c");
    const before = s.seen.length;
    for (const path of ["..", "/../x", "/a/../../pods", "a/b/../../../.."]) {
      await assert.rejects(
        kube.core.v1.services.proxy({ name: "web", path }),
        (e: unknown) =>
          e instanceof InvalidRequestError && e.field === "path" && /climbs out/.test(e.message),
        path,
      );
    }
    assert.equal(s.seen.length, before);
  });

  it("a query or fragment in the path, a bad port, scheme or name: refused, nothing sent", async () => {
    const before = s.seen.length;
    const bad: [Parameters<typeof kube.core.v1.pods.proxy>[0], string][] = [
      [{ name: "p", path: "/x?y=1" }, "path"],
      [{ name: "p", path: "/x#y" }, "path"],
      [{ name: "p", path: "/x\ny" }, "path"],
      [{ name: "p", port: 0 }, "port"],
      [{ name: "p", port: 70000 }, "port"],
      [{ name: "p", port: "a:b" }, "port"],
      [{ name: "p", port: "../x" }, "port"],
      [{ name: "p", port: 80, scheme: "ftp" as "http" }, "scheme"],
      [{ name: "p:1", port: 80 }, "name"],
      [{ name: "..", port: 80 }, "name"],
      [{ name: "" }, "name"],
    ];
    for (const [o, field] of bad) {
      await assert.rejects(
        kube.core.v1.pods.proxy(o),
        (e: unknown) => e instanceof InvalidRequestError && e.field === field,
        JSON.stringify(o),
      );
    }
    assert.equal(s.seen.length, before);
  });

  it("the answer is a Response with the target's status; a 404 is an answer, not a throw", async () => {
    const res = await kube.core.v1.services.proxy({ name: "web", path: "/missing" });
    assert.equal(res.status, 404);
    assert.equal(res.ok, false);
    assert.equal(await res.text(), "no such page");
  });

  it("method, headers and body reach the target; credentials stay the client's", async () => {
    const res = await kube.core.v1.pods.proxy({
      name: "p",
      port: 80,
      method: "POST",
      path: "/echo",
      headers: { "x-mine": "1", "content-type": "text/plain" },
      body: "hello",
    });
    assert.equal(res.headers.get("x-echo-method"), "POST");
    assert.equal(await res.text(), "body:hello");
    const seen = s.seen.at(-1);
    assert.equal(seen?.headers["x-mine"], "1");
    assert.equal(seen?.headers.authorization, "Bearer secret-token");
    await assert.rejects(
      kube.core.v1.pods.proxy({ name: "p", headers: { Authorization: "Bearer other" } }),
      (e: unknown) =>
        e instanceof TypeError &&
        /authorization is the client's/i.test(String(e)) &&
        !/other/.test(String(e)),
    );
  });

  it("the dynamic client finds the proxy subresource through discovery; a kind without one is refused", async () => {
    await kube.resource({ apiVersion: "v1", kind: "Pod" }).proxy({ name: "p", port: 80, path: "/x" });
    assert.equal(last(), "/api/v1/namespaces/ctx/pods/p:80/proxy/x");
    await assert.rejects(
      kube.resource({ apiVersion: "v1", kind: "ConfigMap" }).proxy({ name: "c" }),
      (e: unknown) => e instanceof InvalidRequestError && /not a path of ConfigMap/.test(String(e)),
    );
  });

  it("a connection that fails is a ConnectionError", async () => {
    const dead = createClient(createConfig({ server: "http://127.0.0.1:1", env: {} }), {
      retry: { maxRetries: 0 },
    });
    await assert.rejects(dead.core.v1.nodes.proxy({ name: "n" }), {
      name: "ConnectionError",
      code: "ECONNREFUSED",
    });
    await dead.close();
  });
});
