import { readFileSync } from "node:fs";
import { createServer, type IncomingHttpHeaders, type Server } from "node:http";
import { Agent, request } from "node:https";
import type { AddressInfo, Socket } from "node:net";
import type { TestCluster } from "./cluster.js";

export interface Forwarded {
  method: string;
  path: string;
  accept: string | undefined;
  /** The server's answer: its status and Content-Type. */
  status: number;
  contentType: string | undefined;
}

// Per connection, not end to end (RFC 9110 7.6.1): the proxy's own to set.
const HOP_BY_HOP = ["connection", "keep-alive", "transfer-encoding", "upgrade", "proxy-connection"];
const endToEnd = (h: IncomingHttpHeaders) => {
  const out = { ...h };
  for (const k of HOP_BY_HOP) delete out[k];
  return out;
};

/**
 * A loopback HTTP reverse proxy of ours in front of the real API server: each request goes on
 * as it came (method, path, headers, body) over TLS as the cluster's admin, each answer comes
 * back as it is, and `seen` lists what was forwarded. A client given its http:// URL and no
 * credentials talks to the real server, and every request it sends is counted.
 */
export async function startRecordingProxy(cluster: TestCluster) {
  const target = new URL(cluster.server);
  const agent = new Agent({
    keepAlive: true,
    ca: readFileSync(cluster.ca),
    cert: readFileSync(cluster.certs.admin.cert),
    key: readFileSync(cluster.certs.admin.key),
  });
  const seen: Forwarded[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req, res) => {
    const up = request(
      {
        agent,
        host: target.hostname,
        port: target.port,
        method: req.method,
        path: req.url,
        headers: { ...endToEnd(req.headers), host: target.host },
      },
      (answer) => {
        seen.push({
          method: req.method ?? "",
          path: req.url ?? "",
          accept: req.headers.accept,
          status: answer.statusCode ?? 0,
          contentType: answer.headers["content-type"],
        });
        res.writeHead(answer.statusCode ?? 502, endToEnd(answer.headers));
        answer.pipe(res);
      },
    );
    up.on("error", () => res.destroy());
    req.pipe(up);
  });
  server.on("connection", (s: Socket) => {
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    seen,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        agent.destroy();
        server.close(() => r());
      }),
  };
}
