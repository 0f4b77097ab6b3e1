import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { LineSplitter, LineTooLongError, lines } from "../../src/client/lines.js";

async function* chunks(buf: Buffer, size: number) {
  for (let i = 0; i < buf.length; i += size) yield buf.subarray(i, i + size);
}

describe("line splitting of watch and log streams", () => {
  it("reassembles a 10 MiB object split across 64 KiB chunks, between small ones", async () => {
    const big = JSON.stringify({ type: "ADDED", object: { data: { blob: "x".repeat(10 << 20) } } });
    const stream = Buffer.from(`{"a":1}\n${big}\n{"b":2}\npartial-end`);
    const out: string[] = [];
    for await (const l of lines(chunks(stream, 65_536))) out.push(l.toString());
    assert.equal(out.length, 4);
    assert.equal(out[0], '{"a":1}');
    assert.equal(out[1]?.length, big.length);
    assert.equal(JSON.parse(out[1] as string).object.data.blob.length, 10 << 20);
    assert.deepEqual(out.slice(2), ['{"b":2}', "partial-end"]);
  });

  it("holds only the partial line: a stream that never ends a line hits the cap instead of eating memory", () => {
    const s = new LineSplitter(1 << 20);
    const chunk = Buffer.alloc(256 << 10, 0x61);
    assert.throws(() => {
      for (let i = 0; i < 8; i++) s.push(chunk);
    }, LineTooLongError);
  });

  it("drops empty lines and keeps multi-byte characters split across chunks intact", () => {
    const s = new LineSplitter();
    const text = Buffer.from("\n\nzürich\n");
    const cut = text.indexOf(0xc3) + 1; // inside the two-byte ü
    const got = [...s.push(text.subarray(0, cut)), ...s.push(text.subarray(cut))].map((b) => b.toString());
    assert.deepEqual(got, ["zürich"]);
  });
});
