import { readFile } from "node:fs/promises";
import { dirname, isAbsolute, join, resolve } from "node:path";
import { parse as parseYaml, type YAMLParseError } from "yaml";
import { ConfigError, fsReason } from "./errors.js";

/** One kubeconfig file's entries, parsed and checked as kubectl decodes them. */
export interface KubeconfigFile {
  path: string;
  currentContext: string | undefined;
  clusters: Map<string, NamedEntry<ClusterEntry>>;
  users: Map<string, NamedEntry<UserEntry>>;
  contexts: Map<string, NamedEntry<ContextEntry>>;
}

export interface NamedEntry<T> {
  value: T;
  /** The file and field the entry came from, for error messages. */
  file: string;
  field: string;
}

export interface ClusterEntry {
  server?: string;
  certificateAuthority?: string;
  certificateAuthorityData?: Buffer;
  insecureSkipTlsVerify?: boolean;
  tlsServerName?: string;
  proxyUrl?: string;
  /** extensions["client.authentication.k8s.io/exec"], handed to exec plugins. */
  execExtension?: unknown;
}

export interface ExecEntry {
  command: string;
  args: string[];
  env: { name: string; value: string }[];
  apiVersion: string;
  installHint?: string;
  provideClusterInfo: boolean;
  interactiveMode?: string;
}

export interface UserEntry {
  token?: string;
  tokenFile?: string;
  clientCertificate?: string;
  clientCertificateData?: Buffer;
  clientKey?: string;
  clientKeyData?: Buffer;
  username?: string;
  password?: string;
  exec?: ExecEntry;
  authProvider?: { name: string; config: Record<string, string> };
  as?: string;
  asUid?: string;
  asGroups?: string[];
  asUserExtra?: Record<string, string[]>;
}

export interface ContextEntry {
  cluster?: string;
  user?: string;
  namespace?: string;
}

type Obj = Record<string, unknown>;

/** Reads one kubeconfig. ENOENT is returned as `undefined` so callers can apply kubectl's skip rule. */
export async function readKubeconfigFile(path: string): Promise<KubeconfigFile | undefined> {
  let text: string;
  try {
    text = await readFile(path, "utf8");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw new ConfigError(`cannot read kubeconfig (${fsReason(err)})`, { file: path, cause: err });
  }
  return parseKubeconfig(text, path);
}

/** `base`: the folder relative paths resolve against (default: the file's own). */
export function parseKubeconfig(text: string, path: string, base = dirname(resolve(path))): KubeconfigFile {
  let doc: unknown;
  try {
    doc = parseYaml(text, { prettyErrors: false, uniqueKeys: false });
  } catch (err) {
    const e = err as YAMLParseError;
    const offset = e.pos?.[0];
    const line = offset === undefined ? "" : ` at line ${text.slice(0, offset).split("\n").length}`;
    // The YAML library quotes the offending text; keep only the reason: it may hold a secret.
    throw new ConfigError(`invalid YAML${line} (${e.code ?? "parse error"})`, { file: path });
  }
  const file: KubeconfigFile = {
    path,
    currentContext: undefined,
    clusters: new Map(),
    users: new Map(),
    contexts: new Map(),
  };
  // An empty file is a valid, empty kubeconfig (kubectl treats it so).
  if (doc === null || doc === undefined) return file;
  const r = new Reader(path);
  const root = r.object(doc, "");
  file.currentContext = r.optString(root, "current-context", "");
  for (const [name, value, field] of r.namedList(root, "clusters", "cluster")) {
    file.clusters.set(name, { value: r.cluster(value, field, base), file: path, field });
  }
  for (const [name, value, field] of r.namedList(root, "users", "user")) {
    file.users.set(name, { value: r.user(value, field, base), file: path, field });
  }
  for (const [name, value, field] of r.namedList(root, "contexts", "context")) {
    file.contexts.set(name, { value: r.context(value, field), file: path, field });
  }
  return file;
}

/** As client-go's ResolvePaths: relative file references resolve against the kubeconfig's folder. */
function resolvePath(p: string | undefined, base: string): string | undefined {
  if (!p) return p;
  return isAbsolute(p) ? p : join(base, p);
}

/** Typed reads with kubectl's decoding rules; every failure names the file and field. */
class Reader {
  constructor(private readonly file: string) {}

  fail(field: string, problem: string): never {
    throw new ConfigError(problem, { file: this.file, field: field || "(document)" });
  }

  object(v: unknown, field: string): Obj {
    if (v === null || typeof v !== "object" || Array.isArray(v))
      this.fail(field, `expected a mapping, found ${kindOf(v)}`);
    return v as Obj;
  }

  optString(o: Obj, key: string, at: string): string | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "string") this.fail(fieldPath(at, key), `expected a string, found ${kindOf(v)}`);
    return v === "" ? undefined : v;
  }

  optBool(o: Obj, key: string, at: string): boolean | undefined {
    const v = o[key];
    if (v === undefined || v === null) return undefined;
    if (typeof v !== "boolean") this.fail(fieldPath(at, key), `expected true or false, found ${kindOf(v)}`);
    return v;
  }

  /** `-data` fields: strict standard base64 as Go's encoding/json decodes []byte. */
  optBase64(o: Obj, key: string, at: string): Buffer | undefined {
    const s = this.optString(o, key, at);
    if (s === undefined) return undefined;
    const clean = s.replace(/[\r\n]/g, "");
    if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) {
      this.fail(fieldPath(at, key), "is not valid base64");
    }
    return Buffer.from(clean, "base64");
  }

  stringList(o: Obj, key: string, at: string): string[] {
    const v = o[key];
    if (v === undefined || v === null) return [];
    if (!Array.isArray(v)) this.fail(fieldPath(at, key), `expected a list, found ${kindOf(v)}`);
    return v.map((x, i) => {
      if (typeof x !== "string")
        this.fail(`${fieldPath(at, key)}[${i}]`, `expected a string, found ${kindOf(x)}`);
      return x;
    });
  }

  /** clusters/users/contexts: a list of `{name, <inner>}`, as kubectl converts it to a map. */
  *namedList(root: Obj, key: string, inner: string): Generator<[string, Obj, string]> {
    const list = root[key];
    if (list === undefined || list === null) return;
    if (!Array.isArray(list)) this.fail(key, `expected a list, found ${kindOf(list)}`);
    const seen = new Set<string>();
    for (let i = 0; i < list.length; i++) {
      const at = `${key}[${i}]`;
      const item = this.object(list[i], at);
      // kubectl accepts a nameless entry (its name is ""), and refuses a name used twice.
      const name = this.optString(item, "name", at) ?? "";
      if (seen.has(name)) this.fail(`${at}.name`, `duplicate name "${name}" in ${key}`);
      seen.add(name);
      const value = item[inner] ?? {};
      yield [name, this.object(value, `${at}.${inner}`), `${at}.${inner}`];
    }
  }

  cluster(o: Obj, at: string, base: string): ClusterEntry {
    const c: ClusterEntry = {};
    const server = this.optString(o, "server", at);
    if (server !== undefined) c.server = server;
    const ca = resolvePath(this.optString(o, "certificate-authority", at), base);
    if (ca !== undefined) c.certificateAuthority = ca;
    const caData = this.optBase64(o, "certificate-authority-data", at);
    if (caData !== undefined) c.certificateAuthorityData = caData;
    const insecure = this.optBool(o, "insecure-skip-tls-verify", at);
    if (insecure !== undefined) c.insecureSkipTlsVerify = insecure;
    const sni = this.optString(o, "tls-server-name", at);
    if (sni !== undefined) c.tlsServerName = sni;
    const proxy = this.optString(o, "proxy-url", at);
    if (proxy !== undefined) c.proxyUrl = proxy;
    const ext = o.extensions;
    if (Array.isArray(ext)) {
      for (const e of ext) {
        if (e && typeof e === "object" && (e as Obj).name === "client.authentication.k8s.io/exec") {
          c.execExtension = (e as Obj).extension;
        }
      }
    }
    return c;
  }

  user(o: Obj, at: string, base: string): UserEntry {
    const u: UserEntry = {};
    const set = <K extends keyof UserEntry>(k: K, v: UserEntry[K] | undefined) => {
      if (v !== undefined) u[k] = v;
    };
    set("token", this.optString(o, "token", at));
    set("tokenFile", resolvePath(this.optString(o, "tokenFile", at), base));
    set("clientCertificate", resolvePath(this.optString(o, "client-certificate", at), base));
    set("clientCertificateData", this.optBase64(o, "client-certificate-data", at));
    set("clientKey", resolvePath(this.optString(o, "client-key", at), base));
    set("clientKeyData", this.optBase64(o, "client-key-data", at));
    set("username", this.optString(o, "username", at));
    set("password", this.optString(o, "password", at));
    set("as", this.optString(o, "as", at));
    set("asUid", this.optString(o, "as-uid", at));
    const groups = this.stringList(o, "as-groups", at);
    if (groups.length) u.asGroups = groups;
    if (o["as-user-extra"] !== undefined && o["as-user-extra"] !== null) {
      const extra = this.object(o["as-user-extra"], `${at}.as-user-extra`);
      u.asUserExtra = {};
      for (const k of Object.keys(extra)) u.asUserExtra[k] = this.stringList(extra, k, `${at}.as-user-extra`);
    }
    if (o.exec !== undefined && o.exec !== null)
      u.exec = this.exec(this.object(o.exec, `${at}.exec`), `${at}.exec`, base);
    if (o["auth-provider"] !== undefined && o["auth-provider"] !== null) {
      const ap = this.object(o["auth-provider"], `${at}.auth-provider`);
      const name = this.optString(ap, "name", `${at}.auth-provider`) ?? "";
      const config: Record<string, string> = {};
      if (ap.config !== undefined && ap.config !== null) {
        const c = this.object(ap.config, `${at}.auth-provider.config`);
        for (const k of Object.keys(c)) config[k] = this.optString(c, k, `${at}.auth-provider.config`) ?? "";
      }
      u.authProvider = { name, config };
    }
    return u;
  }

  exec(o: Obj, at: string, base: string): ExecEntry {
    const command = this.optString(o, "command", at);
    if (!command) this.fail(`${at}.command`, "missing");
    const apiVersion = this.optString(o, "apiVersion", at) ?? "";
    const env: ExecEntry["env"] = [];
    const rawEnv = o.env;
    if (rawEnv !== undefined && rawEnv !== null) {
      if (!Array.isArray(rawEnv)) this.fail(`${at}.env`, `expected a list, found ${kindOf(rawEnv)}`);
      rawEnv.forEach((e, i) => {
        const item = this.object(e, `${at}.env[${i}]`);
        const name = this.optString(item, "name", `${at}.env[${i}]`);
        if (!name) this.fail(`${at}.env[${i}].name`, "missing");
        env.push({ name, value: this.optString(item, "value", `${at}.env[${i}]`) ?? "" });
      });
    }
    const e: ExecEntry = {
      // Only a command with a path separator is relative to the kubeconfig; a bare name is looked up on PATH.
      command: command.includes("/") ? (resolvePath(command, base) as string) : command,
      args: this.stringList(o, "args", at),
      env,
      apiVersion,
      provideClusterInfo: this.optBool(o, "provideClusterInfo", at) ?? false,
    };
    const hint = this.optString(o, "installHint", at);
    if (hint !== undefined) e.installHint = hint;
    const mode = this.optString(o, "interactiveMode", at);
    if (mode !== undefined) e.interactiveMode = mode;
    return e;
  }

  context(o: Obj, at: string): ContextEntry {
    const c: ContextEntry = {};
    const cluster = this.optString(o, "cluster", at);
    if (cluster !== undefined) c.cluster = cluster;
    const user = this.optString(o, "user", at);
    if (user !== undefined) c.user = user;
    const ns = this.optString(o, "namespace", at);
    if (ns !== undefined) c.namespace = ns;
    return c;
  }
}

function fieldPath(at: string, key: string): string {
  return at ? `${at}.${key}` : key;
}

function kindOf(v: unknown): string {
  if (v === null) return "null";
  if (Array.isArray(v)) return "a list";
  if (typeof v === "object") return "a mapping";
  return `a ${typeof v}`;
}
