// The parts of startControlPlane that need no etcd or kube-apiserver: finding and checking the
// binaries (with stand-in scripts), the CRD files, the command lines, log redaction.
import assert from "node:assert/strict";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, it } from "node:test";
import {
  childEnv,
  parseEtcdVersion,
  parseKubernetesVersion,
  resolveBinaries,
  versionMatches,
} from "../../src/testing/control-plane/binaries.js";
import { ControlPlaneError, startControlPlane } from "../../src/testing/control-plane/control-plane.js";
import { apiserverArgs, etcdArgs } from "../../src/testing/control-plane/flags.js";
import { isBindRace } from "../../src/testing/control-plane/ports.js";
import { logTail, redact } from "../../src/testing/control-plane/processes.js";
import { readCrdFiles } from "../../src/testing/crd-files.js";

const fixtures = join(import.meta.dirname, "../fixtures/control-plane");
const work = mkdtempSync(join(tmpdir(), "kubefetch-cp-unit-"));
after(() => rmSync(work, { recursive: true, force: true }));

let n = 0;
/** A folder of stand-in binaries: shell scripts printing the given --version output. */
function assets(scripts: Record<string, string>): string {
  const dir = join(work, `assets-${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [name, body] of Object.entries(scripts)) {
    const file = join(dir, name);
    writeFileSync(file, `#!/bin/sh\n${body}\n`);
    chmodSync(file, 0o755);
  }
  return dir;
}

const apiserver = (v: string) => `echo "Kubernetes ${v}"`;
const etcd = (v: string) => `echo "etcd Version: ${v}"; echo "Git SHA: x"`;

function rejectsWith(reason: string, pattern: RegExp) {
  return (e: unknown) => {
    assert.ok(e instanceof ControlPlaneError, String(e));
    assert.equal(e.reason, reason);
    assert.match(e.message, pattern);
    return true;
  };
}

describe("binary versions", () => {
  it("reads kube-apiserver's `Kubernetes vX.Y.Z` and etcd's `etcd Version: X.Y.Z`", () => {
    assert.deepEqual(parseKubernetesVersion("Kubernetes v1.37.2\n"), {
      text: "v1.37.2",
      major: 1,
      minor: 37,
      patch: 2,
    });
    assert.equal(parseKubernetesVersion("Kubernetes v1.20.2-dirty")?.minor, 20);
    assert.equal(parseEtcdVersion("etcd Version: 3.4.23\nGit SHA: x")?.text, "3.4.23");
    assert.equal(parseKubernetesVersion("etcd Version: 3.4.23"), undefined);
  });
  it("kubernetesVersion 1.37 matches any 1.37 patch, 1.37.2 only that one, with or without v", () => {
    const v = { text: "v1.37.2", major: 1, minor: 37, patch: 2 };
    assert.equal(versionMatches(v, "1.37"), true);
    assert.equal(versionMatches(v, "v1.37.2"), true);
    assert.equal(versionMatches(v, "1.37.1"), false);
    assert.equal(versionMatches(v, "1.3"), false);
    assert.equal(versionMatches(v, "1"), false);
    assert.equal(versionMatches(v, "latest"), false);
  });
});

describe("finding the binaries", () => {
  it("takes etcd, kube-apiserver and kubectl from KUBEBUILDER_ASSETS", async () => {
    const a = assets({ etcd: etcd("3.5.0"), "kube-apiserver": apiserver("v1.30.1"), kubectl: "true" });
    const r = await resolveBinaries({ env: { KUBEBUILDER_ASSETS: a } });
    assert.equal(r.etcd, join(a, "etcd"));
    assert.equal(r.kubeApiserver, join(a, "kube-apiserver"));
    assert.equal(r.kubectl, join(a, "kubectl"));
    assert.equal(r.kubernetesVersion.text, "v1.30.1");
    assert.equal(r.etcdVersion.text, "3.5.0");
  });
  it("the assets option overrides KUBEBUILDER_ASSETS, TEST_ASSET_* override the folder, binaries override both", async () => {
    const a = assets({ etcd: etcd("3.5.0"), "kube-apiserver": apiserver("v1.30.1") });
    const b = assets({ etcd: etcd("3.6.0"), "kube-apiserver": apiserver("v1.31.0") });
    const byOption = await resolveBinaries({ env: { KUBEBUILDER_ASSETS: "/nowhere" }, assets: a });
    assert.equal(byOption.kubeApiserver, join(a, "kube-apiserver"));
    const byVar = await resolveBinaries({
      env: { KUBEBUILDER_ASSETS: a, TEST_ASSET_KUBE_APISERVER: join(b, "kube-apiserver") },
    });
    assert.equal(byVar.kubernetesVersion.text, "v1.31.0");
    assert.equal(byVar.etcdVersion.text, "3.5.0");
    const byPath = await resolveBinaries({
      env: { TEST_ASSET_ETCD: join(a, "etcd") },
      assets: a,
      binaries: { etcd: join(b, "etcd") },
    });
    assert.equal(byPath.etcdVersion.text, "3.6.0");
  });
  it("the processes get the environment without ETCD_* (etcd refuses a variable that shadows a flag)", () => {
    assert.deepEqual(childEnv({ PATH: "/bin", ETCD_NAME: "x", ETCD_DATA_DIR: "/y", HOME: "/h" }), {
      PATH: "/bin",
      HOME: "/h",
    });
  });
  it("no folder and no paths: BinaryMissing naming KUBEBUILDER_ASSETS", async () => {
    await assert.rejects(resolveBinaries({ env: {} }), rejectsWith("BinaryMissing", /KUBEBUILDER_ASSETS/));
  });
  it("a folder without kube-apiserver: BinaryMissing naming the path", async () => {
    const a = assets({ etcd: etcd("3.5.0") });
    await assert.rejects(
      resolveBinaries({ env: { KUBEBUILDER_ASSETS: a } }),
      rejectsWith("BinaryMissing", /kube-apiserver: no binary at .*kube-apiserver \(KUBEBUILDER_ASSETS\)/),
    );
  });
  it("a binary that is not executable: BinaryMissing saying so", async () => {
    const a = assets({ etcd: etcd("3.5.0"), "kube-apiserver": apiserver("v1.30.1") });
    chmodSync(join(a, "etcd"), 0o644);
    await assert.rejects(
      resolveBinaries({ env: { KUBEBUILDER_ASSETS: a } }),
      rejectsWith("BinaryMissing", /etcd: .* is not executable/),
    );
  });
  it("a folder without kubectl has no kubectl; a kubectl path given that is missing is an error", async () => {
    const a = assets({ etcd: etcd("3.5.0"), "kube-apiserver": apiserver("v1.30.1") });
    assert.equal((await resolveBinaries({ env: { KUBEBUILDER_ASSETS: a } })).kubectl, undefined);
    await assert.rejects(
      resolveBinaries({ env: { KUBEBUILDER_ASSETS: a }, binaries: { kubectl: join(a, "kubectl") } }),
      rejectsWith("BinaryMissing", /kubectl: no binary/),
    );
  });
  it("a kube-apiserver older than 1.20 is refused (WrongVersion)", async () => {
    const a = assets({ etcd: etcd("3.5.0"), "kube-apiserver": apiserver("v1.19.16") });
    await assert.rejects(
      resolveBinaries({ env: { KUBEBUILDER_ASSETS: a } }),
      rejectsWith("WrongVersion", /v1\.19\.16: kube-apiserver 1\.20 or later is needed/),
    );
  });
  it("a kube-apiserver of another version than kubernetesVersion is refused (WrongVersion)", async () => {
    const a = assets({ etcd: etcd("3.5.0"), "kube-apiserver": apiserver("v1.30.1") });
    await assert.rejects(
      resolveBinaries({ env: { KUBEBUILDER_ASSETS: a }, kubernetesVersion: "1.31" }),
      rejectsWith("WrongVersion", /is v1\.30\.1, not the kubernetesVersion asked for \(1\.31\)/),
    );
  });
  it("a binary whose --version says something else is refused (WrongVersion)", async () => {
    const a = assets({ etcd: apiserver("v1.30.1"), "kube-apiserver": etcd("3.5.0") });
    await assert.rejects(
      resolveBinaries({ env: { KUBEBUILDER_ASSETS: a } }),
      rejectsWith("WrongVersion", /is it kube-apiserver\?/),
    );
  });
  it("an etcd other than 3.x is refused (WrongVersion)", async () => {
    const a = assets({ etcd: etcd("2.3.8"), "kube-apiserver": apiserver("v1.30.1") });
    await assert.rejects(
      resolveBinaries({ env: { KUBEBUILDER_ASSETS: a } }),
      rejectsWith("WrongVersion", /etcd 2\.3\.8: kube-apiserver needs etcd 3/),
    );
  });
  it("a --version that fails is WrongVersion with its output", async () => {
    const a = assets({ etcd: "echo broken >&2; exit 3", "kube-apiserver": apiserver("v1.30.1") });
    await assert.rejects(
      resolveBinaries({ env: { KUBEBUILDER_ASSETS: a } }),
      rejectsWith("WrongVersion", /--version` failed \(exited with code 3\): broken$/),
    );
  });
});

describe("CRD files", () => {
  it("reads a CRD file; a folder contributes its .yaml/.yml/.json files in name order", async () => {
    const [one] = await readCrdFiles([join(fixtures, "widgets.yaml")]);
    assert.equal(one?.object.metadata.name, "widgets.kubefetch.test");
    const dir = join(work, "crd-folder");
    mkdirSync(dir, { recursive: true });
    const crd = (name: string) => ({
      apiVersion: "apiextensions.k8s.io/v1",
      kind: "CustomResourceDefinition",
      metadata: { name: `${name}.x.test` },
      spec: { group: "x.test", names: { plural: name }, versions: [{ name: "v1", served: true }] },
    });
    writeFileSync(join(dir, "b.json"), JSON.stringify(crd("bs")));
    writeFileSync(
      join(dir, "a.yml"),
      `---\n${JSON.stringify(crd("as"))}\n---\n---\n${JSON.stringify(crd("cs"))}\n`,
    );
    writeFileSync(join(dir, "notes.txt"), "kind: ConfigMap");
    const got = await readCrdFiles([dir]);
    assert.deepEqual(
      got.map((d) => d.object.metadata.name),
      ["as.x.test", "cs.x.test", "bs.x.test"],
    );
    assert.match(got[1]?.source ?? "", /a\.yml \(document 3\)$/);
  });
  it("a file holding a ConfigMap is refused, naming the file and the kind", async () => {
    const file = join(fixtures, "configmap.yaml");
    await assert.rejects(
      readCrdFiles([file]),
      rejectsWith(
        "CrdFailed",
        /configmap\.yaml: holds a ConfigMap; crds files may hold CustomResourceDefinitions only/,
      ),
    );
  });
  it("a v1beta1 CRD, a missing path, an empty folder, bad YAML and a CRD defined twice are refused", async () => {
    const f = (name: string, text: string) => {
      const p = join(work, name);
      writeFileSync(p, text);
      return p;
    };
    const v1beta1 = f(
      "old.yaml",
      "apiVersion: apiextensions.k8s.io/v1beta1\nkind: CustomResourceDefinition\n",
    );
    await assert.rejects(readCrdFiles([v1beta1]), rejectsWith("CrdFailed", /old\.yaml: .*v1beta1/));
    await assert.rejects(
      readCrdFiles([join(work, "nope")]),
      rejectsWith("CrdFailed", /no such file or folder/),
    );
    const empty = join(work, "empty");
    mkdirSync(empty, { recursive: true });
    await assert.rejects(readCrdFiles([empty]), rejectsWith("CrdFailed", /holds no \.yaml/));
    const bad = f("bad.yaml", "kind: [unclosed\n");
    await assert.rejects(readCrdFiles([bad]), rejectsWith("CrdFailed", /bad\.yaml: not valid YAML/));
    const widgets = join(fixtures, "widgets.yaml");
    await assert.rejects(
      readCrdFiles([widgets, widgets]),
      rejectsWith("CrdFailed", /widgets\.kubefetch\.test is also defined in/),
    );
  });
});

describe("the command lines", () => {
  const layout = {
    etcdDataDir: "/d/etcd",
    etcdPort: 1001,
    etcdPeerPort: 1002,
    apiPort: 1003,
    pki: {
      ca: "/ca",
      servingCert: "/s.crt",
      servingKey: "/s.key",
      saPublic: "/sa.pub",
      saPrivate: "/sa.key",
    },
  };
  const v = (minor: number) => ({ text: `v1.${minor}.0`, major: 1, minor, patch: 0 });
  it("kube-apiserver before 1.24 gets --insecure-port=0, later ones do not (the flag is gone)", () => {
    assert.ok(apiserverArgs(layout, v(20)).includes("--insecure-port=0"));
    assert.ok(!apiserverArgs(layout, v(37)).some((a) => a.startsWith("--insecure-port")));
  });
  it("kube-apiserver listens on 127.0.0.1 only, with RBAC, and the caller's flags come last", () => {
    const args = apiserverArgs(layout, v(37), ["--authorization-mode=RBAC,Node"]);
    assert.ok(args.includes("--bind-address=127.0.0.1"));
    assert.ok(args.includes("--secure-port=1003"));
    assert.ok(args.includes("--etcd-servers=http://127.0.0.1:1001"));
    assert.equal(args.at(-1), "--authorization-mode=RBAC,Node");
    assert.ok(args.indexOf("--authorization-mode=RBAC") < args.length - 1);
  });
  it("etcd gets --log-level from 3.4 and --unsafe-no-fsync from 3.5", () => {
    const e = (minor: number) => etcdArgs(layout, { text: `3.${minor}.0`, major: 3, minor, patch: 0 });
    assert.ok(!e(3).includes("--log-level=warn"));
    assert.ok(e(4).includes("--log-level=warn") && !e(4).includes("--unsafe-no-fsync=true"));
    assert.ok(e(5).includes("--unsafe-no-fsync=true"));
    assert.ok(e(5).includes("--listen-client-urls=http://127.0.0.1:1001"));
  });
});

describe("logs in error messages", () => {
  it("PEM blocks, bearer tokens and token=/password= values are redacted", () => {
    const text = [
      "-----BEGIN PRIVATE KEY-----",
      "MIGHAgEAMBMGByqGSM49",
      "-----END PRIVATE KEY-----",
      "Authorization: Bearer abc.def.ghi",
      'flag --token="s3cr3t" and password=hunter2, ok',
    ].join("\n");
    const out = redact(text);
    for (const secret of ["MIGHAgEAMBMGByqGSM49", "abc.def.ghi", "s3cr3t", "hunter2"]) {
      assert.ok(!out.includes(secret), `${secret} in ${out}`);
    }
    assert.match(out, /ok$/);
  });
  it("the tail is the last lines, without blank ones", async () => {
    const f = join(work, "x.log");
    writeFileSync(f, `${Array.from({ length: 30 }, (_, i) => `line ${i}`).join("\n")}\n\n`);
    const tail = await logTail(f, 3);
    assert.equal(tail, "line 27\nline 28\nline 29");
  });
  it("Go's bind error is recognised as a port race", () => {
    assert.equal(isBindRace("listen tcp 127.0.0.1:2379: bind: address already in use"), true);
    assert.equal(isBindRace("open /d/etcd: permission denied"), false);
  });
});

describe("a process that exits during start-up", () => {
  it("rejects with StartFailed and its log's last lines (redacted), and removes the folder it made", async () => {
    const a = assets({
      etcd: `case "$1" in --version) echo "etcd Version: 3.5.0";; *) echo "password=hunter2"; echo "etcd: fatal: cannot open database" >&2; exit 2;; esac`,
      "kube-apiserver": apiserver("v1.30.1"),
    });
    // os.tmpdir() reads TMPDIR at each call: a private one shows what this start left.
    const tmp = join(work, "tmp");
    mkdirSync(tmp);
    const saved = process.env.TMPDIR;
    process.env.TMPDIR = tmp;
    const err = await startControlPlane({ env: { KUBEBUILDER_ASSETS: a } })
      .then(
        () => assert.fail("started"),
        (e: unknown) => e,
      )
      .finally(() => {
        if (saved === undefined) delete process.env.TMPDIR;
        else process.env.TMPDIR = saved;
      });
    assert.ok(err instanceof ControlPlaneError);
    assert.equal(err.reason, "StartFailed");
    assert.equal(err.component, "etcd");
    assert.match(err.message, /exited during start-up \(code 2\)/);
    assert.match(err.logTail ?? "", /cannot open database/);
    assert.ok(!err.message.includes("hunter2"));
    assert.deepEqual(readdirSync(tmp), []);
  });
  it("with a dir given, the folder and its logs stay", async () => {
    const a = assets({
      etcd: `case "$1" in --version) echo "etcd Version: 3.5.0";; *) echo "etcd: fatal" >&2; exit 2;; esac`,
      "kube-apiserver": apiserver("v1.30.1"),
    });
    const dir = join(work, "kept");
    await assert.rejects(startControlPlane({ env: { KUBEBUILDER_ASSETS: a }, dir }), /its log: .*etcd\.log/);
    assert.ok(existsSync(join(dir, "etcd.log")));
    assert.ok(existsSync(join(dir, "pki", "ca.crt")));
  });
  it("a dir holding a previous run's etcd data is refused", async () => {
    const a = assets({ etcd: etcd("3.5.0"), "kube-apiserver": apiserver("v1.30.1") });
    const dir = join(work, "used");
    mkdirSync(join(dir, "etcd"), { recursive: true });
    await assert.rejects(
      startControlPlane({ env: { KUBEBUILDER_ASSETS: a }, dir }),
      rejectsWith("StartFailed", /already holds etcd data/),
    );
  });
});
