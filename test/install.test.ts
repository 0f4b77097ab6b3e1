// What a service gets from `npm install kubefetch` (the packed tarball, in an empty project
// outside the repository so nothing resolves from the repo's own node_modules), what
// publint and arethetypeswrong make of that tarball, what every TypeScript module-resolution
// setup makes of it, and CommonJS services (Jest's runtime, a NestJS build) using it.
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import { promisify } from "node:util";
import { publint } from "publint";
import { formatMessage } from "publint/utils";
import { cachedInstall, emptyProject, measureTree, npmInstall, packInto } from "./helpers/pack-install.js";
import { repoRoot } from "./helpers/paths.js";

const run = promisify(execFile);
const base = mkdtempSync(join(tmpdir(), "kubefetch-install-"));
after(() => rmSync(base, { recursive: true, force: true }));
const app = emptyProject(join(base, "app"));
const bin = join(app, "node_modules/kubefetch/bin/kubefetch.js");
/** The tarball `npm pack` made, set by the first describe's before(). */
let tarball = "";

/** Exit code, stdout and stderr of a child that may fail. */
async function attempt(cmd: string, args: string[], cwd: string) {
  try {
    const r = await run(cmd, args, { cwd, maxBuffer: 16 << 20 });
    return { code: 0, stdout: r.stdout, stderr: r.stderr };
  } catch (err) {
    const e = err as { code?: number; stdout?: string; stderr?: string };
    return { code: e.code ?? -1, stdout: e.stdout ?? "", stderr: e.stderr ?? "" };
  }
}

describe("npm install kubefetch into an empty project", () => {
  before(async () => {
    tarball = await packInto(base);
    console.log(`tarball: ${(statSync(tarball).size / 1e3).toFixed(0)} kB`);
    await npmInstall(app, [tarball]);
  });

  it("installs the runtime only: no compiler, no generator, no zod; <= 15 MB in <= 8 packages", () => {
    const m = measureTree(join(app, "node_modules"));
    const mb = m.bytes / 1e6;
    console.log(`runtime install: ${mb.toFixed(1)} MB, ${m.packages} packages: ${m.names.join(", ")}`);
    for (const name of m.names) {
      assert.ok(!/^(typescript|openapi-typescript|zod)$|^@redocly\//.test(name), `${name} was installed`);
    }
    assert.ok(m.packages <= 8, `${m.packages} packages: ${m.names.join(", ")}`);
    assert.ok(mb <= 15, `${mb.toFixed(1)} MB`);
  });

  it('import "kubefetch" and the default generated client call a server', async () => {
    writeFileSync(
      join(app, "get-pod.mjs"),
      `import { createServer } from "node:http";
       import { loadConfig } from "kubefetch";
       import { createClient } from "kubefetch/generated/kubernetes-1.36";
       const server = createServer((req, res) => {
         res.setHeader("content-type", "application/json");
         res.end(JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, seen: req.method + " " + req.url }));
       });
       await new Promise((r) => server.listen(0, "127.0.0.1", r));
       const kube = createClient(await loadConfig({ server: "http://127.0.0.1:" + server.address().port }));
       const pod = await kube.core.v1.pods.get({ namespace: "default", name: "web" });
       console.log(JSON.stringify({ kind: pod.kind, seen: pod.seen }));
       server.close();`,
    );
    const r = await run(process.execPath, ["get-pod.mjs"], { cwd: app, timeout: 30_000 });
    assert.deepEqual(JSON.parse(r.stdout), { kind: "Pod", seen: "GET /api/v1/namespaces/default/pods/web" });
  });

  it("kubefetch generate without its tools: exit 2, one line naming them and the install command", async () => {
    const r = await attempt(process.execPath, [bin, "generate", "--out", "kube"], app);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      r.stderr,
      "kubefetch generate: generating needs typescript and openapi-typescript, not installed: " +
        "run npm install -D typescript@^5.9.3 openapi-typescript@^7.13.0\n",
    );
    assert.equal(existsSync(join(app, "kube")), false);
  });

  it("after the command it names, kubefetch generate writes a client", async () => {
    const r = await attempt(process.execPath, [bin, "generate", "--out", "kube"], app);
    const command = /run (npm install -D .*)$/.exec(r.stderr.trim())?.[1];
    assert.ok(command, r.stderr);
    await npmInstall(app, command.split(" ").slice(3), ["-D"]);
    const g = await attempt(process.execPath, [bin, "generate", "--out", "kube"], app);
    assert.equal(g.code, 0, g.stderr);
    assert.match(g.stdout, /resources: +95\n/);
    assert.ok(existsSync(join(app, "kube/index.ts")));
  });
});

describe("publint and arethetypeswrong on the packed tarball", () => {
  it("publint reports nothing, suggestions included", async () => {
    const data = readFileSync(tarball);
    const { messages, pkg } = await publint({
      pack: { tarball: data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength) },
    });
    assert.deepEqual(
      messages.map((m) => `${m.type}: ${formatMessage(m, pkg, { color: false })}`),
      [],
    );
  });

  it("arethetypeswrong reports nothing for any entry point, in every resolution (strict profile)", async () => {
    const cli = createRequire(import.meta.url).resolve("@arethetypeswrong/cli/package.json");
    const attw = join(
      dirname(cli),
      (JSON.parse(readFileSync(cli, "utf8")) as { bin: { attw: string } }).bin.attw,
    );
    const r = await attempt(process.execPath, [attw, "--format", "json", tarball], base);
    const { analysis } = JSON.parse(r.stdout) as {
      analysis: { problems: unknown[]; entrypoints: Record<string, unknown> };
    };
    assert.deepEqual(analysis.problems, []);
    assert.equal(r.code, 0, r.stderr);
    // It found the entry points from exports: an empty list would also report nothing.
    const pkg = JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as { exports: object };
    assert.deepEqual(Object.keys(analysis.entrypoints), Object.keys(pkg.exports));
  });
});

// A service file as people write it, in each module-resolution setup. The two
// expect-error directives fail the check if a type degrades to `any` (an unresolved import
// under skipLibCheck does that silently).
const SERVICE = `import { isNotFound, loadConfig } from "kubefetch";
import { type coreV1, createClient } from "kubefetch/generated/kubernetes-1.36";

export async function firstImage(): Promise<string | undefined> {
  const kube = createClient(await loadConfig());
  try {
    const pod = await kube.core.v1.pods.get({ namespace: "default", name: "web" });
    // @ts-expect-error an image is a string
    const wrong: number | undefined = pod.spec?.containers[0]?.image;
    return wrong === undefined ? pod.spec?.containers[0]?.image : undefined;
  } catch (err) {
    if (isNotFound(err)) return undefined;
    throw err;
  }
}
export const pod: coreV1.Pod = { apiVersion: "v1", kind: "Pod" };
// @ts-expect-error a Pod's kind is the literal "Pod"
export const notAPod: coreV1.Pod = { apiVersion: "v1", kind: "Service" };
`;

/** name, the folder's package type, compilerOptions. */
const SETUPS: [string, "commonjs" | "module", Record<string, string>][] = [
  // module commonjs alone: TS 5.9 resolves as node10 (main/types, typesVersions for subpaths);
  // TS 7 has no node10 and resolves it as bundler.
  ["node10 (module commonjs, its default)", "commonjs", { module: "commonjs" }],
  ["node16", "module", { module: "node16", moduleResolution: "node16" }],
  ["nodenext", "module", { module: "nodenext", moduleResolution: "nodenext" }],
  // A CommonJS package on nodenext, as NestJS 11 sets up: the "require" types.
  ["nodenext-cjs (a CommonJS package)", "commonjs", { module: "nodenext", moduleResolution: "nodenext" }],
  ["bundler", "module", { module: "preserve", moduleResolution: "bundler" }],
];

describe("every TypeScript setup resolves kubefetch and kubefetch/generated/kubernetes-1.36", () => {
  const ts7 = join(repoRoot, "bench/competitors/node_modules/typescript/bin/tsc");
  // TS 7 comes with bench/competitors, which `npm test` installs and `npm run test:unit`
  // (scripts/test.mjs unit) does not: there the TS 7 rows skip unless it is installed already.
  const noTs7 =
    process.env.KUBEFETCH_TEST_MODE === "unit" && !existsSync(ts7)
      ? "no TypeScript 7: unit mode does not install bench/competitors (npm test does)"
      : false;
  /** name, tsc, and why the row skips: TS 5.9 never (the first describe installs it, after these rows are defined). */
  const compilers: [string, string, string | false][] = [
    ["TS 5.9", join(app, "node_modules/typescript/bin/tsc"), false],
    ["TS 7", ts7, noTs7],
  ];
  before(async () => {
    // The service's own dev dependencies: the compiler (5.9, installed above) and Node's types.
    await npmInstall(app, ["@types/node@20"], ["-D"]);
  });
  for (const [name, type, options] of SETUPS) {
    for (const [ts, tsc, skip] of compilers) {
      it(`${name}, ${ts}`, { skip }, async () => {
        assert.ok(existsSync(tsc), `${tsc} missing (npm ci --prefix bench/competitors)`);
        const version = JSON.parse(readFileSync(join(tsc, "../../package.json"), "utf8")).version as string;
        assert.match(version, ts === "TS 7" ? /^7\./ : /^5\.9\./);
        const dir = join(app, `${name.split(" ")[0]}-${ts.replace(/\W/g, "")}`);
        mkdirSync(dir, { recursive: true });
        writeFileSync(join(dir, "package.json"), JSON.stringify({ type }));
        writeFileSync(join(dir, "service.ts"), SERVICE);
        const compilerOptions = {
          ...options,
          target: "es2022",
          strict: true,
          noEmit: true,
          skipLibCheck: true,
        };
        writeFileSync(
          join(dir, "tsconfig.json"),
          JSON.stringify({ compilerOptions: { ...compilerOptions, types: ["node"] }, files: ["service.ts"] }),
        );
        const r = await attempt(process.execPath, [tsc, "-p", dir], dir);
        assert.equal(r.code, 0, `${r.stdout}${r.stderr}`);
      });
    }
  }
});

// CommonJS services: Jest's module runtime, which loads every file as CommonJS and (on Node
// 20, 22) cannot require() an ES module, and NestJS, whose projects compile to CommonJS. An
// ESM-only package breaks both (as client-node 1.0 did: kubernetes-client/javascript#2219).
// Each is a folder of the app with a package.json of no "type", as such a project has.
describe("CommonJS services use the package", () => {
  /** Jest, Node's types and zod, installed once into the cache (test/fixtures/cjs-consumers). */
  let tools = "";
  /** The entry points with code: "", "/schemas", ... (openapi is types only). */
  const SUBPATHS = Object.entries(
    (
      JSON.parse(readFileSync(join(repoRoot, "package.json"), "utf8")) as {
        exports: Record<string, string | { require?: { default?: string } }>;
      }
    ).exports,
  )
    .filter(([, e]) => typeof e === "object" && e.require?.default)
    .map(([sub]) => sub.slice(1));
  before(async () => {
    tools = await cachedInstall(join(repoRoot, "test/fixtures/cjs-consumers"));
  });
  const cjsProject = (name: string, fields: object = {}) => {
    const dir = join(app, name);
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, "package.json"), JSON.stringify({ name, private: true, ...fields }));
    return dir;
  };
  // A Kubernetes API server's two answers the tests need: a Pod, and a 404 Status.
  const SERVER = `const { createServer } = require("node:http");
function apiServer() {
  const server = createServer((req, res) => {
    res.setHeader("content-type", "application/json");
    if (req.url.endsWith("/missing")) {
      res.statusCode = 404;
      res.end(JSON.stringify({ kind: "Status", apiVersion: "v1", status: "Failure", reason: "NotFound", code: 404 }));
    } else res.end(JSON.stringify({ apiVersion: "v1", kind: "Pod", metadata: { name: "web" }, seen: req.method + " " + req.url }));
  });
  return new Promise((r) => server.listen(0, "127.0.0.1", () => r(server)));
}
`;

  it("Jest, its default runtime: require() of kubefetch and the generated client calls a server", async () => {
    // zod, the optional peer the schemas subpaths load, from the tools folder: the app has none.
    const dir = cjsProject("jest-service", { jest: { modulePaths: [join(tools, "node_modules")] } });
    writeFileSync(
      join(dir, "pods.test.js"),
      `${SERVER}
const { KubeError, isNotFound, loadConfig } = require("kubefetch");
const { createClient } = require("kubefetch/generated/kubernetes-1.36");
let server;
beforeAll(async () => { server = await apiServer(); });
afterAll(() => new Promise((r) => server.close(r)));
test("gets a pod; a missing one is the KubeError of the root entry point", async () => {
  const kube = createClient(await loadConfig({ server: "http://127.0.0.1:" + server.address().port }));
  const pod = await kube.core.v1.pods.get({ namespace: "default", name: "web" });
  expect(pod.seen).toBe("GET /api/v1/namespaces/default/pods/web");
  const err = await kube.core.v1.pods.get({ namespace: "default", name: "missing" }).catch((e) => e);
  expect(err).toBeInstanceOf(KubeError);
  expect(isNotFound(err)).toBe(true);
});
test("every entry point loads", () => {
  for (const sub of ${JSON.stringify(SUBPATHS)}) expect(typeof require("kubefetch" + sub)).toBe("object");
});
`,
    );
    const jest = join(tools, "node_modules/jest/bin/jest.js");
    const r = await attempt(process.execPath, [jest, "--ci", "--no-watchman", "--json"], dir);
    const report = JSON.parse(r.stdout) as { numPassedTests: number; numTotalTests: number };
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual([report.numPassedTests, report.numTotalTests], [2, 2], r.stderr);
  });

  // The tsconfig `nest new` writes: NestJS 10 (module commonjs, so TS resolves as node10)
  // and NestJS 11 (nodenext in a CommonJS package), both with declarations and decorators.
  const NEST: [string, Record<string, unknown>][] = [
    ["NestJS 10: module commonjs", { module: "commonjs", target: "ES2021" }],
    [
      "NestJS 11: module nodenext",
      {
        module: "nodenext",
        moduleResolution: "nodenext",
        resolvePackageJsonExports: true,
        esModuleInterop: true,
        isolatedModules: true,
        target: "ES2023",
      },
    ],
  ];
  for (const [name, options] of NEST) {
    it(`a NestJS-style build (${name}) compiles with tsc to CommonJS and runs on node`, async () => {
      const dir = cjsProject(`nest-${name.split(":")[0]?.replace(/\W/g, "")}`);
      mkdirSync(join(dir, "src"), { recursive: true });
      writeFileSync(
        join(dir, "tsconfig.json"),
        JSON.stringify({
          compilerOptions: {
            ...options,
            declaration: true,
            removeComments: true,
            emitDecoratorMetadata: true,
            experimentalDecorators: true,
            allowSyntheticDefaultImports: true,
            outDir: "./dist",
            skipLibCheck: true,
            strictNullChecks: false,
            noImplicitAny: false,
            // Node's types from the tools folder: the app does not install them.
            typeRoots: [join(tools, "node_modules/@types")],
          },
          include: ["src"],
        }),
      );
      writeFileSync(
        join(dir, "src/kube.service.ts"),
        `import { type KubeConfig, KubeError } from "kubefetch";
import { createClient } from "kubefetch/generated/kubernetes-1.36";

// @nestjs/common's Injectable, as far as the compiled code is concerned.
function Injectable(): ClassDecorator {
  return () => {};
}

@Injectable()
export class KubeService {
  private readonly kube: ReturnType<typeof createClient>;
  constructor(config: KubeConfig) {
    this.kube = createClient(config);
  }
  // Its return type is inferred: the declaration emit must be able to name it.
  pod(name: string) {
    return this.kube.core.v1.pods.get({ namespace: "default", name });
  }
  async exists(name: string): Promise<boolean> {
    try {
      await this.pod(name);
      return true;
    } catch (err) {
      if (err instanceof KubeError && err.status === 404) return false;
      throw err;
    }
  }
}
`,
      );
      writeFileSync(
        join(dir, "src/main.ts"),
        `${SERVER.replace('const { createServer } = require("node:http");', 'import { createServer } from "node:http";')}
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { loadConfig } from "kubefetch";
import { KubeService } from "./kube.service";

async function bootstrap() {
  const server = (await apiServer()) as Server;
  const port = (server.address() as AddressInfo).port;
  const svc = new KubeService(await loadConfig({ server: "http://127.0.0.1:" + port }));
  const pod = (await svc.pod("web")) as { seen?: string };
  console.log(JSON.stringify({ seen: pod.seen, web: await svc.exists("web"), missing: await svc.exists("missing") }));
  server.close();
}
void bootstrap();
`,
      );
      const tsc = createRequire(import.meta.url).resolve("typescript/bin/tsc");
      const c = await attempt(process.execPath, [tsc, "-p", dir], dir);
      assert.equal(c.code, 0, `${c.stdout}${c.stderr}`);
      assert.match(readFileSync(join(dir, "dist/main.js"), "utf8"), /require\("kubefetch"\)/);
      assert.match(
        readFileSync(join(dir, "dist/kube.service.d.ts"), "utf8"),
        /pod\(name: string\): Promise</,
      );
      const r = await attempt(process.execPath, ["dist/main.js"], dir);
      assert.equal(r.code, 0, r.stderr);
      assert.deepEqual(JSON.parse(r.stdout), {
        seen: "GET /api/v1/namespaces/default/pods/web",
        web: true,
        missing: false,
      });
    });
  }
});
