// The runtime floors: a release below one is refused with its name and version, the reason
// said; one at or above it passes. (test/runtimes runs the releases themselves.)
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { checkRuntime, currentRuntime, UnsupportedRuntimeError } from "../../src/transport/runtime.js";

const refused = (feature: "transport" | "port-forward", name: "node" | "bun" | "deno", version: string) => {
  try {
    checkRuntime(feature, { name, version });
    return undefined;
  } catch (e) {
    assert.ok(e instanceof UnsupportedRuntimeError);
    assert.deepEqual(e.runtime, { name, version });
    return e.message;
  }
};

describe("runtime floors", () => {
  it("Deno before 2.8 is refused for everything, naming itself and why", () => {
    assert.equal(
      refused("transport", "deno", "2.7.1"),
      "kubefetch needs Deno 2.8.0 or later: Deno 2.7.1 does not send TLS client certificates through node:tls",
    );
    assert.match(refused("transport", "deno", "2.0.0") ?? "", /Deno 2\.0\.0/);
    assert.equal(refused("transport", "deno", "2.8.0"), undefined);
    assert.equal(refused("transport", "deno", "2.10.0"), undefined);
    assert.equal(refused("transport", "deno", "3.0.0"), undefined);
  });

  it("Bun before 1.4 is refused for port-forward only", () => {
    assert.equal(
      refused("port-forward", "bun", "1.3.14"),
      "port-forward needs Bun 1.4.0 or later: Bun 1.3.14 drops the bytes a local client sends before the tunnel is open",
    );
    assert.equal(refused("transport", "bun", "1.3.0"), undefined);
    assert.equal(refused("port-forward", "bun", "1.4.0"), undefined);
    assert.equal(refused("port-forward", "bun", "1.10.2"), undefined);
  });

  it("Node has no floor here (engines says >= 20.19)", () => {
    assert.equal(refused("transport", "node", "20.19.0"), undefined);
    assert.equal(refused("port-forward", "node", "24.1.0"), undefined);
  });

  it("this process is Node, by its own globals", () => {
    assert.deepEqual(currentRuntime(), { name: "node", version: process.versions.node });
  });
});
