// Copying files to and from a container as `kubectl cp` does: a tar through exec, the
// container's own `tar` on the other end.

import { lstat, open, readdir, readlink } from "node:fs/promises";
import { join, posix } from "node:path";
import type { CallOptions } from "../core/objects.js";
import type { ResourceInfo } from "../core/registry.js";
import type { ConnectContext } from "./context.js";
import { type ExecProcess, execApi } from "./exec.js";
import { readTar, type TarEntry, tarEnd, tarEntry, tarPadding } from "./tar.js";
import { type UnpackResult, unpack } from "./unpack.js";

/** The container a copy goes to or comes from. */
export interface CopyTarget extends CallOptions {
  /** Omitted: the config's namespace. */
  namespace?: string;
  /** The pod. */
  name: string;
  /** Omitted: the pod's only container (the server refuses a pod of several). */
  container?: string;
}

/** What `kube.cp.toPod()` takes. */
export interface CopyToPodOptions extends CopyTarget {
  /** A local file or folder. */
  from: string;
  /** The path in the container; into it when it is an existing folder (kubectl's rule). */
  to: string;
}

/** What `kube.cp.fromPod()` takes. */
export interface CopyFromPodOptions extends CopyTarget {
  /** A file or folder in the container. */
  from: string;
  /** The local path it becomes. */
  to: string;
}

/** `kube.cp`: kubectl cp's two directions, over exec and the container's tar. */
export interface CopyApi {
  /** `kubectl cp LOCAL POD:PATH`: a tar of `from` unpacked by the container's `tar -xmf -`. */
  toPod(options: CopyToPodOptions): Promise<{
    /** Files, folders and links sent. */
    entries: number;
    /** The bytes of file content sent. */
    bytes: number;
  }>;
  /**
   * `kubectl cp POD:PATH LOCAL`: the container's `tar cf -` unpacked here; entries that would
   * land outside `to` (absolute, "..", links out) are refused and listed in `skipped`.
   */
  fromPod(options: CopyFromPodOptions): Promise<UnpackResult>;
}

/** The container's tar failed (or the copy's shell): its exit code and what it printed. */
export class CopyError extends Error {
  /** "CopyError", as stack traces show it. */
  override readonly name = "CopyError";
  /** The exit code of the container's command. */
  readonly exitCode: number;
  /** What the container's command wrote to stderr. */
  readonly stderr: string;

  constructor(what: string, exitCode: number, stderr: string) {
    super(`${what}: exit code ${exitCode}${stderr.trim() ? `: ${stderr.trim()}` : ""}`);
    this.exitCode = exitCode;
    this.stderr = stderr;
  }
}

/** Pods' exec path, for clients whose registry has no core/v1 (CRD-only ones). */
export const PODS: ResourceInfo = {
  apiVersion: "v1",
  kind: "Pod",
  plural: "pods",
  namespaced: true,
  verbs: [],
  paths: { item: "/api/v1/namespaces/{namespace}/pods/{name}" },
  subresources: {
    exec: {
      apiVersion: "v1",
      kind: "PodExecOptions",
      verbs: ["create", "get"],
      path: "/api/v1/namespaces/{namespace}/pods/{name}/exec",
    },
  },
};

/** A local file, folder or link to send, and where it is on disk. */
export interface Local extends TarEntry {
  path: string;
  size: number;
}

/** The local tree under `from`, named under `base` as kubectl's makeTar names it. */
export async function walk(from: string, base: string): Promise<Local[]> {
  const out: Local[] = [];
  const visit = async (path: string, name: string) => {
    const st = await lstat(path);
    const common = { path, name, mode: st.mode, mtime: st.mtimeMs / 1000 };
    if (st.isDirectory()) {
      out.push({ ...common, type: "directory", size: 0 });
      for (const child of (await readdir(path)).sort()) await visit(join(path, child), `${name}/${child}`);
    } else if (st.isSymbolicLink()) {
      out.push({ ...common, type: "symlink", size: 0, linkname: await readlink(path) });
    } else if (st.isFile()) {
      out.push({ ...common, type: "file", size: st.size });
    }
    // Sockets, FIFOs, devices: kubectl's makeTar skips them too.
  };
  await visit(from, base);
  return out;
}

function tarSize(entries: Local[]): number {
  let n = 1024;
  for (const e of entries) {
    n += tarEntry(e).reduce((a, b) => a + b.length, 0) + Math.ceil(e.size / 512) * 512;
  }
  return n;
}

// Reads of 64 KiB (Node's stream default) were 3-8 times slower than 256 KiB on a loaded
// 2-core machine (a thread-pool round trip each); the connection frames them as it needs.
const CHUNK = 256 * 1024;

/**
 * A file's content read from disk a chunk at a time. Exactly the size its header gave, or an
 * error: a file that shrank or grew while it was copied would make the archive lie.
 */
async function* contentOf(e: Local): AsyncGenerator<Buffer> {
  const fh = await open(e.path, "r");
  try {
    for (let left = e.size; left > 0; ) {
      const n = Math.min(CHUNK, left);
      // A fresh buffer per chunk: the one before may still sit in the connection's queue.
      const { bytesRead, buffer } = await fh.read(Buffer.allocUnsafe(n), 0, n, null);
      if (bytesRead === 0) throw new Error(`${e.path} changed while it was copied (it shrank)`);
      left -= bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
    if ((await fh.read(Buffer.alloc(1), 0, 1, null)).bytesRead > 0)
      throw new Error(`${e.path} changed while it was copied (it grew)`);
  } finally {
    await fh.close();
  }
}

/**
 * The tar of `entries` as it is sent, each file streamed from disk: memory holds a chunk
 * whatever the sizes (readFile held the file, and refuses one over 2 GiB).
 */
export async function* archive(entries: Local[]): AsyncGenerator<Buffer> {
  for (const e of entries) {
    yield* tarEntry(e);
    if (e.type === "file" && e.size > 0) {
      yield* contentOf(e);
      const pad = tarPadding(e.size);
      if (pad.length) yield pad;
    }
  }
  yield tarEnd();
}

async function tarExited(p: ExecProcess, stderr: () => string, what: string): Promise<void> {
  const { exitCode } = await p.done;
  if (exitCode !== 0) throw new CopyError(what, exitCode, stderr());
}

function captured(p: ExecProcess): () => string {
  let text = "";
  p.stderr.on("data", (c: Buffer) => {
    if (text.length < 65_536) text += c.toString("utf8");
  });
  return () => text;
}

export function cpApi(ctx: ConnectContext, pods: ResourceInfo = PODS): CopyApi {
  const exec = execApi(ctx, pods.subresources.exec ? pods : PODS);
  const target = (o: CopyTarget) => ({
    name: o.name,
    ...(o.namespace !== undefined ? { namespace: o.namespace } : {}),
    ...(o.container !== undefined ? { container: o.container } : {}),
    ...(o.signal ? { signal: o.signal } : {}),
    ...(o.timeoutMs !== undefined ? { timeoutMs: o.timeoutMs } : {}),
  });
  return {
    async toPod(o) {
      // kubectl's rule: into an existing folder, else as that path.
      const probe = await exec({ ...target(o), command: ["test", "-d", o.to], stream: true, stdin: false });
      probe.stdout.resume();
      probe.stderr.resume();
      const isDir = (await probe.done).exitCode === 0;
      const dest = posix.normalize(isDir ? posix.join(o.to, posix.basename(o.from)) : o.to);
      const dir = posix.dirname(dest);
      const entries = await walk(o.from, posix.basename(dest));
      // v5 closes stdin after the archive, as kubectl. v4 cannot (no close signal, see
      // ExecProcess.stdinCloseable) and busybox tar reads to end-of-file: `head -c` hands tar
      // exactly the archive's bytes and then that end.
      const size = tarSize(entries);
      const v5 = probe.protocol === "v5.channel.k8s.io";
      const command = v5
        ? ["tar", "-xmf", "-", "-C", dir]
        : ["sh", "-c", `head -c ${size} | tar -xmf - -C "$1"`, "sh", dir];
      const p = await exec({ ...target(o), command, stream: true });
      const stderr = captured(p);
      p.stdout.resume();
      const write = (chunk: Uint8Array) =>
        new Promise<void>((resolve, reject) => p.stdin.write(chunk, (e) => (e ? reject(e) : resolve())));
      try {
        // Each write awaited: the connection's backpressure paces the reads from disk.
        for await (const chunk of archive(entries)) await write(chunk);
        p.stdin.end();
      } catch (err) {
        p.close();
        await p.done.catch(() => {});
        throw err;
      }
      await tarExited(p, stderr, `tar -xmf - in ${o.name}`);
      const bytes = entries.reduce((n, e) => n + (e.type === "file" ? e.size : 0), 0);
      return { entries: entries.length, bytes };
    },

    async fromPod(o) {
      const from = posix.normalize(o.from);
      const base = posix.basename(from);
      const p = await exec({
        ...target(o),
        command: ["tar", "cf", "-", "-C", posix.dirname(from), base],
        stream: true,
        stdin: false,
      });
      const stderr = captured(p);
      let result: UnpackResult;
      try {
        result = await unpack(readTar(p.stdout), base, o.to);
      } catch (err) {
        p.close();
        await p.done.catch(() => {});
        throw err;
      }
      // What the tar wrote after its end-of-archive blocks (padding) is read and dropped.
      p.stdout.resume();
      await tarExited(p, stderr, `tar cf - in ${o.name}`);
      return result;
    },
  };
}
