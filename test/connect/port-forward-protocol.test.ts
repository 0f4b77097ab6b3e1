// The port-forward protocol's rules (v4.channel.k8s.io, as the 1.20 kubelet speaks it), without sockets.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  channelsOf,
  PortForwardDemux,
  PortForwardError,
  portForwardQuery,
} from "../../src/connect/port-forward-protocol.js";

const le = (port: number) => Buffer.from([port & 0xff, port >> 8]);

describe("port-forward protocol", () => {
  it("ports go in the query, one `ports` each; port i has data channel 2i and error channel 2i+1", () => {
    assert.deepEqual(portForwardQuery([8080, 9090]), { ports: [8080, 9090] });
    assert.deepEqual([0, 1, 2].map(channelsOf), [
      { data: 0, error: 1 },
      { data: 2, error: 3 },
      { data: 4, error: 5 },
    ]);
  });

  it("a port that is not an integer 1-65535, or no port at all, is refused", () => {
    for (const bad of [0, -1, 65_536, 1.5, Number.NaN, "80" as unknown as number]) {
      assert.throws(
        () => portForwardQuery([bad]),
        /must be an integer 1-65535; nothing was sent/,
        String(bad),
      );
    }
    assert.throws(() => portForwardQuery([]), /at least one port/);
  });

  it("each channel's first 2 bytes are its port, little-endian, and are not data", () => {
    const d = new PortForwardDemux([8080]);
    assert.deepEqual(d.accept(0, le(8080)), []);
    assert.deepEqual(d.accept(1, le(8080)), []);
    assert.deepEqual(d.accept(0, Buffer.from("hello")), [
      { type: "data", index: 0, data: Buffer.from("hello") },
    ]);
    // Later frames are all data, even ones that look like a header.
    assert.deepEqual(d.accept(0, le(8080)), [{ type: "data", index: 0, data: le(8080) }]);
  });

  it("a header split over two frames, or sharing a frame with data, is still taken off", () => {
    const d = new PortForwardDemux([443, 8080]);
    assert.deepEqual(d.accept(2, le(8080).subarray(0, 1)), []);
    assert.deepEqual(d.accept(2, Buffer.concat([le(8080).subarray(1), Buffer.from("ab")])), [
      { type: "data", index: 1, data: Buffer.from("ab") },
    ]);
    assert.deepEqual(d.accept(0, Buffer.concat([le(443), Buffer.from("x")])), [
      { type: "data", index: 0, data: Buffer.from("x") },
    ]);
  });

  it("a header naming another port, or a channel no port has, breaks the protocol: a PortForwardError", () => {
    assert.throws(
      () => new PortForwardDemux([8080]).accept(0, le(9090)),
      (e: unknown) =>
        e instanceof PortForwardError && e.reason === "stream" && /names port 9090, not 8080/.test(e.message),
    );
    assert.throws(
      () => new PortForwardDemux([8080]).accept(2, le(8080)),
      (e: unknown) => e instanceof PortForwardError && /channel 2/.test(e.message),
    );
  });

  it("text on the error channel is the kubelet's reason: one typed error with port and message, reported once", () => {
    const d = new PortForwardDemux([8080]);
    d.accept(1, le(8080));
    const msg = "error forwarding port 8080 to pod abc: dial tcp 127.0.0.1:8080: connect: connection refused";
    const [ev, ...rest] = d.accept(1, Buffer.from(msg));
    assert.equal(rest.length, 0);
    assert.equal(ev?.type, "error");
    const err = ev?.type === "error" ? ev.error : undefined;
    assert.ok(err instanceof PortForwardError);
    assert.equal(err.port, 8080);
    assert.equal(err.reason, "remote");
    assert.equal(err.message, `port-forward to port 8080: ${msg}`);
    assert.deepEqual(d.accept(1, Buffer.from(" more")), []);
    assert.deepEqual(d.end(), []);
  });

  it("an empty error channel reports nothing at the end; whitespace alone is no error", () => {
    const d = new PortForwardDemux([80]);
    d.accept(1, le(80));
    d.accept(1, Buffer.from("\n"));
    assert.deepEqual(d.end(), []);
  });
});
