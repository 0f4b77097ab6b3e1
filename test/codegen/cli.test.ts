import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { gzipSync } from "node:zlib";
import { runCli } from "../helpers/cli.js";
import { miniSpec } from "../helpers/mini-spec.js";
import { repoRoot } from "../helpers/paths.js";

const tmp = mkdtempSync(join(tmpdir(), "kubefetch-cli-"));
const file = (name: string, content: string | Uint8Array) => {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
};
const snapshot = (dir: string) =>
  readdirSync(dir)
    .sort()
    .map((f) => `${f}:${readFileSync(join(dir, f), "utf8").length}`);

/** One line on stderr, naming the problem. */
function assertOneLine(stderr: string, pattern: RegExp) {
  assert.equal(stderr.trimEnd().split("\n").length, 1, `expected one line, got: ${stderr}`);
  assert.match(stderr, pattern);
}

describe("kubefetch generate: sources", () => {
  it("generates from the embedded default and says which version it used", async () => {
    const out = join(tmp, "embedded");
    const r = await runCli("generate", "--out", out);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /Using the embedded Kubernetes 1\.36 spec/);
    assert.match(r.stdout, /groups: +23\nresources: +95\ndefinitions: +771\n/);
    assert.match(r.stdout, /time: +\d+\.\d+ s/);
    assert.deepEqual(readdirSync(out).sort(), [
      "client.d.ts",
      "components.d.ts",
      "index.ts",
      "names.d.ts",
      "openapi.d.ts",
      "queries.d.ts",
      "raw.ts",
      "registry.ts",
      "schemas.ts",
    ]);
  });

  it("reads --from-file, gzipped too, and names the output after the spec's version", async () => {
    const gz = file("mini.json.gz", gzipSync(JSON.stringify(miniSpec())));
    const cwd = process.cwd();
    process.chdir(tmp);
    try {
      const r = await runCli("generate", "--from-file", gz);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, /info\.version v1\.30\.1 \(Kubernetes 1\.30\)/);
      assert.match(r.stdout, /wrote: +generated\/kubernetes-1\.30 /);
      const registry = readFileSync(join(tmp, "generated/kubernetes-1.30/registry.ts"), "utf8");
      assert.match(registry, /"plural": "things"/);
    } finally {
      process.chdir(cwd);
    }
  });

  describe("--from-url", () => {
    let server: Server;
    let base: string;
    before(async () => {
      const body = Buffer.from(JSON.stringify(miniSpec()));
      server = createServer((req, res) => {
        if (req.url === "/openapi/v2") {
          res.writeHead(200, { "content-type": "application/json", "content-length": body.length });
          res.end(body);
        } else {
          res.writeHead(404).end("not found");
        }
      });
      await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(() => server.close());

    it("downloads the spec with a progress line", async () => {
      const r = await runCli("generate", "--from-url", `${base}/openapi/v2`, "--out", join(tmp, "url"));
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stderr, /downloading http:\/\/127\.0\.0\.1:\d+\/openapi\/v2: 0\.0 MB of 0\.0 MB/);
      assert.match(r.stdout, /source: +http:\/\/127\.0\.0\.1/);
    });

    it("reports an HTTP error status", async () => {
      const r = await runCli("generate", "--from-url", `${base}/missing`, "--out", join(tmp, "url404"));
      assert.equal(r.code, 1);
      assert.match(r.stderr, /\/missing: HTTP 404\n$/);
    });
  });
});

describe("kubefetch generate: bad input exits 1 with one line saying what and where", () => {
  it("a file that is not JSON", async () => {
    const p = file("notjson.json", "hello: world");
    const r = await runCli("generate", "--from-file", p, "--out", join(tmp, "x1"));
    assert.equal(r.code, 1);
    assertOneLine(r.stderr, new RegExp(`${p}: not JSON: Unexpected token`));
  });

  it("JSON that is neither Swagger 2.0 nor OpenAPI 3", async () => {
    const p = file("other.json", JSON.stringify({ asyncapi: "2.0.0" }));
    const r = await runCli("generate", "--from-file", p, "--out", join(tmp, "x2"));
    assert.equal(r.code, 1);
    assertOneLine(
      r.stderr,
      /other\.json: not a Swagger 2\.0 or OpenAPI 3 document \(no swagger or openapi field\)/,
    );
  });

  it("a $ref that resolves nowhere, with its JSON pointer", async () => {
    const spec = miniSpec();
    const paths = spec.paths as Record<string, { get: { responses: Record<string, { schema: unknown }> } }>;
    (paths["/api/v1/things"] as { get: { responses: Record<string, { schema: unknown }> } }).get.responses[
      "200"
    ] = {
      schema: { $ref: "#/definitions/io.k8s.Nope" },
    };
    const p = file("badref.json", JSON.stringify(spec));
    const r = await runCli("generate", "--from-file", p, "--out", join(tmp, "x3"));
    assert.equal(r.code, 1);
    assertOneLine(
      r.stderr,
      /badref\.json#\/paths\/~1api~1v1~1things\/get\/responses\/200\/schema\/\$ref: \$ref #\/definitions\/io\.k8s\.Nope resolves nowhere/,
    );
  });

  it("an unreadable path", async () => {
    const r = await runCli("generate", "--from-file", join(tmp, "missing.json"), "--out", join(tmp, "x4"));
    assert.equal(r.code, 1);
    assertOneLine(r.stderr, /missing\.json: cannot read \(ENOENT\)/);
  });

  it("an unreachable URL", async () => {
    const port = await new Promise<number>((resolve) => {
      const s = createServer().listen(0, "127.0.0.1", () => {
        const p = (s.address() as AddressInfo).port;
        s.close(() => resolve(p));
      });
    });
    const r = await runCli(
      "generate",
      "--from-url",
      `http://127.0.0.1:${port}/openapi/v2`,
      "--out",
      join(tmp, "x5"),
    );
    assert.equal(r.code, 1);
    assert.match(r.stderr, /http:\/\/127\.0\.0\.1:\d+\/openapi\/v2: unreachable: ECONNREFUSED/);
  });

  it("an output folder that cannot be written", async () => {
    const blocker = file("blocker", "a file, not a folder");
    const r = await runCli("generate", "--out", join(blocker, "out"));
    assert.equal(r.code, 1);
    assertOneLine(r.stderr, /blocker\/out: cannot write output \(ENOTDIR\)/);
  });

  it("an output path that is a file, or a folder kubefetch did not make, is left alone", async () => {
    const f = file("plain-file", "keep me");
    const r1 = await runCli("generate", "--out", f);
    assert.equal(r1.code, 1);
    assertOneLine(r1.stderr, /plain-file: exists and is not a folder/);
    assert.equal(readFileSync(f, "utf8"), "keep me");
    const dir = join(tmp, "src-like");
    mkdirSync(dir);
    writeFileSync(join(dir, "index.ts"), "export const mine = 1;\n");
    const r2 = await runCli("generate", "--out", dir);
    assert.equal(r2.code, 1);
    assert.match(r2.stderr, /not empty and was not generated by kubefetch/);
    assert.equal(readFileSync(join(dir, "index.ts"), "utf8"), "export const mine = 1;\n");
  });

  it("leaves an earlier output untouched and nothing half-written when input is bad", async () => {
    const out = join(tmp, "keep");
    assert.equal((await runCli("generate", "--out", out)).code, 0);
    const before = snapshot(out);
    const bad = file("bad2.json", "{");
    assert.equal((await runCli("generate", "--from-file", bad, "--out", out)).code, 1);
    assert.deepEqual(snapshot(out), before);
    assert.deepEqual(
      readdirSync(tmp).filter((f) => f.includes(".tmp-") || f.includes(".old-")),
      [],
    );
  });
});

describe("kubefetch: usage", () => {
  it("--help prints the usage and exits 0", async () => {
    const r = await runCli("generate", "--help");
    assert.equal(r.code, 0);
    assert.match(r.stdout, /--from-file PATH/);
    assert.match(r.stdout, /--from-cluster/);
  });
  for (const args of [
    [],
    ["frobnicate"],
    ["generate", "--bogus"],
    ["generate", "--from-file", "a", "--from-url", "b"],
  ]) {
    it(`exits 2 for: kubefetch ${args.join(" ")}`, async () => {
      const r = await runCli(...args);
      assert.equal(r.code, 2);
      assert.notEqual(r.stderr, "");
    });
  }

  it("the installed bin runs the built CLI", async () => {
    const r = await promisify(execFile)(process.execPath, [join(repoRoot, "bin/kubefetch.js"), "--help"]);
    assert.match(r.stdout, /Usage: kubefetch generate/);
  });
});
