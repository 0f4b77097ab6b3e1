import { execFile, spawn } from "node:child_process";
import { openSync, readFileSync, writeFileSync } from "node:fs";
import { type AddressInfo, connect, createServer, type Socket } from "node:net";
import { promisify } from "node:util";
import type { TestCluster } from "./cluster.js";

const run = promisify(execFile);

/** Kills the test kube-apiserver by PID and starts it again with the same flags (same ports, same etcd). */
export async function restartApiserver(c: TestCluster, downMs = 1000): Promise<void> {
  const pid = Number(readFileSync(c.apiserver.pidFile, "utf8"));
  process.kill(pid, "SIGKILL");
  for (let i = 0; i < 100; i++) {
    try {
      process.kill(pid, 0);
      await new Promise((r) => setTimeout(r, 50));
    } catch {
      break;
    }
  }
  await new Promise((r) => setTimeout(r, downMs));
  const args = readFileSync(c.apiserver.argsFile, "utf8").split("\n").filter(Boolean);
  const log = openSync(c.apiserver.log, "a");
  const child = spawn(c.apiserver.binary, args, { detached: true, stdio: ["ignore", log, log] });
  child.unref();
  // down.sh ends the cluster by this file.
  writeFileSync(c.apiserver.pidFile, String(child.pid));
  for (let i = 0; i < 300; i++) {
    const ok = await run("curl", [
      "-fsS",
      "--max-time",
      "2",
      "--cacert",
      c.ca,
      "-H",
      `Authorization: Bearer ${c.tokens.admin}`,
      `${c.server}/readyz`,
    ]).then(
      () => true,
      () => false,
    );
    if (ok) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error("kube-apiserver did not come back");
}

/** Compacts etcd at its current revision: older resourceVersions are gone (410 for watches). */
export async function compactEtcd(c: TestCluster): Promise<number> {
  const env = { ...process.env, ETCDCTL_API: "3" };
  const st = await run(c.etcd.etcdctl, ["--endpoints", c.etcd.endpoint, "endpoint", "status", "-w", "json"], {
    env,
  });
  const revision = (JSON.parse(st.stdout) as { Status: { header: { revision: number } } }[])[0]?.Status.header
    .revision as number;
  await run(c.etcd.etcdctl, ["--endpoints", c.etcd.endpoint, "compact", String(revision)], { env });
  return revision;
}

/**
 * A loopback TCP proxy of ours in front of the API server: it can cut every connection at
 * random moments, or refuse all traffic for a while (paused).
 */
export async function startTcpProxy(
  target: { host: string; port: number },
  opts: { cutMs?: [number, number] } = {},
) {
  const sockets = new Set<Socket>();
  let paused = false;
  let cuts = 0;
  const server = createServer((client) => {
    if (paused) return void client.destroy();
    const upstream = connect(target.port, target.host);
    const pair = [client, upstream];
    for (const s of pair) {
      sockets.add(s);
      s.on("error", () => {});
      s.on("close", () => {
        sockets.delete(s);
        for (const o of pair) o.destroy();
      });
    }
    client.pipe(upstream);
    upstream.pipe(client);
    if (opts.cutMs) {
      const [min, max] = opts.cutMs;
      setTimeout(
        () => {
          cuts++;
          client.destroy();
        },
        min + Math.random() * (max - min),
      ).unref();
    }
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  return {
    port: (server.address() as AddressInfo).port,
    cuts: () => cuts,
    pause() {
      paused = true;
      for (const s of sockets) s.destroy();
    },
    resume() {
      paused = false;
    },
    close: () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  };
}
