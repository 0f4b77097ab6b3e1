import assert from "node:assert/strict";
import { readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { runCli } from "../helpers/cli.js";
import { fakeApiserver, json } from "../helpers/fake-apiserver.js";
import { definitionText, readValidators } from "../helpers/generated.js";
import { miniSpec } from "../helpers/mini-spec.js";
import { specsDir } from "../helpers/paths.js";
import { scratchDir, typecheckGenerated } from "../helpers/spec-check.js";

const base = scratchDir("openapi-v3");
after(() => rmSync(base, { recursive: true, force: true }));

/** A generated file without its header (which names the source). */
const body = (dir: string, file: string) =>
  readFileSync(join(dir, file), "utf8").split("\n").slice(6).join("\n");

type Def = { properties?: Record<string, unknown>; required?: string[] };
function definitionsOf(dir: string): Record<string, Def> {
  const line = readFileSync(join(dir, "schemas.ts"), "utf8")
    .split("\n")
    .find((l) => l.startsWith("const DEFINITIONS = ")) as string;
  return JSON.parse(JSON.parse(line.slice(20, -1)));
}

describe("OpenAPI v3 sources", () => {
  const v2 = join(base, "v2");
  const v3 = join(base, "v3");
  before(async () => {
    for (const [out, src] of [
      [v2, join(specsDir, "1.35/swagger.json")],
      [v3, join(specsDir, "1.35/v3")],
    ] as const) {
      const r = await runCli("generate", "--from-file", src, "--out", out);
      assert.equal(r.code, 0, r.stderr);
    }
  });

  it("a folder of 1.35's v3 documents gives the same resources and query types as its v2 spec", () => {
    assert.equal(body(v3, "registry.ts"), body(v2, "registry.ts"));
    assert.equal(body(v3, "queries.d.ts"), body(v2, "queries.d.ts"));
  });

  it("and every v3 definition has the v2 one's fields and required fields", () => {
    const a = definitionsOf(v2);
    const b = definitionsOf(v3);
    assert.ok(Object.keys(b).length > 700);
    for (const [name, def] of Object.entries(b)) {
      const other = a[name];
      assert.ok(other, `${name} is only in v3`);
      assert.deepEqual(
        Object.keys(def.properties ?? {}).sort(),
        Object.keys(other.properties ?? {}).sort(),
        name,
      );
      assert.deepEqual([...(def.required ?? [])].sort(), [...(other.required ?? [])].sort(), name);
    }
  });

  it("whose types are assignable both ways for the common kinds", async () => {
    const kinds = [
      "io.k8s.api.core.v1.Pod",
      "io.k8s.api.core.v1.Service",
      "io.k8s.api.core.v1.ConfigMap",
      "io.k8s.api.apps.v1.Deployment",
      "io.k8s.api.batch.v1.CronJob",
      "io.k8s.api.networking.v1.Ingress",
      "io.k8s.api.rbac.v1.ClusterRole",
    ];
    writeFileSync(
      join(v3, "assignable.ts"),
      [
        'import type { components as V3 } from "./components.js";',
        'import type { components as V2 } from "../v2/components.js";',
        ...kinds.flatMap((k, i) => [
          `export const to2_${i} = (x: V3["schemas"]["${k}"]): V2["schemas"]["${k}"] => x;`,
          `export const to3_${i} = (x: V2["schemas"]["${k}"]): V3["schemas"]["${k}"] => x;`,
        ]),
        "",
      ].join("\n"),
    );
    const r = await typecheckGenerated(v3);
    assert.ok(r.ok, r.output);
  });

  it("reads 1.27's v3 documents into a client that type-checks", async () => {
    const out = join(base, "v3-1.27");
    const r = await runCli("generate", "--from-file", join(specsDir, "1.27/v3"), "--out", out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /source: +.*1\.27\/v3 \(29 OpenAPI v3 documents\)/);
    const t = await typecheckGenerated(out);
    assert.ok(t.ok, t.output);
  });

  it("--openapi insists on the version it names", async () => {
    let r = await runCli(
      "generate",
      "--from-file",
      join(specsDir, "1.35/v3"),
      "--openapi",
      "v2",
      "--out",
      join(base, "x"),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /is OpenAPI v3, not v2 \(--openapi v2\)/);
    r = await runCli("generate", "--from-file", join(specsDir, "1.35/v3"), "--openapi", "v4");
    assert.equal(r.code, 2);
    assert.match(r.stderr, /--openapi takes v2 or v3/);
  });
});

describe("--from-url of a server's /openapi/v3", () => {
  let server: Server;
  let url: string;
  const served: string[] = [];
  // A CRD's group-version document as the API server publishes it in v3: nullable, enums and
  // int-or-string survive here, where /openapi/v2 drops them.
  const crdDoc = {
    openapi: "3.0.0",
    info: { title: "Kubernetes CRD Swagger", version: "v0.1.0" },
    paths: {
      "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs": {
        parameters: [{ name: "namespace", in: "path", required: true, schema: { type: "string" } }],
        get: {
          operationId: "listStableExampleComV1NamespacedCronTab",
          parameters: [{ name: "watch", in: "query", schema: { type: "boolean" } }],
          responses: {
            "200": {
              description: "OK",
              content: {
                "application/json": {
                  schema: { $ref: "#/components/schemas/com.example.stable.v1.CronTabList" },
                },
              },
            },
          },
          "x-kubernetes-action": "list",
          "x-kubernetes-group-version-kind": { group: "stable.example.com", version: "v1", kind: "CronTab" },
        },
      },
      "/apis/stable.example.com/v1/namespaces/{namespace}/crontabs/{name}": {
        get: {
          operationId: "readStableExampleComV1NamespacedCronTab",
          responses: {
            "200": {
              description: "OK",
              content: {
                "application/json": {
                  schema: { $ref: "#/components/schemas/com.example.stable.v1.CronTab" },
                },
              },
            },
          },
          "x-kubernetes-action": "get",
          "x-kubernetes-group-version-kind": { group: "stable.example.com", version: "v1", kind: "CronTab" },
        },
      },
    },
    components: {
      schemas: {
        "com.example.stable.v1.CronTab": {
          type: "object",
          properties: {
            apiVersion: { type: "string" },
            kind: { type: "string" },
            metadata: { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta" },
            spec: {
              type: "object",
              properties: {
                image: { type: "string", nullable: true },
                policy: { type: "string", enum: ["Allow", "Forbid"] },
                port: {
                  "x-kubernetes-int-or-string": true,
                  anyOf: [{ type: "integer" }, { type: "string" }],
                },
              },
            },
          },
          "x-kubernetes-group-version-kind": [
            { group: "stable.example.com", version: "v1", kind: "CronTab" },
          ],
        },
        "com.example.stable.v1.CronTabList": {
          type: "object",
          required: ["items"],
          properties: {
            apiVersion: { type: "string" },
            items: { type: "array", items: { $ref: "#/components/schemas/com.example.stable.v1.CronTab" } },
            kind: { type: "string" },
            metadata: { $ref: "#/components/schemas/io.k8s.apimachinery.pkg.apis.meta.v1.ListMeta" },
          },
          "x-kubernetes-group-version-kind": [
            { group: "stable.example.com", version: "v1", kind: "CronTabList" },
          ],
        },
      },
    },
  };

  before(async () => {
    const docs: Record<string, Buffer> = {
      "/openapi/v3": Buffer.from(
        JSON.stringify({
          paths: {
            "api/v1": { serverRelativeURL: "/openapi/v3/api/v1?hash=AAA" },
            "apis/stable.example.com/v1": {
              serverRelativeURL: "/openapi/v3/apis/stable.example.com/v1?hash=BBB",
            },
          },
        }),
      ),
      "/openapi/v3/api/v1?hash=AAA": readFileSync(join(specsDir, "1.35/v3/api__v1_openapi.json")),
      "/openapi/v3/apis/stable.example.com/v1?hash=BBB": Buffer.from(JSON.stringify(crdDoc)),
    };
    server = createServer((req, res) => {
      served.push(req.url ?? "");
      const doc = docs[req.url ?? ""];
      if (doc) res.writeHead(200, { "content-type": "application/json" }).end(doc);
      else res.writeHead(404).end("not found");
    });
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/openapi/v3`;
  });
  after(() => new Promise<void>((r) => server.close(() => r())));

  it("follows the index to every group-version document, with a progress line, and keeps v3-only detail", async () => {
    const out = join(base, "from-url");
    const r = await runCli("generate", "--from-url", url, "--out", out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stderr, /fetching OpenAPI v3 documents: 2 of 2/);
    assert.deepEqual(served.sort(), [
      "/openapi/v3",
      "/openapi/v3/api/v1?hash=AAA",
      "/openapi/v3/apis/stable.example.com/v1?hash=BBB",
    ]);
    assert.match(readFileSync(join(out, "registry.ts"), "utf8"), /"plural": "crontabs"/);
    const types = readFileSync(join(out, "components.d.ts"), "utf8");
    const cronTab = definitionText(types, "com.example.stable.v1.CronTab");
    for (const line of [
      "image?: string | null;",
      'policy?: "Allow" | "Forbid";',
      "port?: number | string;",
    ]) {
      assert.ok(cronTab.slice(0, 1500).includes(line), `CronTab lacks ${line}`);
    }
    const v = readValidators(out);
    const tab = (spec: object) => ({ apiVersion: "stable.example.com/v1", kind: "CronTab", spec });
    assert.equal(
      v.validate("com.example.stable.v1.CronTab", tab({ image: null, policy: "Allow" })).success,
      true,
    );
    assert.equal(v.validate("com.example.stable.v1.CronTab", tab({ policy: "Maybe" })).success, false);
  });
});

describe("--from-cluster: /openapi/v3 when the server serves it, else /openapi/v2", () => {
  // Our loopback server stands in for an API server, for what a real one shows only by chance
  // (a document changing between the index and its fetch); test/codegen/crd-cluster.int.test.ts
  // reads the real current server's /openapi/v3.
  const v1 = readFileSync(join(specsDir, "1.35/v3/api__v1_openapi.json"));
  const kubeconfig = (url: string) => {
    const p = join(base, `kubeconfig-${url.split(":").pop()}`);
    writeFileSync(
      p,
      [
        "apiVersion: v1",
        "kind: Config",
        `clusters: [{name: c, cluster: {server: "${url}"}}]`,
        "users: [{name: u, user: {}}]",
        "contexts: [{name: x, context: {cluster: c, user: u}}]",
        "current-context: x",
        "",
      ].join("\n"),
    );
    return p;
  };

  /** A server whose v3 index lists api/v1 at `hash`; `document` answers every other path. */
  const v3Server = (hash: string, document: Parameters<typeof fakeApiserver>[0]) =>
    fakeApiserver((req, res, n) => {
      if (req.url === "/version") return json(res, 200, { gitVersion: "v1.37.2" });
      if (req.url === "/openapi/v3")
        return json(res, 200, {
          paths: { "api/v1": { serverRelativeURL: `/openapi/v3/api/v1?hash=${hash}` } },
        });
      document(req, res, n);
    });
  const fromCluster = (url: string, out: string) =>
    runCli("generate", "--from-cluster", "--kubeconfig", kubeconfig(url), "--out", join(base, out));

  it("fetches every group-version document the v3 index lists, with a progress line", async () => {
    const server = await fakeApiserver((req, res) => {
      if (req.url === "/version") return json(res, 200, { gitVersion: "v1.35.0" });
      if (req.url === "/openapi/v3")
        return json(res, 200, { paths: { "api/v1": { serverRelativeURL: "/openapi/v3/api/v1?hash=1" } } });
      if (req.url === "/openapi/v3/api/v1?hash=1") return res.writeHead(200).end(v1);
      json(res, 404, {});
    });
    try {
      const out = join(base, "cluster-v3");
      const r = await runCli(
        "generate",
        "--from-cluster",
        "--kubeconfig",
        kubeconfig(server.url),
        "--out",
        out,
      );
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /fetching OpenAPI v3 documents: 1 of 1/);
      assert.match(r.stdout, /source: +cluster http:\/\/127\.0\.0\.1:\d+ \(context x\), \/openapi\/v3/);
      assert.match(r.stdout, /Kubernetes 1\.35/);
      assert.ok(!server.seen.some((s) => s.url === "/openapi/v2"));
    } finally {
      await server.close();
    }
  });

  it("a document that changed after the index named its hash: the server's 301 to the new hash is followed", async () => {
    const server = await v3Server("OLD", (req, res) => {
      if (req.url === "/openapi/v3/api/v1?hash=OLD")
        return res.writeHead(301, { location: "/openapi/v3/api/v1?hash=NEW" }).end();
      if (req.url === "/openapi/v3/api/v1?hash=NEW") return res.writeHead(200).end(v1);
      json(res, 404, {});
    });
    try {
      const r = await fromCluster(server.url, "moved");
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        server.seen.map((s) => s.url),
        ["/version", "/openapi/v3", "/openapi/v3/api/v1?hash=OLD", "/openapi/v3/api/v1?hash=NEW"],
      );
    } finally {
      await server.close();
    }
  });

  it("a 301 anywhere else (another path or host) is not followed: the error names both", async () => {
    for (const location of ["/api/v1/secrets?x=1", "http://127.0.0.2:1/openapi/v3/api/v1?hash=NEW"]) {
      const server = await v3Server("OLD", (_req, res) => res.writeHead(301, { location }).end());
      try {
        const r = await fromCluster(server.url, "moved-away");
        assert.equal(r.code, 1);
        assert.ok(r.stderr.includes(`/openapi/v3/api/v1?hash=OLD: HTTP 301 (to ${location})`), r.stderr);
        assert.equal(server.seen.length, 3);
      } finally {
        await server.close();
      }
    }
  });

  it("falls back to /openapi/v2 where v3 is not served; --openapi v3 then fails naming the URL", async () => {
    const server = await fakeApiserver((req, res) => {
      if (req.url === "/version") return json(res, 200, { gitVersion: "v1.20.2" });
      if (req.url === "/openapi/v2") return json(res, 200, miniSpec());
      json(res, 404, { kind: "Status", message: "the server could not find the requested resource" });
    });
    try {
      const config = kubeconfig(server.url);
      let r = await runCli(
        "generate",
        "--from-cluster",
        "--kubeconfig",
        config,
        "--out",
        join(base, "cluster-v2"),
      );
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(
        server.seen.map((s) => s.url),
        ["/version", "/openapi/v3", "/openapi/v2"],
      );
      r = await runCli(
        "generate",
        "--from-cluster",
        "--kubeconfig",
        config,
        "--openapi",
        "v3",
        "--out",
        join(base, "c3"),
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /http:\/\/127\.0\.0\.1:\d+\/openapi\/v3: HTTP 404: the server could not find/);
    } finally {
      await server.close();
    }
  });
});
