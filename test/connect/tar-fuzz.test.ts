import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readTar, type TarEntry, TarFormatError, tarEnd, tarEntry } from "../../src/connect/tar.js";
import { unpack } from "../../src/connect/unpack.js";
import { fc, fuzz, mutated, pieces } from "../helpers/fuzz.js";
import { linksLeadingOut } from "../helpers/links-out.js";

// A pod's tar is untrusted bytes: random ones, and valid archives (names that climb, links
// that loop or lead out, long names) with bytes overwritten, cut or inserted, fed in random
// pieces. No case may hang, throw anything but a TarFormatError, or grow memory; unpacked,
// none may leave a link that leads out of the destination or a file beside it.

let base: string;
before(() => {
  base = mkdtempSync(join(tmpdir(), "kubefetch-tar-fuzz-"));
});
after(() => rmSync(base, { recursive: true, force: true }));

const part = fc.constantFrom("src", "a", "b", "d", ".", "..", "etc", "", "x".repeat(120));
const path = fc.array(part, { minLength: 1, maxLength: 5 }).map((p) => p.join("/"));
const entry: fc.Arbitrary<TarEntry> = fc
  .record({
    name: fc.oneof(
      path.map((p) => `src/${p}`),
      path,
    ),
    type: fc.constantFrom("file", "directory", "symlink", "hardlink"),
    mode: fc.integer({ min: 0, max: 0o7777 }),
    mtime: fc.integer({ min: 0, max: 2 ** 33 }),
    data: fc.uint8Array({ maxLength: 1500 }),
    linkname: fc.oneof(
      path,
      path.map((p) => `/${p}`),
      path.map((p) => `src/${p}`),
    ),
  })
  .map(({ data, linkname, ...e }) =>
    e.type === "file" ? { ...e, data } : e.type === "directory" ? e : { ...e, linkname },
  );
const archive = fc
  .array(entry, { maxLength: 10 })
  .map((es) => new Uint8Array(Buffer.concat([...es.flatMap((e) => tarEntry(e)), tarEnd()])));
// Folders, files and links at a few names only, their targets hops through d and e (often
// "." itself), so that links through links (d -> ., a ".." after one, a link to one made
// later) come up in most cases, unmutated.
const hops = fc
  .array(fc.constantFrom("d", "e", ".", ".."), { minLength: 1, maxLength: 3 })
  .map((p) => p.join("/"));
const linkMaze = fc
  .array(
    fc.record({
      name: fc.constantFrom("src/d", "src/e", "src/d/e", "src/e/d", "src/e/e"),
      type: fc.constantFrom("directory", "symlink", "symlink", "file"),
      to: fc.oneof(
        fc.constantFrom(".", ".."),
        hops,
        hops.map((h) => `${h}/outside`),
      ),
    }),
    { maxLength: 12 },
  )
  .map((es) => {
    const all = es.map(
      ({ name, type, to }): TarEntry =>
        type === "symlink"
          ? { name, type, mode: 0o777, mtime: 0, linkname: to }
          : { name, type, mode: 0o755, mtime: 0, ...(type === "file" ? { data: Buffer.from("pod") } : {}) },
    );
    return new Uint8Array(Buffer.concat([...all.flatMap((e) => tarEntry(e)), tarEnd()]));
  });
const cuts = fc.array(fc.integer({ min: 1, max: 1400 }), { maxLength: 12 });

/** Reads every member, its content in full or (every other one) left for the reader to skip. */
async function drain(bytes: Uint8Array, cut: number[]): Promise<void> {
  let i = 0;
  for await (const m of readTar(pieces(bytes, cut))) {
    if (i++ % 2) continue;
    for await (const _ of m.content) {
    }
  }
}

/** What is beside the destination in `holder`, and the links in it that lead out on disk. */
function escapes(holder: string): string[] {
  if (!existsSync(holder)) return [];
  const out = readdirSync(holder).filter((n) => n !== "dest" && n !== "outside");
  if (existsSync(join(holder, "outside")) && readFileSync(join(holder, "outside"), "utf8") !== "host")
    out.push("outside was written");
  const root = join(holder, "dest");
  if (lstatSync(root, { throwIfNoEntry: false })?.isDirectory()) out.push(...linksLeadingOut(root));
  return out;
}

let n = 0;
/** Unpacks into a fresh folder beside a file `outside`, then checks nothing escaped. */
async function unpackChecked([bytes, cut]: [Uint8Array, number[]]): Promise<void> {
  const holder = join(base, String(n++));
  const dest = join(holder, "dest");
  mkdirSync(holder);
  writeFileSync(join(holder, "outside"), "host");
  try {
    await unpack(readTar(pieces(bytes, cut)), "src", dest);
  } finally {
    const out = escapes(holder);
    rmSync(holder, { recursive: true, force: true });
    assert.deepEqual(out, []);
  }
}

describe("tar fuzz: untrusted bytes end in a TarFormatError or an archive read, nothing else", () => {
  it("readTar on random bytes in random pieces", async (t) => {
    const cases = await fuzz(fc.tuple(fc.uint8Array({ maxLength: 4096 }), cuts), ([b, c]) => drain(b, c), {
      seconds: 1,
      expected: [TarFormatError],
    });
    t.diagnostic(`readTar, random bytes: ${cases} cases`);
  });

  it("readTar on mutated valid archives in random pieces", async (t) => {
    const cases = await fuzz(fc.tuple(mutated(archive), cuts), ([b, c]) => drain(b, c), {
      seconds: 1.5,
      expected: [TarFormatError],
    });
    t.diagnostic(`readTar, mutated archives: ${cases} cases`);
  });

  it("readTar + unpack on mutated valid archives: no link out of the destination, nothing beside it", async (t) => {
    const cases = await fuzz(fc.tuple(mutated(archive), cuts), unpackChecked, {
      seconds: 1.5,
      expected: [TarFormatError],
    });
    t.diagnostic(`readTar + unpack, mutated archives: ${cases} cases`);
  });

  it("unpack of mazes of links: none left that leads out on disk", async (t) => {
    const cases = await fuzz(fc.tuple(linkMaze, cuts), unpackChecked, {
      seconds: 1,
      expected: [TarFormatError],
    });
    t.diagnostic(`readTar + unpack, link mazes: ${cases} cases`);
  });
});
