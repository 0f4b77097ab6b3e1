// The review's finding with undici's real default: a followed log quiet for more than 300 s
// ended with UND_ERR_BODY_TIMEOUT. With the client's default options it must keep streaming.
// This test waits 5 minutes of silence on purpose (the shorter tests override the timeout).
import assert from "node:assert/strict";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { createConfig } from "../../src/index.js";

const QUIET_MS = 305_000; // undici's default body timeout is 300 s

it("a followed log quiet for longer than undici's default body timeout keeps streaming", {
  timeout: QUIET_MS + 60_000,
}, async () => {
  const server = createServer((_req, res) => {
    res.writeHead(200, { "content-type": "text/plain" }).write("before the silence\n");
    setTimeout(() => res.end("after the silence\n"), QUIET_MS);
  });
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const kube = createClient(createConfig({ server: url, env: {} }));
  const lines: string[] = [];
  for await (const line of kube.core.v1.pods.log({ namespace: "d", name: "p", follow: true }))
    lines.push(line);
  assert.deepEqual(lines, ["before the silence", "after the silence"]);
  await kube.close();
  server.closeAllConnections();
  server.close();
});
