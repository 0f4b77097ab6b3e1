// The watch line splitter and the watch decoder on random and mutated input (#25's
// acceptance): lines come out as a split of the whole stream would give them, however the
// stream is cut; garbage ends a watch with a WatchError, never a crash, a hang or a replay.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createClient } from "kubefetch/generated/kubernetes-1.36";
import { LineSplitter, LineTooLongError } from "../../src/client/lines.js";
import { createConfig, KubeError, WatchError } from "../../src/index.js";
import { fakeApiserver } from "../helpers/fake-apiserver.js";
import { fc, fuzz, mutated } from "../helpers/fuzz.js";

const event = fc
  .record({
    type: fc.constantFrom("ADDED", "MODIFIED", "DELETED", "BOOKMARK", "ERROR"),
    name: fc.string({ maxLength: 12 }),
    rv: fc.nat(),
  })
  .map(({ type, name, rv }) =>
    JSON.stringify(
      type === "ERROR"
        ? { type, object: { kind: "Status", code: 500, reason: "InternalError", message: name } }
        : { type, object: { metadata: { name, resourceVersion: String(rv) } } },
    ),
  );
const stream = fc
  .array(event, { maxLength: 8 })
  .map((lines) => Buffer.from(lines.map((l) => `${l}\n`).join("")));

describe("LineSplitter under fuzzing", () => {
  it("any bytes cut anywhere: the lines a split of the whole gives, or LineTooLongError", async () => {
    const cases = await fuzz(
      fc.tuple(
        fc.oneof(fc.uint8Array({ maxLength: 400 }), mutated(stream)),
        fc.array(fc.nat({ max: 64 }), { maxLength: 20 }),
      ),
      ([bytes, cuts]) => {
        const s = new LineSplitter(128);
        const got: string[] = [];
        let at = 0;
        for (const c of [...cuts, bytes.length]) {
          const piece = bytes.subarray(at, at + Math.max(1, c));
          at += piece.length;
          for (const l of s.push(piece)) got.push(l.toString("latin1"));
          if (at >= bytes.length) break;
        }
        const rest = s.end();
        if (rest) got.push(rest.toString("latin1"));
        const want = Buffer.from(bytes)
          .toString("latin1")
          .split("\n")
          .filter((l) => l.length > 0);
        assert.deepEqual(got, want);
      },
      { seconds: 2, expected: [LineTooLongError] },
    );
    assert.ok(cases > 100, `${cases} cases`);
  });
});

describe("a watch fed random and mutated streams", () => {
  it("ends with its events and a typed error or a clean resume, within its deadline, memory bounded", async () => {
    let body: Buffer = Buffer.alloc(0);
    const s = await fakeApiserver((_req, res) => {
      res.writeHead(200, { "content-type": "application/json" });
      res.end(body);
    });
    const kube = createClient(createConfig({ server: s.url, env: {} }), {
      retry: { maxRetries: 0 },
      onWarning: () => {},
    });
    const cases = await fuzz(
      fc.oneof(mutated(stream), fc.uint8Array({ maxLength: 300 })),
      async (bytes) => {
        body = Buffer.from(bytes);
        const stop = new AbortController();
        let n = 0;
        // A stream that ends is resumed: a few connections' worth is enough to see a replay loop.
        const seen = s.seen.length;
        const enough = setTimeout(() => stop.abort(), 200);
        try {
          for await (const _ev of kube.core.v1.configmaps.watch({
            namespace: "d",
            signal: stop.signal,
            reconnectBackoff: { minMs: 1, maxMs: 2 },
          })) {
            if (++n > 64) break;
            if (s.seen.length - seen > 2) stop.abort();
          }
        } finally {
          clearTimeout(enough);
          stop.abort();
        }
      },
      { seconds: 4, caseMs: 3000, expected: [WatchError, KubeError] },
    );
    assert.ok(cases > 10, `${cases} cases`);
    await kube.close();
    await s.close();
  });
});
