import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  readTar,
  type TarEntry,
  TarFormatError,
  type TarMember,
  tarEnd,
  tarEntry,
} from "../../src/connect/tar.js";
import { file } from "./tar-entries.js";

// The header fields a pod's tar writes, read as GNU tar and Go's archive/tar read them: a field
// that is not a number is an error that names its entry, never a silent end of the archive.

const FIELDS = {
  mode: [100, 8],
  mtime: [136, 12],
  size: [124, 12],
  checksum: [148, 8],
  flag: [156, 1],
} as const;

/** The entry's blocks with one header field overwritten, the checksum made right again. */
function patched(e: TarEntry, field: keyof typeof FIELDS, value: string | Buffer): Buffer[] {
  const blocks = tarEntry(e);
  const header = Buffer.from(blocks[0] as Buffer);
  const [at, len] = FIELDS[field];
  header.fill(0, at, at + len);
  (typeof value === "string" ? Buffer.from(value, "latin1") : value).copy(header, at, 0, len);
  if (field !== "checksum") {
    header.fill(0x20, 148, 156);
    let sum = 0;
    for (const b of header) sum += b;
    header.write(`${sum.toString(8).padStart(6, "0")}\0 `, 148, 8, "latin1");
  }
  return [header, ...blocks.slice(1)];
}

async function* bytes(blocks: Buffer[]) {
  yield Buffer.concat([...blocks, tarEnd()]);
}

/** Every entry's name and content, read in full. */
async function read(blocks: Buffer[]): Promise<[string, string][]> {
  const out: [string, string][] = [];
  for await (const m of readTar(bytes(blocks))) {
    const parts: Buffer[] = [];
    for await (const c of m.content) parts.push(Buffer.from(c));
    out.push([m.header.name, Buffer.concat(parts).toString()]);
  }
  return out;
}

const rejectsNaming = (blocks: Buffer[], entry: string, what: RegExp) =>
  assert.rejects(read(blocks), (e: unknown) => {
    assert.ok(e instanceof TarFormatError, String(e));
    assert.equal(e.entry, entry);
    assert.match(e.message, new RegExp(`"${entry}"`));
    assert.match(e.message, what);
    return true;
  });

describe("tar: numeric header fields", () => {
  it("a size that is not octal is a TarFormatError naming the entry, not the end of the archive", async () => {
    await rejectsNaming(
      [...patched(file("a", "alpha"), "size", "12x"), ...tarEntry(file("b", "beta"))],
      "a",
      /size/,
    );
  });

  for (const field of ["mode", "mtime", "checksum"] as const) {
    it(`a ${field} that is not octal is a TarFormatError naming the entry`, async () => {
      await rejectsNaming(patched(file("f", "x"), field, "0008"), "f", new RegExp(field));
    });
  }

  it("a wrong checksum names the entry", async () => {
    await rejectsNaming(patched(file("f", "x"), "checksum", "0000001\0"), "f", /checksum/);
  });

  it("spaces and NULs around the digits, as GNU, busybox and old tars write them, are padding", async () => {
    const blocks = [
      ...patched(file("lead", "x"), "mode", "   644 \0"),
      ...patched(file("nul", "yy"), "mtime", Buffer.alloc(12)),
      ...patched(file("spaced", "zzz"), "size", "          3 "),
      ...patched(file("tail", "w"), "size", "1\0garbage"),
    ];
    assert.deepEqual(await read(blocks), [
      ["lead", "x"],
      ["nul", "yy"],
      ["spaced", "zzz"],
      ["tail", "w"],
    ]);
  });

  it("base-256 numbers (GNU, for sizes of 8 GiB and more) are read", async () => {
    const size = Buffer.alloc(12);
    size[0] = 0x80;
    size[11] = 5;
    assert.deepEqual(await read(patched(file("big", "12345"), "size", size)), [["big", "12345"]]);
  });

  it("a size of 8 GiB and more is written in base-256 and reads back", async () => {
    const size = 10 * 1024 ** 3 + 7;
    const header = tarEntry({ name: "huge", type: "file", mode: 0o644, mtime: 0, size });
    assert.equal((header[0] as Buffer)[124], 0x80);
    for await (const m of readTar(bytes(header))) {
      assert.equal(m.header.size, size);
      break;
    }
  });

  it("a negative size is a TarFormatError naming the entry", async () => {
    await rejectsNaming(patched(file("neg", "x"), "size", Buffer.alloc(12, 0xff)), "neg", /size/);
  });

  it("a size beyond what a byte count can hold is a TarFormatError naming the entry", async () => {
    const huge = Buffer.alloc(12);
    huge[0] = 0x80;
    huge[3] = 1; // 2^64
    await rejectsNaming(patched(file("huge", "x"), "size", huge), "huge", /size/);
  });

  it("the name of a long-named entry is the one an error gives", async () => {
    const long = `d/${"n".repeat(150)}`;
    const blocks = tarEntry(file(long, "x"));
    // tarEntry wrote the GNU long-name entry first: the real header is the fourth block.
    const real = patched({ ...file(long.slice(0, 99), "x") }, "mode", "9");
    await rejectsNaming([...blocks.slice(0, 3), ...real], long, /mode/);
  });
});

describe("tar: each member's content is streamed", () => {
  it("content left unread is skipped: the next member reads right", async () => {
    const blocks = [...tarEntry(file("a", "A".repeat(3000))), ...tarEntry(file("b", "beta"))];
    const seen: string[] = [];
    for await (const m of readTar(bytes(blocks))) {
      if (m.header.name === "a") continue;
      for await (const c of m.content) seen.push(c.toString());
    }
    assert.deepEqual(seen, ["beta"]);
  });

  it("content arrives in the source's pieces, never gathered whole", async () => {
    const all = Buffer.concat([...tarEntry(file("a", "x".repeat(5000))), tarEnd()]);
    async function* pieces() {
      for (let i = 0; i < all.length; i += 1000) yield all.subarray(i, i + 1000);
    }
    const sizes: number[] = [];
    for await (const m of readTar(pieces())) for await (const c of m.content) sizes.push(c.length);
    assert.ok(Math.max(...sizes) <= 1000, `${sizes}`);
    assert.equal(
      sizes.reduce((a, b) => a + b),
      5000,
    );
  });

  it("content read after the next member was asked for is an error, not another entry's bytes", async () => {
    const members: TarMember[] = [];
    for await (const m of readTar(bytes([...tarEntry(file("a", "alpha")), ...tarEntry(file("b", "beta"))])))
      members.push(m);
    await assert.rejects(async () => {
      for await (const _ of (members[0] as TarMember).content) {
      }
    }, /after the next member/);
  });

  it("an archive that ends inside a member's content: a TarFormatError naming it", async () => {
    const all = Buffer.concat(tarEntry(file("cut", "x".repeat(2000))));
    async function* cut() {
      yield all.subarray(0, 1200);
    }
    await assert.rejects(
      async () => {
        for await (const m of readTar(cut()))
          for await (const _ of m.content) {
          }
      },
      (e: unknown) => e instanceof TarFormatError && e.entry === "cut",
    );
  });

  it("a pax size record gives the size (bsdtar's way for files of 8 GiB and more)", async () => {
    const record = "11 size=10\n";
    const pax = patched(file("PaxHeader/f", record), "flag", "x");
    const real = patched(file("f", "0123456789"), "size", "0");
    assert.deepEqual(
      await read([...pax, ...real.slice(0, 1), Buffer.from("0123456789"), Buffer.alloc(502)]),
      [["f", "0123456789"]],
    );
  });
});
