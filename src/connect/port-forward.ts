// Port-forward, as `kubectl port-forward`: a listener on 127.0.0.1 whose every accepted
// connection is a new WebSocket stream to the pod's port (so one broken stream never takes
// the others, and a new connection after an apiserver restart simply opens a new stream), or
// one such stream as a Duplex, with no listener. The frames are port-forward-protocol.ts's.

import { createServer, type Server, type Socket } from "node:net";
import { Duplex } from "node:stream";
import type { CallOptions } from "../core/objects.js";
import type { ResourceInfo } from "../core/registry.js";
import type { RequestSpec } from "../core/request.js";
import { checkRuntime } from "../transport/runtime.js";
import { type ChannelConnection, openChannels } from "./channels.js";
import { type ConnectContext, connectPath } from "./context.js";
import {
  channelsOf,
  checkPort,
  PORT_FORWARD_PROTOCOL,
  PortForwardDemux,
  PortForwardError,
  portForwardQuery,
} from "./port-forward-protocol.js";

export { PortForwardError };

/** One stream to one port of a pod, as `portForward.connect()` takes it. */
export interface PortForwardConnectOptions {
  /** The pod. */
  name: string;
  /** Omitted: the config's namespace. */
  namespace?: string;
  /** The pod's port. */
  port: number;
  /** Aborts opening, or ends the stream; its socket is freed either way. */
  signal?: AbortSignal;
}

/** Local listeners forwarding to a pod's ports, as `kubectl port-forward` does. */
export interface PortForwardOptions extends Pick<CallOptions, "signal"> {
  /** The pod. */
  name: string;
  /** Omitted: the config's namespace. */
  namespace?: string;
  /** Each pod port (`remote`) and where to listen for it on 127.0.0.1 (`local`; 0 or omitted: any free port). */
  ports: {
    /** The pod's port. */
    remote: number;
    /** The local port; 0 or omitted: any free port. */
    local?: number;
  }[];
  /**
   * A connection's failure: the kubelet's reason (PortForwardError, reason "remote": nothing
   * listens on the pod's port, ...), a stream that broke (reason "stream": apiserver restarted,
   * connection reset), or an open refused by the apiserver (KubeError: pod not found or not
   * running; ConnectionError). The local connection is closed; the listener keeps serving.
   * Default: the client's warning handler.
   */
  onError?: (error: Error, port: { remote: number; local: number }) => void;
}

/** Running port forwarding: its ports, and how to stop it. */
export interface PortForward {
  /** What is forwarded, with the local ports actually bound. */
  readonly ports: readonly {
    /** The pod's port. */
    remote: number;
    /** The local port bound for it. */
    local: number;
  }[];

  /** Stops listening and ends every connection and stream; resolves when all are gone. */
  close(): Promise<void>;
}

function spec(
  parent: ResourceInfo,
  options: { name: string; namespace?: string | undefined },
  port: number,
  signal?: AbortSignal,
): RequestSpec {
  return {
    verb: "portForward",
    resource: parent,
    target: "item",
    subresource: "portforward",
    method: "GET",
    name: options.name,
    namespace: options.namespace,
    query: portForwardQuery([port]),
    ...(signal ? { signal } : {}),
  };
}

/** One stream to a pod port, as a Duplex: what is written goes to the pod, what the pod sends is read. */
export async function connectPort(
  ctx: ConnectContext,
  parent: ResourceInfo,
  options: PortForwardConnectOptions,
): Promise<Duplex> {
  const port = checkPort(options?.port);
  const conn = await openChannels(ctx, spec(parent, options, port, options.signal), {
    protocols: [PORT_FORWARD_PROTOCOL],
  });
  return portStream(conn, port, options.signal);
}

/**
 * The stream over one channel connection. Backpressure both ways: a write completes only when
 * the socket took it (the channel layer awaits drain); frames are pulled from the connection
 * only while the reader wants more (the channel layer pauses the socket past its high-water
 * mark). v4 has no half-close: ending the writable side sends nothing; the stream ends when
 * the pod's side closes (the kubelet then closes the connection).
 */
function portStream(conn: ChannelConnection, port: number, signal: AbortSignal | undefined): Duplex {
  const demux = new PortForwardDemux([port]);
  const { data } = channelsOf(0);
  const frames = conn[Symbol.asyncIterator]();
  let pumping = false;
  const failure = (err: unknown): Error => {
    if (err instanceof PortForwardError) return err;
    if (signal?.aborted) return signal.reason instanceof Error ? signal.reason : new Error("aborted");
    const text = err instanceof Error ? err.message : String(err);
    return new PortForwardError(port, "stream", `the stream broke: ${text}`, { cause: err });
  };
  const pump = async () => {
    if (pumping) return;
    pumping = true;
    try {
      for (;;) {
        const next = await frames.next();
        if (next.done) {
          const [last] = demux.end();
          if (last?.type === "error") stream.destroy(last.error);
          else stream.push(null);
          return;
        }
        let more = true;
        for (const ev of demux.accept(next.value.channel, next.value.data)) {
          if (ev.type === "error") {
            stream.destroy(ev.error);
            return;
          }
          more = stream.push(ev.data);
        }
        if (!more) return;
      }
    } catch (err) {
      stream.destroy(failure(err));
    } finally {
      pumping = false;
    }
  };
  const stream = new Duplex({
    allowHalfOpen: true,
    read() {
      void pump();
    },
    write(chunk: Buffer, _encoding, callback) {
      conn.send(data, chunk).then(
        () => callback(),
        // The connection ended under the write: frames already in (the kubelet's reason on
        // the error channel) are read first, so the caller gets that reason, not "closed".
        (err) => setImmediate(() => callback(stream.destroyed ? null : failure(err))),
      );
    },
    final(callback) {
      callback();
    },
    destroy(err, callback) {
      conn.close();
      // Keep reading (and dropping) what is in flight, so the server's close answer is seen
      // and the socket goes at once rather than after the close timeout.
      void (async () => {
        for (;;) if ((await frames.next()).done) return;
      })().catch(() => {});
      callback(err);
    },
  });
  return stream;
}

/** The listener form: one 127.0.0.1 listener per port, each connection its own stream. */
export async function portForward(
  ctx: ConnectContext,
  parent: ResourceInfo,
  options: PortForwardOptions,
): Promise<PortForward> {
  checkRuntime("port-forward");
  const { name, namespace, signal } = options ?? ({} as PortForwardOptions);
  if (!Array.isArray(options?.ports) || options.ports.length === 0) {
    throw new TypeError("port-forward: ports must list at least one { remote, local? }; nothing was sent");
  }
  const wanted = options.ports.map((p) => ({
    remote: checkPort(p?.remote, "remote"),
    local: p?.local === undefined || p.local === 0 ? 0 : checkPort(p.local, "local"),
  }));
  // The name and namespace checks, before any port is bound.
  connectPath(ctx, spec(parent, { name, namespace }, wanted[0]?.remote as number));
  if (signal?.aborted) throw signal.reason;
  const report = options.onError ?? ((err: Error) => ctx.onWarning(`${err.name}: ${err.message}`));

  const servers: Server[] = [];
  const sockets = new Set<Socket | Duplex>();
  let closing: Promise<void> | undefined;
  const track = <T extends Socket | Duplex>(s: T): T => {
    sockets.add(s);
    s.once("close", () => sockets.delete(s));
    return s;
  };

  const serve = (remote: number, bound: { remote: number; local: number }) => (local: Socket) => {
    track(local);
    local.on("error", () => {}); // a reset by the local client ends its stream below
    const controller = new AbortController();
    local.once("close", () => controller.abort());
    const abort = signal ? AbortSignal.any([signal, controller.signal]) : controller.signal;
    connectPort(ctx, parent, {
      name,
      ...(namespace !== undefined ? { namespace } : {}),
      port: remote,
      signal: abort,
    }).then(
      (stream) => {
        track(stream);
        if (local.destroyed || closing) {
          stream.destroy();
          return;
        }
        stream.on("error", (err) => {
          if (!closing && !controller.signal.aborted) report(err, bound);
          local.destroy();
        });
        local.once("close", () => stream.destroy());
        local.pipe(stream);
        stream.pipe(local);
      },
      (err) => {
        if (!closing && !controller.signal.aborted) report(err as Error, bound);
        local.destroy();
      },
    );
  };

  const listen = (port: number, onConnection: (s: Socket) => void) =>
    new Promise<Server>((resolve, reject) => {
      const server = createServer({ allowHalfOpen: true, pauseOnConnect: false }, onConnection);
      server.once("error", reject);
      server.listen(port, "127.0.0.1", () => {
        server.off("error", reject);
        resolve(server);
      });
    });

  const bound: { remote: number; local: number }[] = [];
  try {
    for (const p of wanted) {
      const entry = { remote: p.remote, local: 0 };
      const server = await listen(p.local, (s) => serve(p.remote, entry)(s));
      entry.local = (server.address() as { port: number }).port;
      servers.push(server);
      bound.push(entry);
    }
  } catch (err) {
    await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
    throw err;
  }

  const close = () => {
    closing ??= (async () => {
      signal?.removeEventListener("abort", onAbort);
      ctx.transport.signal.removeEventListener("abort", onAbort);
      const stopped = servers.map((s) => new Promise((r) => s.close(r)));
      const gone = [...sockets].map(
        (s) =>
          new Promise<void>((r) => {
            s.once("close", () => r());
            s.destroy();
          }),
      );
      await Promise.all([...stopped, ...gone]);
    })();
    return closing;
  };
  const onAbort = () => void close();
  signal?.addEventListener("abort", onAbort, { once: true });
  // The client's close() ends its listeners too: a closed client serves no new connection.
  ctx.transport.signal.addEventListener("abort", onAbort, { once: true });
  return { ports: bound, close };
}

/** `pods.portForward(...)` and `pods.portForward.connect(...)`; info may come from discovery. */
export function portForwardApi(ctx: ConnectContext, getInfo: () => Promise<ResourceInfo>) {
  return Object.assign(async (o: PortForwardOptions) => portForward(ctx, await getInfo(), o), {
    connect: async (o: PortForwardConnectOptions) => connectPort(ctx, await getInfo(), o),
  });
}
