import { homedir } from "node:os";
import { delimiter, join } from "node:path";
import { ConfigError } from "./errors.js";
import {
  type ClusterEntry,
  type ContextEntry,
  type KubeconfigFile,
  type NamedEntry,
  parseKubeconfig,
  readKubeconfigFile,
  type UserEntry,
} from "./kubeconfig-file.js";

export interface KubeconfigOptions {
  /** One file (must exist) or a list (merged like KUBECONFIG). Default: $KUBECONFIG, else ~/.kube/config. */
  kubeconfig?: string | string[];
  /** A kubeconfig held in memory instead of files; relative paths resolve against the cwd. */
  text?: string;
  /** Overrides current-context, as `kubectl --context`. */
  context?: string;
  env?: NodeJS.ProcessEnv;
}

/** The context kubectl would use, with its cluster and user, from the merged files. */
export interface KubeconfigSelection {
  files: string[];
  contextName: string;
  context: NamedEntry<ContextEntry>;
  clusterName: string;
  cluster: NamedEntry<ClusterEntry>;
  userName: string | undefined;
  user: NamedEntry<UserEntry> | undefined;
  namespace: string;
}

interface Precedence {
  files: string[];
  /** An explicitly named single file must exist; list entries may be missing. */
  mustExist: boolean;
  describe: string;
}

/**
 * Which files to read, as client-go's ClientConfigLoadingRules:
 * - an explicit file (`--kubeconfig`) is the only one read, and must exist;
 * - otherwise the KUBECONFIG list (path-list separated), empty entries ignored, a file
 *   named twice read once;
 * - otherwise ~/.kube/config.
 */
function precedence(opts: KubeconfigOptions, env: NodeJS.ProcessEnv): Precedence {
  if (typeof opts.kubeconfig === "string") {
    return { files: [opts.kubeconfig], mustExist: true, describe: opts.kubeconfig };
  }
  if (Array.isArray(opts.kubeconfig)) {
    return {
      files: dedupe(opts.kubeconfig.filter(Boolean)),
      mustExist: false,
      describe: opts.kubeconfig.join(delimiter),
    };
  }
  const list = env.KUBECONFIG;
  if (list) {
    return {
      files: dedupe(list.split(delimiter).filter(Boolean)),
      mustExist: false,
      describe: `KUBECONFIG=${list}`,
    };
  }
  const home = env.HOME || homedir();
  const file = join(home, ".kube", "config");
  return { files: [file], mustExist: false, describe: file };
}

function dedupe(files: string[]): string[] {
  return [...new Set(files)];
}

/**
 * What the default rules find ($KUBECONFIG, else ~/.kube/config): the files that exist and
 * whether they name a current-context. A missing or context-less kubeconfig is "empty", and
 * client-go's deferred loading then tries in-cluster.
 */
export async function defaultKubeconfigFiles(
  env: NodeJS.ProcessEnv,
): Promise<{ files: string[]; hasContext: boolean; describe: string }> {
  const p = precedence({}, env);
  const loaded: KubeconfigFile[] = [];
  for (const f of p.files) {
    const file = await readKubeconfigFile(f);
    if (file) loaded.push(file);
  }
  return {
    files: loaded.map((f) => f.path),
    hasContext: loaded.some((f) => Boolean(f.currentContext)),
    describe: p.describe,
  };
}

export async function loadKubeconfig(opts: KubeconfigOptions = {}): Promise<KubeconfigSelection> {
  const env = opts.env ?? process.env;
  if (opts.text !== undefined) {
    if (typeof opts.text !== "string") throw new ConfigError("kubeconfigText must be a string");
    const file = parseKubeconfig(opts.text, "kubeconfigText", process.cwd());
    return select(merge([file]), opts.context, [file.path]);
  }
  const p = precedence(opts, env);
  const loaded: KubeconfigFile[] = [];
  for (const f of p.files) {
    const file = await readKubeconfigFile(f);
    if (file) loaded.push(file);
    // Missing files in a list are skipped; an explicit file must exist.
    else if (p.mustExist) throw new ConfigError("kubeconfig file not found", { file: f });
  }
  if (loaded.length === 0) {
    throw new ConfigError(`no kubeconfig found (looked in ${p.describe})`);
  }
  return select(
    merge(loaded),
    opts.context,
    loaded.map((f) => f.path),
  );
}

interface Merged {
  currentContext: { name: string; file: string } | undefined;
  clusters: Map<string, NamedEntry<ClusterEntry>>;
  users: Map<string, NamedEntry<UserEntry>>;
  contexts: Map<string, NamedEntry<ContextEntry>>;
}

/**
 * kubectl's merge: the first file to set a map key (a cluster, user or context name) wins,
 * and its entry is taken whole, never field by field; current-context comes from the first
 * file that sets it.
 */
function merge(files: KubeconfigFile[]): Merged {
  const m: Merged = { currentContext: undefined, clusters: new Map(), users: new Map(), contexts: new Map() };
  for (const f of files) {
    if (!m.currentContext && f.currentContext) m.currentContext = { name: f.currentContext, file: f.path };
    for (const [k, v] of f.clusters) if (!m.clusters.has(k)) m.clusters.set(k, v);
    for (const [k, v] of f.users) if (!m.users.has(k)) m.users.set(k, v);
    for (const [k, v] of f.contexts) if (!m.contexts.has(k)) m.contexts.set(k, v);
  }
  return m;
}

/**
 * Picks the context as `kubectl config view --minify` does: the `context` override, else
 * current-context; its cluster and user must exist when named. A context's namespace, else
 * "default".
 */
function select(m: Merged, override: string | undefined, files: string[]): KubeconfigSelection {
  const contextName = override || m.currentContext?.name;
  const where = { file: files.length === 1 ? files[0] : files.join(delimiter) };
  if (!contextName) throw new ConfigError("current-context is not set and no context was given", where);
  const context = m.contexts.get(contextName);
  if (!context) {
    const field = override ? "context (option)" : "current-context";
    throw new ConfigError(`context "${contextName}" not found`, {
      file: override ? where.file : m.currentContext?.file,
      field,
    });
  }
  const clusterName = context.value.cluster;
  if (!clusterName) {
    throw new ConfigError(`context "${contextName}" names no cluster`, {
      file: context.file,
      field: context.field,
    });
  }
  const cluster = m.clusters.get(clusterName);
  if (!cluster) {
    throw new ConfigError(`cluster "${clusterName}" not found`, {
      file: context.file,
      field: `${context.field}.cluster`,
    });
  }
  if (!cluster.value.server) {
    throw new ConfigError(`cluster "${clusterName}" has no server`, {
      file: cluster.file,
      field: `${cluster.field}.server`,
    });
  }
  const userName = context.value.user;
  const user = userName ? m.users.get(userName) : undefined;
  if (userName && !user) {
    throw new ConfigError(`user "${userName}" not found`, {
      file: context.file,
      field: `${context.field}.user`,
    });
  }
  return {
    files,
    contextName,
    context,
    clusterName,
    cluster,
    userName,
    user,
    namespace: context.value.namespace || "default",
  };
}
