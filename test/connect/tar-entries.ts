// Archive members as the tests write them: one builder each for the unpack, tar and fuzz tests.
import type { TarEntry } from "../../src/connect/tar.js";

const MTIME = 1_700_000_000;

export const file = (name: string, text: string): TarEntry => ({
  name,
  type: "file",
  mode: 0o644,
  mtime: MTIME,
  data: Buffer.from(text),
});

export const dir = (name: string): TarEntry => ({ name, type: "directory", mode: 0o755, mtime: MTIME });

export const link = (name: string, to: string, type: "symlink" | "hardlink" = "symlink"): TarEntry => ({
  name,
  type,
  mode: 0o777,
  mtime: MTIME,
  linkname: to,
});
