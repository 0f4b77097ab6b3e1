import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, it } from "node:test";
import ts from "typescript";
import {
  blocksOf,
  brokenLinks,
  type FencedBlock,
  headingAnchors,
  linkedDocuments,
} from "../helpers/markdown.js";
import { repoRoot } from "../helpers/paths.js";

describe("README and docs/: links", () => {
  it("every relative link and #anchor resolves to a file and a heading", () => {
    const docs = linkedDocuments();
    assert.ok(docs.includes("docs/streams.md") && docs.includes("CHANGELOG.md"), docs.join(" "));
    const broken = docs.flatMap((f) => brokenLinks(f, readFileSync(join(repoRoot, f), "utf8")));
    assert.deepEqual(broken, []);
  });

  it("the README links every document of docs/", () => {
    const readme = readFileSync(join(repoRoot, "README.md"), "utf8");
    for (const f of linkedDocuments().filter((d) => d.startsWith("docs/"))) {
      assert.ok(readme.includes(`](${f})`), `README.md does not link ${f}`);
    }
  });

  it("a missing file, a missing heading and a missing anchor of the same document are each reported", () => {
    const text = [
      "# Title",
      "## Port-forward and `proxy`",
      "[ok](#port-forward-and-proxy) [ok](docs/streams.md#the-informer) [ok](https://example.com/x#y)",
      "[gone](docs/nowhere.md) [bad](docs/streams.md#no-such-heading) [self](#titel)",
      "[ref]: test/cluster/README.md#two-stacks",
      "`[in code](docs/nowhere.md)`",
      "```sh",
      "echo [in a block](docs/nowhere.md)",
      "```",
    ].join("\n");
    assert.deepEqual(brokenLinks("README.md", text), [
      "README.md: docs/nowhere.md: no such file docs/nowhere.md",
      "README.md: docs/streams.md#no-such-heading: docs/streams.md has no heading #no-such-heading",
      "README.md: #titel: README.md has no heading #titel",
    ]);
    assert.deepEqual(brokenLinks("docs/x.md", "[up](../README.md#install) [out](../../etc/passwd)"), [
      "docs/x.md: ../../etc/passwd: no such file ../etc/passwd",
    ]);
  });

  it("anchors are GitHub's: punctuation dropped, spaces to dashes, repeats numbered", () => {
    assert.deepEqual(
      [
        ...headingAnchors(
          "## kubefetch/controller\n## exec, attach and cp\n## A `b`\n## A b\n```\n# not\n```",
        ),
      ],
      ["kubefetchcontroller", "exec-attach-and-cp", "a-b", "a-b-1"],
    );
  });
});

describe("docs/performance.md: each figure is in bench/RESULTS.md", () => {
  it("quotes bench/RESULTS.md, not numbers of its own", () => {
    const results = readFileSync(join(repoRoot, "bench/RESULTS.md"), "utf8");
    const section = readFileSync(join(repoRoot, "docs/performance.md"), "utf8");
    const figures = [...section.matchAll(/\b\d[\d.,]*(?: ?(?:×|ms|s|MB|req\/s|events\/s))/g)].map(
      (m) => m[0],
    );
    assert.ok(figures.length >= 10, figures.join(" "));
    for (const f of figures) assert.ok(results.includes(f), `${f} is not in bench/RESULTS.md`);
  });
});

// The names the ts blocks use without declaring them: what the prose around each block gives
// ("a client", "your manifest"), typed as a reader's program would have them.
const givens = `
import type { appsV1, createClient } from "kubefetch/generated/kubernetes-1.36";
import type { loadConfig as LoadConfig } from "kubefetch";
declare global {
  const kube: ReturnType<typeof createClient>;
  const loadConfig: typeof LoadConfig;
  const manifest: appsV1.Deployment & { metadata: { name: string } };
  const yamlText: string;
  const bsl: { apiVersion: "velero.io/v1"; kind: "BackupStorageLocation"; metadata: { name: string }; spec: object };
  const namespace: string;
  const name: string;
  const container: string;
  const hostname: string;
  const signal: AbortSignal;
  const caPem: string;
  const token: string;
}
export {};
`;

// A block's "./kube/..." is the folder the reader generated; the embedded client has its shape.
const generatedFolder = (body: string) =>
  body.replace(/"\.\/kube(?:-crds)?\/(index|schemas)\.js"/g, (_, f) =>
    f === "index" ? '"kubefetch/generated/kubernetes-1.36"' : '"kubefetch/generated/kubernetes-1.36/schemas"',
  );

/** Type-checks blocks as modules beside this file, in memory, with the repository's tsconfig. */
function typeErrors(blocks: FencedBlock[]): string[] {
  const config = ts.getParsedCommandLineOfConfigFile(
    join(repoRoot, "tsconfig.json"),
    {},
    {
      ...ts.sys,
      onUnRecoverableConfigFileDiagnostic: (d) =>
        assert.fail(ts.flattenDiagnosticMessageText(d.messageText, "\n")),
    },
  );
  assert.ok(config);
  const files = new Map<string, { text: string; block?: FencedBlock }>();
  files.set(join(import.meta.dirname, "__doc-givens.d.ts"), { text: givens });
  blocks.forEach((block, i) => {
    files.set(join(import.meta.dirname, `__doc-block-${i}.ts`), {
      text: `${generatedFolder(block.body)}\nexport {};\n`,
      block,
    });
  });
  const host = ts.createCompilerHost(config.options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => files.has(f) || fileExists(f);
  host.readFile = (f) => files.get(f)?.text ?? readFile(f);
  host.getSourceFile = (f, lang, ...rest) => {
    const v = files.get(f);
    return v ? ts.createSourceFile(f, v.text, lang) : getSourceFile(f, lang, ...rest);
  };
  const program = ts.createProgram([...files.keys()], config.options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => {
    const where = d.file && files.get(d.file.fileName);
    const message = ts.flattenDiagnosticMessageText(d.messageText, "\n");
    if (!where || d.start === undefined || !d.file) return `${d.file?.fileName ?? "tsc"}: ${message}`;
    const line = d.file.getLineAndCharacterOfPosition(d.start).line;
    return where.block
      ? `${where.block.file}:${where.block.line + 1 + line}: ${message}`
      : `givens:${line + 1}: ${message}`;
  });
}

describe("README and docs/: every ts block type-checks", () => {
  it("each ts block compiles (strict) against the embedded client", { timeout: 120_000 }, () => {
    const blocks = blocksOf("ts");
    assert.ok(
      blocks.some((b) => b.file === "docs/controller.md"),
      "no ts block in docs/controller.md",
    );
    assert.deepEqual(typeErrors(blocks), []);
  });

  it("a block that misuses the client fails, at its line in its document", { timeout: 120_000 }, () => {
    const wrong: FencedBlock = {
      file: "docs/x.md",
      line: 10,
      lang: "ts",
      body: 'const ns = "default";\nawait kube.core.v1.pods.lst({ namespace: ns });\n',
    };
    const errors = typeErrors([wrong]);
    assert.equal(errors.length, 1, errors.join("\n"));
    assert.match(errors[0] as string, /^docs\/x\.md:12: Property 'lst' does not exist/);
  });
});
