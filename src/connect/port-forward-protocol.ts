// The port-forward protocol over WebSocket (v4.channel.k8s.io), as the kubelet speaks it
// (measured on the 1.20 and current test nodes): `?ports=A&ports=B` names the ports; port i has data
// channel 2i and error channel 2i+1; the server's first bytes on each channel are the port,
// 2 bytes little-endian; afterwards the data channel carries the bytes, and any text on the
// error channel is the kubelet's reason the forward failed ("connection refused", ...).
// Pure logic: no sockets here, so every rule has a unit test.

export const PORT_FORWARD_PROTOCOL = "v4.channel.k8s.io";

/** A port-forward that failed: the kubelet's own message, or the stream broke. */
export class PortForwardError extends Error {
  /** "PortForwardError", as stack traces show it. */
  override readonly name = "PortForwardError";
  /** The pod's port. */
  readonly port: number;
  /** "remote": the kubelet reported it (nothing listening, ...); "stream": the connection broke or the protocol was not kept. */
  readonly reason: "remote" | "stream";
  constructor(
    port: number,
    reason: PortForwardError["reason"],
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`port-forward to port ${port}: ${message}`, options);
    this.port = port;
    this.reason = reason;
  }
}

/** A port as the API takes it: an integer 1-65535. Anything else is the caller's mistake, said before anything is sent. */
export function checkPort(port: unknown, what = "port"): number {
  if (typeof port !== "number" || !Number.isInteger(port) || port < 1 || port > 65_535) {
    throw new TypeError(
      `port-forward: ${what} ${JSON.stringify(port)} must be an integer 1-65535; nothing was sent`,
    );
  }
  return port;
}

/** The query of a forward: each port its own `ports=` (PodPortForwardOptions.ports). */
export function portForwardQuery(ports: readonly number[]): { ports: number[] } {
  if (ports.length === 0) throw new TypeError("port-forward: at least one port is needed; nothing was sent");
  return { ports: ports.map((p) => checkPort(p)) };
}

/** Data and error channel of the i-th port. */
export function channelsOf(index: number): { data: number; error: number } {
  return { data: 2 * index, error: 2 * index + 1 };
}

export type PortForwardEvent =
  | { type: "data"; index: number; data: Buffer }
  | { type: "error"; index: number; error: PortForwardError };

/**
 * Reads the server's frames for a forward of `ports`: strips each channel's 2-byte port
 * header (checking it names the expected port; the header may arrive in pieces or share a
 * frame with data) and turns the error channel's text into a PortForwardError. The error text
 * may come in several frames: `end()` reports what was collected when the connection ends.
 */
export class PortForwardDemux {
  private readonly ports: readonly number[];
  /** Per channel: header bytes still expected (2, 1 or 0), and the first byte when split. */
  private readonly pending: number[];
  private readonly firstByte: number[];
  private readonly errorText: string[];
  private readonly reported: boolean[];

  constructor(ports: readonly number[]) {
    this.ports = ports;
    this.pending = ports.flatMap(() => [2, 2]);
    this.firstByte = ports.flatMap(() => [0, 0]);
    this.errorText = ports.map(() => "");
    this.reported = ports.map(() => false);
  }

  /** One frame from the server: its channel and payload. Throws PortForwardError when it breaks the protocol. */
  accept(channel: number, payload: Buffer): PortForwardEvent[] {
    const index = channel >> 1;
    const port = this.ports[index];
    if (port === undefined) {
      throw new PortForwardError(
        this.ports[0] ?? 0,
        "stream",
        `the server sent on channel ${channel}, which no port has`,
      );
    }
    let data = payload;
    const need = this.pending[channel] as number;
    if (need > 0) {
      const take = Math.min(need, data.length);
      if (need === 2 && take === 2) this.checkHeader(index, data.readUInt16LE(0));
      else if (need === 2 && take === 1) this.firstByte[channel] = data[0] as number;
      else if (need === 1 && take === 1)
        this.checkHeader(index, (this.firstByte[channel] as number) | ((data[0] as number) << 8));
      this.pending[channel] = need - take;
      data = data.subarray(take);
    }
    if (data.length === 0) return [];
    if (channel === channelsOf(index).data) return [{ type: "data", index, data }];
    this.errorText[index] += data.toString("utf8");
    // The kubelet writes its message in one piece; report it at once so a caller is not kept waiting.
    return this.report(index);
  }

  /** The connection ended: a partial error text not yet reported is reported now. */
  end(): PortForwardEvent[] {
    return this.ports.flatMap((_, i) => this.report(i));
  }

  private report(index: number): PortForwardEvent[] {
    const text = (this.errorText[index] as string).trim();
    if (!text || this.reported[index]) return [];
    this.reported[index] = true;
    return [
      { type: "error", index, error: new PortForwardError(this.ports[index] as number, "remote", text) },
    ];
  }

  private checkHeader(index: number, got: number): void {
    const port = this.ports[index] as number;
    if (got !== port) {
      throw new PortForwardError(
        port,
        "stream",
        `the server's channel header names port ${got}, not ${port}`,
      );
    }
  }
}
