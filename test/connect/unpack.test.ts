import assert from "node:assert/strict";
import {
  existsSync,
  lstatSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  readlinkSync,
  rmSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, it } from "node:test";
import { readTar, type TarEntry, TarFormatError, tarEnd, tarEntry } from "../../src/connect/tar.js";
import { destinationOf, unpack } from "../../src/connect/unpack.js";
import { linksLeadingOut } from "../helpers/links-out.js";
import { dir, file, link } from "./tar-entries.js";

// A tar from a pod is untrusted: each refusal kubectl's CVE fixes made, on an archive built here.
let base: string;
let dest: string;
beforeEach(() => {
  base = mkdtempSync(join(tmpdir(), "kubefetch-unpack-"));
  dest = join(base, "dest");
});
afterEach(() => rmSync(base, { recursive: true, force: true }));

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

  it("a later file entry replaces an earlier one, not writing through a hard link to it", async () => {
    const r = await run([
      dir("src"),
      file("src/f", "one"),
      link("src/h", "src/f", "hardlink"),
      file("src/h", "two"),
    ]);
    assert.deepEqual(r.skipped, []);
    assert.equal(readFileSync(join(dest, "f"), "utf8"), "one");
    assert.equal(readFileSync(join(dest, "h"), "utf8"), "two");
  });

  it("an entry where another kind already stands is skipped and listed, not an error", async () => {
    const r = await run([
      dir("src"),
      dir("src/x"),
      file("src/x", "file over a folder"),
      file("src/y", "y"),
      dir("src/y"),
      file("src/y/under-a-file", "z"),
      link("src/z", "y"),
      link("src/z", "y"),
      link("src/y", "x"),
      link("src/x", "y", "hardlink"),
    ]);
    assert.deepEqual(
      r.skipped.map((s) => s.name),
      ["src/x", "src/y", "src/y/under-a-file", "src/z", "src/y", "src/x"],
    );
    assert.equal(readFileSync(join(dest, "y"), "utf8"), "y");
    assert.equal(readlinkSync(join(dest, "z")), "y");
  });

  it("a name the system refuses (a part over 255 bytes) is skipped and listed, not an error", async () => {
    const r = await run([dir("src"), file(`src/${"n".repeat(300)}`, "x"), file("src/ok", "ok")]);
    assert.equal(r.skipped.length, 1);
    assert.match(r.skipped[0]?.reason ?? "", /ENAMETOOLONG/);
    assert.equal(readFileSync(join(dest, "ok"), "utf8"), "ok");
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

describe("unpack: no link is left whose on-disk resolution leaves the destination", () => {
  // Each archive's links pass the check by name; followed on disk, through links unpacked
  // before or after them, they lead to `outside` (a file beside the destination) or /etc.
  const cases: Record<string, TarEntry[]> = {
    "the chain d -> ., d/d/d/d/etc -> ../../../../etc": [
      dir("src"),
      link("src/d", "."),
      link("src/d/d/d/d/etc", "../../../../etc"),
    ],
    "the same chain in one link": [
      dir("src"),
      link("src/d", "."),
      link("src/etc", "d/d/d/d/../../../../etc"),
    ],
    "a loop of links": [dir("src"), link("src/a", "b"), link("src/b", "a")],
    ".. through a link": [dir("src"), link("src/d", "."), link("src/up", "d/../outside")],
    "a link to a link that leads out": [
      dir("src"),
      link("src/d", "."),
      link("src/up", "d/../outside"),
      link("src/via", "up"),
    ],
    "a link to a link that comes later in the archive": [
      dir("src"),
      link("src/first", "second"),
      link("src/d", "."),
      link("src/second", "d/../outside"),
    ],
    "a link whose target folder the archive makes later": [
      dir("src"),
      link("src/e", "sub/dot/../../outside"),
      dir("src/sub"),
      link("src/sub/dot", "."),
    ],
    "a link deep inside that climbs back to the top, then ..": [
      dir("src"),
      dir("src/a"),
      dir("src/a/b"),
      dir("src/a/b/c"),
      link("src/a/b/c/top", "../../.."),
      link("src/z", "a/b/c/top/../outside"),
    ],
    "absolute targets, direct and through a link": [
      dir("src"),
      link("src/abs", "/etc"),
      link("src/abs2", "//etc/passwd"),
      link("src/rel", "abs"),
      link("src/d", "."),
      link("src/abs3", "d/d/../../etc"),
    ],
  };

  for (const [name, entries] of Object.entries(cases)) {
    it(name, async () => {
      writeFileSync(join(base, "outside"), "host");
      await run(entries);
      assert.deepEqual(linksLeadingOut(dest), []);
      assert.deepEqual(readdirSync(base).sort(), ["dest", "outside"]);
      assert.equal(readFileSync(join(base, "outside"), "utf8"), "host");
    });
  }

  it("links that stay inside on disk are kept, a dangling one too", async () => {
    const r = await run([
      dir("src"),
      file("src/f", "in"),
      link("src/d", "."),
      link("src/ok", "f"),
      link("src/through", "d/d/f"),
      link("src/chain", "ok"),
      link("src/dangling", "missing"),
      dir("src/sub"),
      link("src/sub/back", "../f"),
    ]);
    assert.deepEqual(r.skipped, []);
    for (const l of ["ok", "through", "chain", "sub/back"])
      assert.equal(readFileSync(join(dest, l), "utf8"), "in");
    assert.equal(readlinkSync(join(dest, "dangling")), "missing");
    assert.deepEqual(linksLeadingOut(dest), []);
  });
});
