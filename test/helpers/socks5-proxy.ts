import { type AddressInfo, connect, createServer, type Socket } from "node:net";

/**
 * A loopback SOCKS5 proxy of ours (RFC 1928, no authentication, CONNECT only) that counts
 * the tunnels it opens and the targets asked for. Enough to prove a client goes through it.
 */
export async function startSocks5Proxy(): Promise<{
  url: string;
  targets: string[];
  close: () => Promise<void>;
}> {
  const targets: string[] = [];
  const sockets = new Set<Socket>();
  const server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => {});
    let buf = Buffer.alloc(0);
    let stage: "greeting" | "request" | "piped" = "greeting";
    const onData = (chunk: Buffer) => {
      buf = Buffer.concat([buf, chunk]);
      if (stage === "greeting") {
        if (buf.length < 2 || buf.length < 2 + (buf[1] as number)) return;
        buf = buf.subarray(2 + (buf[1] as number));
        client.write(Buffer.from([5, 0])); // no authentication
        stage = "request";
      }
      if (stage === "request") {
        if (buf.length < 5) return;
        const atyp = buf[3];
        const hostLen = atyp === 1 ? 4 : atyp === 4 ? 16 : 1 + (buf[4] as number);
        if (buf.length < 4 + hostLen + 2) return;
        const host =
          atyp === 1
            ? [...buf.subarray(4, 8)].join(".")
            : atyp === 3
              ? buf.subarray(5, 5 + (buf[4] as number)).toString()
              : "::1";
        const port = buf.readUInt16BE(4 + hostLen);
        const rest = buf.subarray(4 + hostLen + 2);
        stage = "piped";
        client.off("data", onData);
        targets.push(`${host}:${port}`);
        const upstream = connect(port, host, () => {
          client.write(Buffer.from([5, 0, 0, 1, 0, 0, 0, 0, 0, 0]));
          if (rest.length) upstream.write(rest);
          upstream.pipe(client);
          client.pipe(upstream);
        });
        sockets.add(upstream);
        upstream.on("close", () => sockets.delete(upstream));
        upstream.on("error", () => client.destroy());
      }
    };
    client.on("data", onData);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `socks5://127.0.0.1:${(server.address() as AddressInfo).port}`,
    targets,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
