import assert from "node:assert/strict";
import { existsSync, lstatSync, mkdtempSync, readFileSync, readlinkSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { readTar, type TarEntry, TarFormatError, tarEnd, tarEntry } from "../../src/connect/tar.js";
import { destinationOf, unpack } from "../../src/connect/unpack.js";

// A tar from a pod is untrusted: each refusal kubectl's CVE fixes made, on an archive built here.
let base: string;
let dest: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "kubefetch-unpack-"));
  dest = join(base, "dest");
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

const file = (name: string, text: string): TarEntry => ({
  name,
  type: "file",
  mode: 0o644,
  mtime: 1_700_000_000,
  data: Buffer.from(text),
});
const dir = (name: string): TarEntry => ({ name, type: "directory", mode: 0o755, mtime: 1_700_000_000 });
const link = (name: string, to: string, type: "symlink" | "hardlink" = "symlink"): TarEntry => ({
  name,
  type,
  mode: 0o777,
  mtime: 1_700_000_000,
  linkname: to,
});

async function* chunks(entries: TarEntry[], size = 700) {
  const all = Buffer.concat([...entries.flatMap((e) => tarEntry(e)), tarEnd()]);
  for (let i = 0; i < all.length; i += size) yield all.subarray(i, i + size);
}
const run = (entries: TarEntry[], strip = "src") => unpack(readTar(chunks(entries)), strip, dest);

describe("tar: what is written reads back", () => {
  it("files, folders, links and a name over 100 bytes, in chunks of any size", async () => {
    const long = `src/${"d".repeat(120)}/f.txt`;
    const entries = [dir("src"), file("src/a", "alpha"), file(long, "x".repeat(1500)), link("src/l", "a")];
    const seen = [];
    for await (const e of readTar(chunks(entries, 97))) {
      const parts: Buffer[] = [];
      for await (const c of e.content) parts.push(Buffer.from(c));
      seen.push([e.header.name, e.header.type, Buffer.concat(parts).toString()]);
    }
    assert.deepEqual(seen, [
      ["src", "directory", ""],
      ["src/a", "file", "alpha"],
      [long, "file", "x".repeat(1500)],
      ["src/l", "symlink", ""],
    ]);
  });

  it("bytes that are not tar: a TarFormatError, not a crash", async () => {
    const junk = async function* () {
      yield Buffer.alloc(512, 65);
    };
    await assert.rejects(async () => {
      for await (const _ of readTar(junk())) {
      }
    }, TarFormatError);
  });
});

describe("unpack: what stays inside the destination", () => {
  it("the copied folder's name becomes the destination", async () => {
    const r = await run([dir("src"), file("src/a.txt", "A"), dir("src/sub"), file("src/sub/b.txt", "B")]);
    assert.deepEqual(r.skipped, []);
    assert.equal(readFileSync(join(dest, "a.txt"), "utf8"), "A");
    assert.equal(readFileSync(join(dest, "sub", "b.txt"), "utf8"), "B");
  });

  it("refuses ../ that climbs out", async () => {
    const r = await run([file("src/../../evil", "x"), file("src/../sibling", "x")]);
    assert.deepEqual(
      r.skipped.map((s) => s.name),
      ["src/../../evil", "src/../sibling"],
    );
    assert.equal(existsSync(join(base, "evil")), false);
    assert.equal(existsSync(join(base, "sibling")), false);
  });

  it("refuses absolute paths", async () => {
    const r = await run([file("/tmp/evil-abs", "x")]);
    assert.equal(r.skipped[0]?.reason, "outside the destination");
  });

  it("refuses entries that are not under the copied path", async () => {
    const r = await run([file("other/x", "x")]);
    assert.equal(r.skipped.length, 1);
  });

  it("refuses a symlink pointing outside (absolute or by ..), keeps one inside", async () => {
    const r = await run([
      dir("src"),
      file("src/f", "in"),
      link("src/abs", "/etc/passwd"),
      link("src/up", "../../x"),
      link("src/ok", "f"),
    ]);
    assert.deepEqual(
      r.skipped.map((s) => s.name),
      ["src/abs", "src/up"],
    );
    assert.equal(readlinkSync(join(dest, "ok")), "f");
    assert.equal(existsSync(join(dest, "abs")), false);
  });

  it("a file written through a symlink folder unpacked before it cannot land outside", async () => {
    // CVE-2019-11246's shape: a link to a folder inside that resolves outside on disk.
    const r = await run([
      dir("src"),
      dir("src/d"),
      link("src/d/dot", "."),
      link("src/esc", "d/dot/.."),
      file("src/esc/x", "x"),
    ]);
    // "esc" -> d/dot/.. is dest itself by name, but on disk d/dot is d, so it is dest: fine;
    // whatever was kept, nothing was written outside dest.
    assert.equal(existsSync(join(base, "x")), false);
    assert.ok(r.entries > 0);
  });

  it("a link chain that leads out is caught on disk, not only by name", async () => {
    const r = await run([
      dir("src"),
      link("src/a", "."),
      link("src/b", "a/.."),
      file("src/b/evil", "x"),
      dir("src/b/newdir"),
    ]);
    // b -> a/.. looks like dest by name; on disk a is dest, so a/.. is dest's parent.
    assert.equal(existsSync(join(base, "evil")), false);
    assert.equal(existsSync(join(base, "newdir")), false);
    assert.ok(r.skipped.some((s) => s.name === "src/b/evil"));
  });

  it("refuses a file entry replacing a symlink unpacked earlier (no write through it)", async () => {
    const r = await run([dir("src"), link("src/l", "f"), file("src/l", "overwrite")]);
    assert.ok(r.skipped.some((s) => s.name === "src/l"));
    assert.equal(lstatSync(join(dest, "l")).isSymbolicLink(), true);
  });

  it("refuses a hard link to a path outside, keeps one to a file inside", async () => {
    const r = await run([
      dir("src"),
      file("src/f", "same"),
      link("src/h", "src/f", "hardlink"),
      link("src/out", "/etc/passwd", "hardlink"),
    ]);
    assert.deepEqual(
      r.skipped.map((s) => s.name),
      ["src/out"],
    );
    assert.equal(readFileSync(join(dest, "h"), "utf8"), "same");
  });

  it("destinationOf: the name rules on their own", () => {
    assert.equal(destinationOf("src/a/b", "src", "/d"), "/d/a/b");
    assert.equal(destinationOf("src", "src", "/d"), "/d");
    assert.equal(destinationOf("./src/./a", "src", "/d"), "/d/a");
    assert.equal(destinationOf("src/a/../../..", "src", "/d"), undefined);
    assert.equal(destinationOf("srcx/a", "src", "/d"), undefined);
    assert.equal(destinationOf("/src/a", "src", "/d"), undefined);
  });
});
