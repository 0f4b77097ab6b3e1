// startControlPlane: a real etcd and kube-apiserver for a test, as controller-runtime's envtest
// (pkg/envtest, pkg/internal/testing/controlplane) starts them: binaries from
// KUBEBUILDER_ASSETS, free loopback ports, a temp folder for data, certificates and logs,
// readiness by /readyz, then the CRDs, each waited for until discovery serves it. No
// controllers run: objects are stored and validated, nothing reconciles them (no garbage
// collection, no namespace finalization, no pods scheduled).
//
// HTTP goes through the project's own transport (createTransport of a createConfig), the
// smallest piece that speaks TLS with the client certificate: no client or discovery needed.

import { existsSync, rmSync } from "node:fs";
import { chmod, mkdir, mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import type { KubeConfig } from "../../config/config-value.js";
import { createConfig } from "../../config/create-config.js";
import { sleepOrWake, timeoutSignal } from "../../core/timers.js";
import { createTransport, type Transport } from "../../transport/transport.js";
import { readCrdFiles } from "../crd-files.js";
import { writeAdminKubeconfig } from "./admin-kubeconfig.js";
import { type ControlPlaneBinaries, childEnv, type ResolvedBinaries, resolveBinaries } from "./binaries.js";
import { type ControlPlaneComponent, ControlPlaneError } from "./control-plane-error.js";
import { installCrds } from "./crd-install.js";
import { apiserverArgs, type ControlPlaneLayout, etcdArgs } from "./flags.js";
import { createControlPlanePki } from "./pki.js";
import { freeLoopbackPorts, isBindRace } from "./ports.js";
import { logTail, type ManagedProcess, onProcessExit, startProcess } from "./processes.js";

export type { ControlPlaneBinaries } from "./binaries.js";
export {
  type ControlPlaneComponent,
  ControlPlaneError,
  type ControlPlaneErrorReason,
} from "./control-plane-error.js";

/** What {@link startControlPlane} takes; everything is optional. */
export interface ControlPlaneOptions {
  /**
   * CRD files or folders (a folder: its *.yaml, *.yml, *.json, not sub-folders), YAML or JSON,
   * several documents a file; CustomResourceDefinitions (apiextensions.k8s.io/v1) only.
   * Each is created and waited for until Established and served by discovery.
   */
  crds?: readonly string[];
  /** The folder holding etcd, kube-apiserver and kubectl; default KUBEBUILDER_ASSETS of `env`. */
  assets?: string;
  /** Paths of single binaries, overriding TEST_ASSET_ETCD / _KUBE_APISERVER / _KUBECTL and `assets`. */
  binaries?: ControlPlaneBinaries;
  /** Where KUBEBUILDER_ASSETS and TEST_ASSET_* are read, and what the processes get (minus ETCD_*); default process.env. */
  env?: NodeJS.ProcessEnv;
  /** The Kubernetes version kube-apiserver must be: "1.37" (any patch) or "1.37.2". */
  kubernetesVersion?: string;
  /**
   * The folder for etcd's data, certificates, logs and the kubeconfig; created if missing, and
   * kept by stop() (for its logs). It must not hold a previous run's etcd data. Default: a new
   * temp folder, removed by stop().
   */
  dir?: string;
  /** The longest start, CRDs included (default 60 000 ms). */
  startTimeoutMs?: number;
  /** How long stop() lets each process end after SIGTERM before SIGKILL (default 10 000 ms). */
  stopGraceMs?: number;
  /** More kube-apiserver flags, after the defaults (so they override them): `--feature-gates=...`. */
  apiserverArgs?: readonly string[];
}

/** A running control plane. */
export interface ControlPlane {
  /** A config for the admin (CN=admin, O=system:masters): `createClient(cp.config)`. */
  config: KubeConfig;
  /** https://127.0.0.1:PORT. */
  server: string;
  /** A kubeconfig file in `dir` with the admin's credentials: `kubectl --kubeconfig`. */
  kubeconfigPath: string;
  /** The kubectl found beside the other binaries (or given), if any. */
  kubectl?: string;
  /** The server's gitVersion, e.g. "v1.37.2". */
  version: string;
  /** The folder of data, certificates and logs (etcd.log, kube-apiserver.log). */
  dir: string;
  /** The processes' PIDs (stop() ends them). */
  pids: {
    /** etcd's. */
    etcd: number;
    /** kube-apiserver's. */
    kubeApiserver: number;
  };
  /**
   * Ends kube-apiserver, then etcd, by PID (SIGTERM, SIGKILL after the grace period), waits
   * for both to exit, and removes `dir` unless the caller gave it. Calling it again returns the
   * same promise.
   */
  stop(): Promise<void>;
}

const DEFAULT_START_TIMEOUT_MS = 60_000;
const DEFAULT_STOP_GRACE_MS = 10_000;
const PORT_ATTEMPTS = 5;
const PROBE_MS = 100;
const PROBE_TIMEOUT_MS = 2_000;

interface Files {
  layout: Omit<ControlPlaneLayout, "etcdPort" | "etcdPeerPort" | "apiPort">;
  ca: string;
  cert: string;
  key: string;
}

async function makeDir(given: string | undefined): Promise<{ dir: string; owned: boolean }> {
  if (given === undefined)
    return { dir: await mkdtemp(join(tmpdir(), "kubefetch-control-plane-")), owned: true };
  const dir = resolve(given);
  try {
    await mkdir(dir, { recursive: true });
  } catch (e) {
    throw new ControlPlaneError(
      "StartFailed",
      `cannot create dir ${dir}: ${(e as NodeJS.ErrnoException).code}`,
      {
        path: dir,
      },
    );
  }
  // A previous run's data would bring back its objects (and its CRDs would collide).
  if (existsSync(join(dir, "etcd"))) {
    throw new ControlPlaneError(
      "StartFailed",
      `dir ${dir} already holds etcd data (etcd/): give an empty folder`,
      {
        path: dir,
      },
    );
  }
  return { dir, owned: false };
}

async function writePki(dir: string): Promise<Files> {
  const pki = createControlPlanePki();
  const p = join(dir, "pki");
  await mkdir(p, { recursive: true, mode: 0o700 });
  const files = {
    ca: join(p, "ca.crt"),
    servingCert: join(p, "serving.crt"),
    servingKey: join(p, "serving.key"),
    adminCert: join(p, "admin.crt"),
    adminKey: join(p, "admin.key"),
    saPublic: join(p, "sa.pub"),
    saPrivate: join(p, "sa.key"),
  };
  const write = async (path: string, text: string, secret: boolean) => {
    await writeFile(path, text, { mode: secret ? 0o600 : 0o644 });
    await chmod(path, secret ? 0o600 : 0o644);
  };
  await Promise.all([
    write(files.ca, pki.ca.certPem, false),
    write(files.servingCert, pki.serving.certPem, false),
    write(files.servingKey, pki.serving.keyPem, true),
    write(files.adminCert, pki.admin.certPem, false),
    write(files.adminKey, pki.admin.keyPem, true),
    write(files.saPublic, pki.serviceAccount.publicKeyPem, false),
    write(files.saPrivate, pki.serviceAccount.privateKeyPem, true),
  ]);
  return {
    layout: { etcdDataDir: join(dir, "etcd"), pki: files },
    ca: pki.ca.certPem,
    cert: pki.admin.certPem,
    key: pki.admin.keyPem,
  };
}

async function probe(t: Transport, path: string, ok: (body: string) => boolean): Promise<boolean> {
  try {
    const res = await t.request(path, { signal: timeoutSignal(PROBE_TIMEOUT_MS) });
    const body = await res.body.text();
    return res.statusCode === 200 && ok(body);
  } catch {
    return false; // not listening yet, or not answering
  }
}

/**
 * Polls `ready` until it answers true ("ready"), the process exits ("bind-race" when its log
 * says a port was taken, else StartFailed), or the deadline passes (Timeout).
 */
async function waitFor(
  proc: ManagedProcess,
  ready: () => Promise<boolean>,
  deadline: number,
  keptLog: boolean,
): Promise<"ready" | "bind-race"> {
  const component: ControlPlaneComponent = proc.component;
  // An owned folder goes with a failed start: the message then carries the log's tail only.
  const where = keptLog ? `; its log: ${proc.logFile}` : "";
  for (;;) {
    const exit = proc.exit();
    if (exit) {
      const tail = await logTail(proc.logFile);
      if (isBindRace(tail)) return "bind-race";
      const how = exit.error
        ? `could not be started: ${exit.error.message}`
        : `exited during start-up (${exit.signal ? `signal ${exit.signal}` : `code ${exit.code}`})`;
      throw new ControlPlaneError("StartFailed", `${how}${where}`, {
        component,
        logTail: tail,
      });
    }
    if (await ready()) return "ready";
    if (Date.now() >= deadline) {
      throw new ControlPlaneError("Timeout", `not ready in time${where}`, {
        component,
        logTail: await logTail(proc.logFile),
      });
    }
    await sleepOrWake(PROBE_MS);
  }
}

/**
 * Starts etcd and kube-apiserver on free loopback ports, with certificates made for the run,
 * RBAC, and the admin in system:masters; installs `crds`. Rejects with a ControlPlaneError
 * (after ending whatever it started) when a binary is missing or of the wrong version, a
 * process exits early, a CRD is refused, or `startTimeoutMs` passes.
 *
 * ```ts
 * const cp = await startControlPlane({ crds: ["./crds"] });
 * const kube = createClient(cp.config);
 * // ...
 * await cp.stop();
 * ```
 */
export async function startControlPlane(options: ControlPlaneOptions = {}): Promise<ControlPlane> {
  const {
    env = process.env,
    startTimeoutMs = DEFAULT_START_TIMEOUT_MS,
    stopGraceMs = DEFAULT_STOP_GRACE_MS,
  } = options;
  const deadline = Date.now() + startTimeoutMs;
  // Everything that can be refused without starting anything is, first.
  const bins: ResolvedBinaries = await resolveBinaries({
    env,
    ...(options.binaries ? { binaries: options.binaries } : {}),
    ...(options.assets !== undefined ? { assets: options.assets } : {}),
    ...(options.kubernetesVersion !== undefined ? { kubernetesVersion: options.kubernetesVersion } : {}),
  });
  const crds = await readCrdFiles(options.crds ?? []);
  const { dir, owned } = await makeDir(options.dir);

  const procs: ManagedProcess[] = [];
  const transports: Transport[] = [];
  // If the test process exits with the control plane running, kill it and remove its folder.
  const hook = onProcessExit(() => {
    for (const p of procs) p.killNow();
    if (owned) rmSync(dir, { recursive: true, force: true, maxRetries: 3 });
  });
  let stopping: Promise<void> | undefined;
  const stop = () => {
    stopping ??= (async () => {
      await Promise.all(transports.map((t) => t.close().catch(() => {})));
      // kube-apiserver first: it would log etcd's disappearance for as long as it runs.
      for (const p of [...procs].reverse()) await p.stop(stopGraceMs);
      if (owned) await rm(dir, { recursive: true, force: true, maxRetries: 3 });
      hook.release();
    })();
    return stopping;
  };

  try {
    const files = await writePki(dir);
    const childEnvironment = childEnv(env);
    let etcd: ManagedProcess | undefined;
    let apiserver: ManagedProcess | undefined;
    let server = "";
    let config: KubeConfig | undefined;
    // A port can be taken between choosing and binding it (up.sh's loop): then choose again.
    for (let attempt = 1; attempt <= PORT_ATTEMPTS && !apiserver; attempt++) {
      const [etcdPort = 0, etcdPeerPort = 0, apiPort = 0] = await freeLoopbackPorts(3);
      const layout: ControlPlaneLayout = { ...files.layout, etcdPort, etcdPeerPort, apiPort };
      const retry = async (...started: ManagedProcess[]) => {
        for (const p of started.reverse()) {
          await p.stop(stopGraceMs);
          procs.splice(procs.indexOf(p), 1);
        }
        await rm(layout.etcdDataDir, { recursive: true, force: true });
        if (attempt === PORT_ATTEMPTS) {
          throw new ControlPlaneError("StartFailed", `ports were taken in each of ${PORT_ATTEMPTS} attempts`);
        }
      };

      etcd = startProcess({
        component: "etcd",
        binary: bins.etcd,
        args: etcdArgs(layout, bins.etcdVersion),
        logFile: join(dir, "etcd.log"),
        env: childEnvironment,
      });
      procs.push(etcd);
      const etcdHttp = createTransport(createConfig({ server: `http://127.0.0.1:${etcdPort}`, env: {} }));
      transports.push(etcdHttp);
      // etcd answers {"health":"true"} once it has a leader.
      const etcdUp = await waitFor(
        etcd,
        () => probe(etcdHttp, "/health", (b) => b.includes("true")),
        deadline,
        !owned,
      );
      if (etcdUp === "bind-race") {
        await retry(etcd);
        continue;
      }

      server = `https://127.0.0.1:${apiPort}`;
      config = createConfig({ server, ca: files.ca, clientCert: files.cert, clientKey: files.key, env: {} });
      const started = startProcess({
        component: "kube-apiserver",
        binary: bins.kubeApiserver,
        args: apiserverArgs(layout, bins.kubernetesVersion, options.apiserverArgs ?? []),
        logFile: join(dir, "kube-apiserver.log"),
        env: childEnvironment,
      });
      procs.push(started);
      const api = createTransport(config);
      transports.push(api);
      const apiUp = await waitFor(started, () => probe(api, "/readyz", () => true), deadline, !owned);
      if (apiUp === "bind-race") {
        await retry(started, etcd);
        continue;
      }
      apiserver = started;
    }
    if (!etcd || !apiserver || !config) throw new ControlPlaneError("StartFailed", "no attempt started");
    const api = createTransport(config);
    transports.push(api);

    const versionRes = await api.request("/version", { signal: timeoutSignal(PROBE_TIMEOUT_MS * 5) });
    const gitVersion = ((await versionRes.body.json()) as { gitVersion?: unknown }).gitVersion;
    const version = typeof gitVersion === "string" ? gitVersion : bins.kubernetesVersion.text;

    const kubeconfigPath = join(dir, "kubeconfig");
    await writeAdminKubeconfig(kubeconfigPath, {
      server,
      caPem: files.ca,
      certPem: files.cert,
      keyPem: files.key,
    });
    await installCrds(api, crds, deadline);
    // The start's transports are done: the caller's clients make their own.
    await Promise.all(transports.splice(0).map((t) => t.close().catch(() => {})));

    return {
      config,
      server,
      kubeconfigPath,
      ...(bins.kubectl ? { kubectl: bins.kubectl } : {}),
      version,
      dir,
      pids: { etcd: etcd.pid, kubeApiserver: apiserver.pid },
      stop,
    };
  } catch (e) {
    // A failed start leaves nothing behind: processes ended, an owned folder removed.
    await stop();
    throw e;
  }
}
