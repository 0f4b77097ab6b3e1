import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, rmSync, statSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { archive, walk } from "../../src/connect/cp.js";
import { readTar, TarFormatError, tarEnd, tarEntry } from "../../src/connect/tar.js";
import { unpack } from "../../src/connect/unpack.js";

// cp streams both ways: a file's bytes pass through in chunks, never whole, so memory stays
// flat whatever the size (a 512 MiB file once raised peak memory by 1.5 GiB). Each case
// samples memory while its bytes flow and compares the peak with the start.
const MiB = 1024 * 1024;
const BOUND = 64 * MiB;
const CHUNK = Buffer.alloc(64 * 1024, "kubefetch ");

let base: string;
before(() => {
  base = mkdtempSync(join(tmpdir(), "kubefetch-cp-memory-"));
});
after(() => rmSync(base, { recursive: true, force: true }));

// Collections before each case until the ArrayBuffers freed settle (their memory is released
// after the collection, by a sweeper), so what an earlier case left is not counted as freed;
// and one every 64 samples, so what is measured is memory held, not garbage not yet collected.
setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Peak growth over the start, of heap + ArrayBuffers and of RSS, sampled by `sample()`. */
async function meter() {
  const now = () => process.memoryUsage();
  for (let last = Number.POSITIVE_INFINITY, i = 0; i < 10; i++) {
    gc();
    await new Promise((resolve) => setTimeout(resolve, 20));
    const buffers = now().arrayBuffers;
    if (buffers >= last) break;
    last = buffers;
  }
  const start = now();
  let heap = 0;
  let rss = 0;
  let samples = 0;
  return {
    sample() {
      if (++samples % 64 === 0) gc();
      const m = now();
      heap = Math.max(heap, m.heapUsed + m.arrayBuffers - start.heapUsed - start.arrayBuffers);
      rss = Math.max(rss, m.rss - start.rss);
    },
    get heap() {
      return heap;
    },
    get rss() {
      return rss;
    },
  };
}

/** A file entry's header announcing `size` bytes, whose content the caller sends. */
function fileHeader(name: string, size: number): Buffer {
  const header = Buffer.from(tarEntry({ name, type: "file", mode: 0o644, mtime: 0 })[0] as Buffer);
  header.write(`${size.toString(8).padStart(11, "0")}\0`, 124, 12, "latin1");
  header.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of header) sum += b;
  header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  return header;
}

/** `size` bytes made as they are asked for (one 64 KiB chunk sent again and again), sampling. */
async function* generated(size: number, sample: () => void): AsyncGenerator<Buffer> {
  for (let left = size; left > 0; left -= CHUNK.length) {
    sample();
    yield left >= CHUNK.length ? CHUNK : CHUNK.subarray(0, left);
  }
  sample();
}

const report = (t: TestContext, what: string, m: { heap: number; rss: number }) =>
  t.diagnostic(
    `${what}: heap+buffers +${(m.heap / MiB).toFixed(1)} MiB, rss +${(m.rss / MiB).toFixed(1)} MiB`,
  );

describe("cp memory: a file's bytes are streamed, not held", () => {
  it("a 256 MiB entry goes through readTar and unpack to disk with memory growing < 64 MiB", async (t) => {
    const size = 256 * MiB;
    const m = await meter();
    const dest = join(base, "big");
    async function* archive() {
      yield fileHeader("src", size);
      yield* generated(size, () => m.sample());
      yield tarEnd();
    }
    const r = await unpack(readTar(archive()), "src", dest);
    report(t, "readTar+unpack 256 MiB", m);
    assert.equal(r.bytes, size);
    assert.equal(statSync(dest).size, size);
    assert.ok(m.heap < BOUND, `heap + buffers grew by ${(m.heap / MiB).toFixed(1)} MiB`);
    assert.ok(m.rss < BOUND, `rss grew by ${(m.rss / MiB).toFixed(1)} MiB`);
    rmSync(dest);
  });

  it("a header claiming 8 GiB on a 128 MiB stream: a TarFormatError, the stream not buffered", async (t) => {
    const m = await meter();
    async function* archive() {
      yield fileHeader("src", 8 * 1024 * MiB - 1);
      yield* generated(128 * MiB, () => m.sample());
    }
    await assert.rejects(unpack(readTar(archive()), "src", join(base, "claimed")), TarFormatError);
    report(t, "readTar+unpack, 8 GiB claimed, 128 MiB sent", m);
    assert.ok(m.heap < BOUND, `heap + buffers grew by ${(m.heap / MiB).toFixed(1)} MiB`);
    assert.ok(m.rss < BOUND, `rss grew by ${(m.rss / MiB).toFixed(1)} MiB`);
  });
});

describe("cp memory: toPod's archive streams each file from disk", () => {
  // 512 MiB: readFile held it whole (and refuses files over 2 GiB); a bigger one only runs longer.
  it("a 512 MiB file is sent whole, with memory growing < 64 MiB", async (t) => {
    const size = 512 * MiB;
    const path = join(base, "sparse.bin");
    writeFileSync(path, "");
    truncateSync(path, size); // sparse: no disk used, read as zeros
    const m = await meter();
    async function* sent() {
      for await (const chunk of archive(await walk(path, "sparse.bin"))) {
        m.sample();
        yield chunk;
      }
    }
    // The sink is our own reader: what was sent also reads back as one file of that size.
    let read = 0;
    for await (const member of readTar(sent())) {
      assert.equal(member.header.name, "sparse.bin");
      assert.equal(member.header.size, size);
      for await (const c of member.content) read += c.length;
    }
    report(t, "archive of a 512 MiB file", m);
    assert.equal(read, size);
    assert.ok(m.heap < BOUND, `heap + buffers grew by ${(m.heap / MiB).toFixed(1)} MiB`);
    assert.ok(m.rss < BOUND, `rss grew by ${(m.rss / MiB).toFixed(1)} MiB`);
    rmSync(path);
  });

  for (const [how, change] of [
    ["shrank", (path: string) => truncateSync(path, 1000)],
    ["grew", (path: string) => appendFileSync(path, "more")],
  ] as const) {
    it(`a file that ${how} while it was sent is an error, not an archive that lies`, async () => {
      const path = join(base, `${how}.bin`);
      writeFileSync(path, Buffer.alloc(1024 * 1024, 1));
      let changed = false;
      await assert.rejects(
        async () => {
          for await (const chunk of archive(await walk(path, "f"))) {
            if (!changed && chunk.length > 512) {
              change(path);
              changed = true;
            }
          }
        },
        new RegExp(`changed while it was copied \\(it ${how}\\)`),
      );
      assert.ok(changed);
    });
  }
});
