// exec and attach: a program's stdin, stdout and stderr over the channel protocol, and its
// exit code from the status channel, read as kubectl reads it (client-go remotecommand's
// errorDecoderV4).

import { Readable, Writable } from "node:stream";
import { ConnectionError } from "../core/connection-error.js";
import { KubeError, type Status } from "../core/kube-error.js";
import type { CallOptions } from "../core/objects.js";
import type { ResourceInfo } from "../core/registry.js";
import type { RequestSpec } from "../core/request.js";
import { callSignal } from "../core/timers.js";
import { type ChannelConnection, openChannels, refusedProtocol, V5_CHANNEL } from "./channels.js";
import type { ConnectContext } from "./context.js";
import { WebSocketProtocolError } from "./websocket.js";

const STDIN = 0;
const STDOUT = 1;
const STDERR = 2;
const STATUS = 3;
const RESIZE = 4;

/** Which container of which pod. */
export interface ContainerRef extends CallOptions {
  /** Omitted: the config's namespace. */
  namespace?: string;
  /** The pod. */
  name: string;
  /** Omitted: the pod's only container (the server refuses when there are several). */
  container?: string;
  /** A terminal: stdout and stderr come merged on stdout, resize() works. */
  tty?: boolean;
}

/** Collect mode: run to the end, return everything. */
export interface ExecOptions extends ContainerRef {
  /** The program and its arguments, run without a shell. */
  command: readonly string[];
  /** The program's input, all of it (on v4.channel.k8s.io see ExecProcess.stdinCloseable). */
  stdin?: string | Uint8Array | Readable;
  /** Absent or false: collect mode. */
  stream?: false;
}

/** Stream mode: a process handle with Node streams. */
export interface ExecStreamOptions extends ContainerRef {
  /** The program and its arguments, run without a shell. */
  command: readonly string[];
  /** Stream mode. */
  stream: true;
  /** Default true: stdin is a Writable for the program's input. */
  stdin?: boolean;
}

/** Collect mode of attach: to the container's end, returning everything. */
export interface AttachOptions extends ContainerRef {
  /** The container's input, all of it; attach needs the container to have `stdin: true`. */
  stdin?: string | Uint8Array | Readable;
  /** Absent or false: collect mode. */
  stream?: false;
}

/** Stream mode of attach: a process handle on the running container. */
export interface AttachStreamOptions extends ContainerRef {
  /** Stream mode. */
  stream: true;
  /** Default false: true gives a Writable to the container's stdin. */
  stdin?: boolean;
}

/** What collect mode returns: the whole output and the exit code. */
export interface ExecResult {
  /** Everything written to stdout. */
  stdout: string;
  /** Everything written to stderr (empty with tty). */
  stderr: string;
  /** From the status channel, as kubectl reports it: 0 on Success, else the program's code. */
  exitCode: number;
}

/** A terminal's size, in characters. */
export interface TerminalSize {
  /** Width. */
  cols: number;
  /** Height. */
  rows: number;
}

/** What stream mode returns: the program's streams, its end, and control of its terminal. */
export interface ExecProcess {
  /** The subprotocol the server chose (v5.channel.k8s.io or v4.channel.k8s.io). */
  readonly protocol: string;
  /**
   * true on v5.channel.k8s.io: stdin.end() reaches the program as end-of-file. On v4 (servers
   * before 1.30) there is no close signal: the program sees end-of-file only when the
   * connection closes, so end its input in-band (e.g. "exit\n" to a shell) or call close().
   * kubectl has the same limit on v4 WebSocket and therefore uses SPDY there.
   */
  readonly stdinCloseable: boolean;
  /** The program's input (a Writable that discards nothing: it waits for the socket). */
  readonly stdin: Writable;
  /** The program's output. */
  readonly stdout: Readable;
  /** Empty with tty (the terminal merges it into stdout). */
  readonly stderr: Readable;
  /** Tells the terminal its size (tty only). */
  resize(size: TerminalSize): Promise<void>;
  /**
   * The program's end: its exit code from the status channel. Rejects with KubeError for a
   * failure Status that is not an exit code, ConnectionError when the connection broke or
   * ended before the status, or the signal's reason when aborted.
   */
  readonly done: Promise<{
    /** 0 on Success, else the program's code. */
    exitCode: number;
  }>;

  /** Ends the connection now (the program gets end-of-file and a hang-up). */
  close(): void;
}

/**
 * The exit code in a status-channel Status, as client-go's errorDecoderV4: Success is 0,
 * Failure with reason NonZeroExitCode carries the code in its ExitCode cause, any other
 * Failure is an error (kubectl prints it and exits 1).
 */
export function exitCodeOf(status: Status, path: string): number {
  if (status.status === "Success") return 0;
  if (status.status === "Failure" && status.reason === "NonZeroExitCode") {
    const cause = status.details?.causes?.find((c) => c.reason === "ExitCode");
    const code = Number(cause?.message);
    if (!cause || !Number.isInteger(code) || code < 0 || code > 255) {
      throw new WebSocketProtocolError(
        `${path}: the status channel's NonZeroExitCode Status has no valid ExitCode cause`,
      );
    }
    return code;
  }
  if (status.status === "Failure") {
    throw new KubeError({ status: status.code ?? 500, method: "GET", path, body: status });
  }
  throw new WebSocketProtocolError(`${path}: the status channel sent an unknown Status ${status.status}`);
}

function parseStatus(data: Buffer, path: string): Status {
  try {
    const s = JSON.parse(data.toString("utf8")) as Status;
    if (s && typeof s === "object") return s;
  } catch {}
  throw new WebSocketProtocolError(`${path}: the status channel sent something that is not a Status`);
}

/**
 * Collect mode with stdin on a server that speaks only v4.channel.k8s.io (before 1.30): v4
 * cannot close stdin, so a program that reads its input to the end (`cat`, `wc -l`, `tar x`)
 * would never end. kubectl falls back to SPDY there, which this client does not speak; it
 * refuses before anything runs instead of hanging.
 */
export class ExecStdinError extends Error {
  /** "ExecStdinError", as stack traces show it. */
  override readonly name = "ExecStdinError";
  /** The exec request's path. */
  readonly path: string;

  constructor(path: string, cause: unknown) {
    super(
      `${path}: the server speaks only v4.channel.k8s.io (Kubernetes before 1.30), which cannot close stdin, so a program that reads its input to the end would never end; nothing was started. Use stream: true and end the input in-band (a shell's "exit", or a command that reads a known length, e.g. head -c N), or a server of 1.30 or later`,
      { cause },
    );
    this.path = path;
  }
}

type Kind = "exec" | "attach";

interface StartOptions extends ContainerRef {
  command?: readonly string[];
  stdin: boolean;
  /** All of the input is given: the program must see its end, so only v5 will do. */
  closesStdin?: boolean;
}

function specOf(kind: Kind, parent: ResourceInfo, o: StartOptions): RequestSpec {
  if (kind === "exec") {
    const ok =
      Array.isArray(o.command) && o.command.length > 0 && o.command.every((a) => typeof a === "string");
    if (!ok) {
      throw new TypeError(
        `${parent.plural}.exec: command must be a non-empty array of strings (got ${JSON.stringify(o.command)}); nothing was sent`,
      );
    }
  }
  const tty = o.tty === true;
  const signal = callSignal(o.signal, o.timeoutMs);
  return {
    verb: kind,
    resource: parent,
    target: "item",
    subresource: kind,
    method: "GET",
    name: o.name,
    namespace: o.namespace,
    ...(signal ? { signal } : {}),
    query: {
      ...(kind === "exec" ? { command: o.command } : {}),
      container: o.container,
      stdin: o.stdin ? true : undefined,
      stdout: true,
      // A terminal merges stderr into stdout; the server refuses both with tty (kubectl's rule).
      stderr: tty ? undefined : true,
      tty: tty ? true : undefined,
    },
  };
}

/** Opens the connection and wires the streams; the handle is live from the first frame. */
async function start(
  ctx: ConnectContext,
  kind: Kind,
  given: ResourceInfo | (() => Promise<ResourceInfo>),
  o: StartOptions,
): Promise<ExecProcess> {
  const parent = typeof given === "function" ? await given() : given;
  if (!parent.subresources[kind]) {
    throw new TypeError(`${parent.kind} (${parent.apiVersion}) has no ${kind} subresource; nothing was sent`);
  }
  const spec = specOf(kind, parent, o);
  let conn: ChannelConnection;
  try {
    // v5 alone, when stdin must close: a server that knows no v5 refuses the handshake
    // (measured on 1.20: a bare 403), so nothing runs.
    conn = await openChannels(ctx, spec, o.closesStdin ? { protocols: [V5_CHANNEL] } : undefined);
  } catch (err) {
    if (o.closesStdin && refusedProtocol(err)) throw new ExecStdinError((err as KubeError).path, err);
    throw err;
  }
  return processOf(ctx, conn, o, spec.signal);
}

function processOf(
  ctx: ConnectContext,
  conn: ChannelConnection,
  o: StartOptions,
  signal: AbortSignal | undefined,
): ExecProcess {
  const path = conn.path;
  let wanted: (() => void) | undefined;
  const pull = () => {
    const w = wanted;
    wanted = undefined;
    w?.();
  };
  // 1 MiB each before the connection waits for the reader: a caller reading only stdout
  // is not stalled by a little stderr (read both, or resume() the one you ignore).
  const stdout = new Readable({ read: pull, highWaterMark: 1 << 20 });
  const stderr = new Readable({ read: pull, highWaterMark: 1 << 20 });
  const stdin = new Writable({
    write(chunk: Buffer, _enc, cb) {
      conn.send(STDIN, chunk).then(() => cb(), cb);
    },
    final(cb) {
      // v4 has no close signal: the program keeps its input open until the connection ends.
      if (!conn.canCloseChannels) return cb();
      conn.closeChannel(STDIN).then(() => cb(), cb);
    },
  });
  // A write after the connection ended must not become an unhandled 'error' event.
  stdin.on("error", () => {});
  if (!o.stdin) stdin.end();

  const done = (async () => {
    let status: Status | undefined;
    try {
      for await (const f of conn) {
        let target: Readable | undefined;
        if (f.channel === STDOUT) target = stdout;
        else if (f.channel === STDERR) target = stderr;
        else if (f.channel === STATUS) status = parseStatus(f.data, path);
        if (target && f.data.length > 0 && !target.push(f.data)) {
          // The reader is behind: wait for it (the socket pauses meanwhile).
          await new Promise<void>((r) => {
            wanted = r;
          });
        }
      }
    } catch (err) {
      if (signal?.aborted) throw signal.reason;
      // The status is the program's end: a connection that breaks after it loses nothing.
      if (!status) {
        throw new ConnectionError({ method: "GET", server: ctx.transport.config.server, path, cause: err });
      }
    } finally {
      stdout.push(null);
      stderr.push(null);
      stdin.destroy();
      conn.close();
    }
    if (!status) {
      throw new ConnectionError({
        method: "GET",
        server: ctx.transport.config.server,
        path,
        cause: new WebSocketProtocolError("the connection ended before the program's exit status arrived"),
      });
    }
    return { exitCode: exitCodeOf(status, path) };
  })();
  // The caller may only read the streams; a rejection is theirs to see when they await done.
  done.catch(() => {});

  return {
    protocol: conn.protocol,
    stdinCloseable: conn.canCloseChannels,
    stdin,
    stdout,
    stderr,
    async resize({ cols, rows }) {
      if (!o.tty) throw new TypeError("resize needs tty: true");
      await conn.send(RESIZE, JSON.stringify({ Width: cols, Height: rows }));
    },
    done,
    close: () => conn.close(),
  };
}

async function collect(process: ExecProcess, input: ExecOptions["stdin"]): Promise<ExecResult> {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  process.stdout.on("data", (c: Buffer) => out.push(c));
  process.stderr.on("data", (c: Buffer) => err.push(c));
  const feeding = input === undefined ? Promise.resolve() : feed(process.stdin, input);
  const { exitCode } = await process.done;
  // The program may end before reading all its input; what was not sent no longer matters.
  await feeding.catch(() => {});
  return {
    stdout: Buffer.concat(out).toString("utf8"),
    stderr: Buffer.concat(err).toString("utf8"),
    exitCode,
  };
}

async function feed(stdin: Writable, input: NonNullable<ExecOptions["stdin"]>): Promise<void> {
  const write = (chunk: Uint8Array | string) =>
    new Promise<void>((resolve, reject) => stdin.write(chunk, (e) => (e ? reject(e) : resolve())));
  if (input instanceof Readable) {
    for await (const chunk of input) await write(chunk as Buffer);
  } else {
    await write(input);
  }
  await new Promise<void>((resolve) => stdin.end(resolve));
}

/** pods.exec's two modes. */
export interface ExecMethod {
  (options: ExecStreamOptions): Promise<ExecProcess>;
  (options: ExecOptions): Promise<ExecResult>;
}

/** pods.attach's two modes. */
export interface AttachMethod {
  (options: AttachStreamOptions): Promise<ExecProcess>;
  (options: AttachOptions): Promise<ExecResult>;
}

/** Collect mode: stdin (when given) is written and closed, the output gathered until exit. */
async function collected(
  ctx: ConnectContext,
  kind: Kind,
  parent: ResourceInfo | (() => Promise<ResourceInfo>),
  o: ExecOptions | AttachOptions,
): Promise<ExecResult> {
  const p = await start(ctx, kind, parent, {
    ...o,
    stdin: o.stdin !== undefined,
    closesStdin: o.stdin !== undefined,
  });
  return collect(p, o.stdin);
}

/** pods.exec: collect mode (a result) or stream mode (a process handle). */
export function execApi(
  ctx: ConnectContext,
  parent: ResourceInfo | (() => Promise<ResourceInfo>),
): ExecMethod {
  function exec(options: ExecStreamOptions): Promise<ExecProcess>;
  function exec(options: ExecOptions): Promise<ExecResult>;
  async function exec(options: ExecOptions | ExecStreamOptions): Promise<ExecProcess | ExecResult> {
    if (options.stream === true) {
      return start(ctx, "exec", parent, { ...options, stdin: options.stdin !== false });
    }
    return collected(ctx, "exec", parent, options as ExecOptions);
  }
  return exec;
}

/** pods.attach: to the container's main process; collect mode reads until it exits. */
export function attachApi(
  ctx: ConnectContext,
  parent: ResourceInfo | (() => Promise<ResourceInfo>),
): AttachMethod {
  function attach(options: AttachStreamOptions): Promise<ExecProcess>;
  function attach(options: AttachOptions): Promise<ExecResult>;
  async function attach(options: AttachOptions | AttachStreamOptions): Promise<ExecProcess | ExecResult> {
    if (options.stream === true) {
      return start(ctx, "attach", parent, { ...options, stdin: options.stdin === true });
    }
    return collected(ctx, "attach", parent, options as AttachOptions);
  }
  return attach;
}
