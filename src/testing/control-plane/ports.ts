// Free loopback ports, as test/cluster/up.sh picks them: bind port 0 on 127.0.0.1 for each at
// once (so they differ), read the port, close. Another process can take one before the binary
// binds it; the caller then picks again (see isBindRace).

import { createServer, type Server } from "node:net";

/** `n` distinct TCP ports free on 127.0.0.1 now. */
export async function freeLoopbackPorts(n: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from(
      { length: n },
      () =>
        new Promise<Server>((resolve, reject) => {
          const s = createServer();
          s.once("error", reject);
          s.listen(0, "127.0.0.1", () => resolve(s));
        }),
    ),
  );
  const ports = servers.map((s) => {
    const a = s.address();
    if (a === null || typeof a === "string") throw new Error("ports: no TCP address");
    return a.port;
  });
  await Promise.all(servers.map((s) => new Promise<void>((r) => s.close(() => r()))));
  return ports;
}

/** Whether a log says a port was taken: Go's "bind: address already in use" (EADDRINUSE). */
export function isBindRace(log: string): boolean {
  return /address already in use/i.test(log);
}
