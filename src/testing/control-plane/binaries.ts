// Where the control plane's binaries are and which versions they are, as controller-runtime's
// envtest finds them (pkg/internal/testing/process BinPathFinder): an explicit path, else the
// TEST_ASSET_<NAME> variable, else the folder KUBEBUILDER_ASSETS names (what `setup-envtest use
// -p path` prints), holding `etcd`, `kube-apiserver` and `kubectl` under those names.

import { execFile } from "node:child_process";
import { constants } from "node:fs";
import { access, stat } from "node:fs/promises";
import { join, resolve } from "node:path";
import { type ControlPlaneComponent, ControlPlaneError } from "./control-plane-error.js";

/** Paths of the binaries, each overriding what the assets folder holds. */
export interface ControlPlaneBinaries {
  /** etcd (3.x). */
  etcd?: string;
  /** kube-apiserver (1.20 or later). */
  kubeApiserver?: string;
  /** kubectl: optional; the control plane only reports its path. */
  kubectl?: string;
}

/** A parsed `vMAJOR.MINOR.PATCH`. */
export interface BinaryVersion {
  /** As the binary prints it, e.g. "v1.37.2" or "3.7.0". */
  text: string;
  /** The major version. */
  major: number;
  /** The minor version. */
  minor: number;
  /** The patch version. */
  patch: number;
}

/** The binaries found, checked and versioned. */
export interface ResolvedBinaries {
  /** etcd's path. */
  etcd: string;
  /** etcd's version. */
  etcdVersion: BinaryVersion;
  /** kube-apiserver's path. */
  kubeApiserver: string;
  /** kube-apiserver's version. */
  kubernetesVersion: BinaryVersion;
  /** kubectl's path, when one was given or the assets folder holds one. */
  kubectl: string | undefined;
}

/** The oldest kube-apiserver supported: the flags here (and the 1.20 test stack) start at 1.20. */
export const OLDEST_KUBERNETES_MINOR = 20;

const VERSION_TIMEOUT_MS = 15_000;

/** The environment a child gets: etcd reads ETCD_* variables, which would conflict with its flags. */
export function childEnv(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(env).filter(([k]) => !k.startsWith("ETCD_")));
}

function parseVersion(text: string, pattern: RegExp): BinaryVersion | undefined {
  const m = pattern.exec(text);
  if (!m) return undefined;
  return { text: m[1] ?? "", major: Number(m[2]), minor: Number(m[3]), patch: Number(m[4]) };
}

/** `kube-apiserver --version` prints "Kubernetes v1.37.2" (k8s.io/component-base/version/verflag). */
export function parseKubernetesVersion(output: string): BinaryVersion | undefined {
  return parseVersion(output, /Kubernetes (v(\d+)\.(\d+)\.(\d+)\S*)/);
}

/** `etcd --version` prints "etcd Version: 3.7.0" first. */
export function parseEtcdVersion(output: string): BinaryVersion | undefined {
  return parseVersion(output, /etcd Version: ((\d+)\.(\d+)\.(\d+)\S*)/);
}

/**
 * Whether a version matches what a caller asked for: "1.37" any 1.37 patch, "1.37.2" that
 * one; a leading "v" is optional.
 */
export function versionMatches(version: BinaryVersion, wanted: string): boolean {
  const parts = wanted.replace(/^v/, "").split(".");
  if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^\d+$/.test(p))) return false;
  const have = [version.major, version.minor, version.patch];
  return parts.every((p, i) => Number(p) === have[i]);
}

async function checkExecutable(component: ControlPlaneComponent, path: string, from: string): Promise<void> {
  try {
    if (!(await stat(path)).isFile()) {
      throw new ControlPlaneError("BinaryMissing", `${path} (${from}) is not a file`, { component, path });
    }
  } catch (e) {
    if (e instanceof ControlPlaneError) throw e;
    throw new ControlPlaneError("BinaryMissing", `no binary at ${path} (${from})`, { component, path });
  }
  try {
    await access(path, constants.X_OK);
  } catch {
    throw new ControlPlaneError("BinaryMissing", `${path} (${from}) is not executable`, { component, path });
  }
}

function runVersion(component: ControlPlaneComponent, path: string, env: NodeJS.ProcessEnv): Promise<string> {
  return new Promise((done, fail) => {
    execFile(
      path,
      ["--version"],
      { env: childEnv(env), timeout: VERSION_TIMEOUT_MS, maxBuffer: 1 << 20 },
      (err, stdout, stderr) => {
        if (err) {
          const out = `${stdout}${stderr}`.trim().split("\n").slice(-3).join(" ").slice(0, 300);
          const how = err.killed
            ? `did not answer in ${VERSION_TIMEOUT_MS / 1000} s`
            : typeof err.code === "number"
              ? `exited with code ${err.code}`
              : (err.code ?? err.message);
          fail(
            new ControlPlaneError(
              "WrongVersion",
              `\`${path} --version\` failed (${how})${out ? `: ${out}` : ""}`,
              {
                component,
                path,
              },
            ),
          );
        } else done(`${stdout}\n${stderr}`);
      },
    );
  });
}

/** What {@link resolveBinaries} reads. */
export interface BinaryLookup {
  /** Explicit paths. */
  binaries?: ControlPlaneBinaries;
  /** The assets folder, overriding KUBEBUILDER_ASSETS. */
  assets?: string;
  /** Where KUBEBUILDER_ASSETS and TEST_ASSET_* are read. */
  env: NodeJS.ProcessEnv;
  /** A Kubernetes version ("1.37" or "1.37.2") kube-apiserver must be. */
  kubernetesVersion?: string;
}

/** Finds the binaries, checks they are executable, and reads and checks their versions. */
export async function resolveBinaries(o: BinaryLookup): Promise<ResolvedBinaries> {
  const assets = o.assets ?? (o.env.KUBEBUILDER_ASSETS || undefined);
  const find = (
    component: ControlPlaneComponent,
    given: string | undefined,
    variable: string,
  ): { path: string; from: string } | undefined => {
    if (given) return { path: resolve(given), from: `binaries option` };
    const fromEnv = o.env[variable];
    if (fromEnv) return { path: resolve(fromEnv), from: variable };
    if (assets) {
      return {
        path: resolve(join(assets, component)),
        from: o.assets ? "assets option" : "KUBEBUILDER_ASSETS",
      };
    }
    return undefined;
  };
  const required = async (
    component: "etcd" | "kube-apiserver",
    given: string | undefined,
    variable: string,
  ) => {
    const found = find(component, given, variable);
    if (!found) {
      throw new ControlPlaneError(
        "BinaryMissing",
        `no ${component}: set KUBEBUILDER_ASSETS to a folder holding etcd and kube-apiserver (setup-envtest use -p path), or pass binaries or assets`,
        { component },
      );
    }
    await checkExecutable(component, found.path, found.from);
    return found.path;
  };

  const kubeApiserver = await required(
    "kube-apiserver",
    o.binaries?.kubeApiserver,
    "TEST_ASSET_KUBE_APISERVER",
  );
  const etcd = await required("etcd", o.binaries?.etcd, "TEST_ASSET_ETCD");
  // kubectl is optional: a path given explicitly must exist, one the assets folder lacks is none.
  const kubectlFound = find("kubectl", o.binaries?.kubectl, "TEST_ASSET_KUBECTL");
  let kubectl: string | undefined;
  if (kubectlFound) {
    const explicit = kubectlFound.from !== "KUBEBUILDER_ASSETS" && kubectlFound.from !== "assets option";
    try {
      await checkExecutable("kubectl", kubectlFound.path, kubectlFound.from);
      kubectl = kubectlFound.path;
    } catch (e) {
      if (explicit) throw e;
    }
  }

  const [apiOut, etcdOut] = await Promise.all([
    runVersion("kube-apiserver", kubeApiserver, o.env),
    runVersion("etcd", etcd, o.env),
  ]);
  const kubernetesVersion = parseKubernetesVersion(apiOut);
  if (!kubernetesVersion) {
    throw new ControlPlaneError(
      "WrongVersion",
      `\`${kubeApiserver} --version\` printed no "Kubernetes vX.Y.Z": is it kube-apiserver?`,
      { component: "kube-apiserver", path: kubeApiserver },
    );
  }
  if (kubernetesVersion.major !== 1 || kubernetesVersion.minor < OLDEST_KUBERNETES_MINOR) {
    throw new ControlPlaneError(
      "WrongVersion",
      `${kubeApiserver} is ${kubernetesVersion.text}: kube-apiserver 1.${OLDEST_KUBERNETES_MINOR} or later is needed`,
      { component: "kube-apiserver", path: kubeApiserver },
    );
  }
  if (o.kubernetesVersion !== undefined && !versionMatches(kubernetesVersion, o.kubernetesVersion)) {
    throw new ControlPlaneError(
      "WrongVersion",
      `${kubeApiserver} is ${kubernetesVersion.text}, not the kubernetesVersion asked for (${o.kubernetesVersion})`,
      { component: "kube-apiserver", path: kubeApiserver },
    );
  }
  const etcdVersion = parseEtcdVersion(etcdOut);
  if (!etcdVersion) {
    throw new ControlPlaneError(
      "WrongVersion",
      `\`${etcd} --version\` printed no "etcd Version: X.Y.Z": is it etcd?`,
      {
        component: "etcd",
        path: etcd,
      },
    );
  }
  if (etcdVersion.major !== 3) {
    throw new ControlPlaneError(
      "WrongVersion",
      `${etcd} is etcd ${etcdVersion.text}: kube-apiserver needs etcd 3`,
      {
        component: "etcd",
        path: etcd,
      },
    );
  }
  return { etcd, etcdVersion, kubeApiserver, kubernetesVersion, kubectl };
}
