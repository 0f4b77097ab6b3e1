// Unpacking a tar from a pod into a local folder, refusing whatever would land outside it,
// as kubectl cp does since its CVE fixes (CVE-2018-1002100, CVE-2019-1002101,
// CVE-2019-11246, CVE-2019-11249): a pod's tar is untrusted input.

import { constants } from "node:fs";
import { chmod, link, lstat, mkdir, open, realpath, symlink, utimes } from "node:fs/promises";
import { basename, dirname, isAbsolute, posix, relative, resolve, sep } from "node:path";
import type { TarMember } from "./tar.js";

/** An entry that was not unpacked, and why. */
export interface SkippedEntry {
  name: string;
  reason: string;
}

export interface UnpackResult {
  /** Entries written: files, folders and links. */
  entries: number;
  /** File bytes written. */
  bytes: number;
  /** Entries refused (outside the destination, or of a kind not copied). */
  skipped: SkippedEntry[];
}

function inside(root: string, path: string): boolean {
  const r = relative(root, path);
  return r === "" || (!r.startsWith(`..${sep}`) && r !== ".." && !isAbsolute(r));
}

/**
 * Where an archive member goes: `strip` (the copied path's own name) is replaced by `dest`.
 * undefined when the name is absolute, leaves `strip`, or climbs out with "..".
 */
export function destinationOf(name: string, strip: string, dest: string): string | undefined {
  if (name.startsWith("/") || /^[A-Za-z]:/.test(name)) return undefined;
  const clean = posix.normalize(name.replace(/\/+$/, ""));
  if (clean === ".." || clean.startsWith("../")) return undefined;
  let rest: string;
  if (strip === "" || strip === ".") rest = clean;
  else if (clean === strip) rest = "";
  else if (clean.startsWith(`${strip}/`)) rest = clean.slice(strip.length + 1);
  else return undefined;
  const target = resolve(dest, ...rest.split("/").filter((p) => p !== "" && p !== "."));
  return inside(dest, target) ? target : undefined;
}

/**
 * Writes the entries under `dest`. Each path is checked twice: by name (no absolute path, no
 * "..", nothing outside the copied folder) and on disk (the real parent folder is inside the
 * real destination, so a symlink unpacked earlier cannot redirect a later entry; files are
 * opened with O_NOFOLLOW). Symlinks are kept only when their target stays inside; hard links
 * only to a path inside.
 */
export async function unpack(
  entries: AsyncIterable<TarMember>,
  strip: string,
  dest: string,
): Promise<UnpackResult> {
  const root = resolve(dest);
  const result: UnpackResult = { entries: 0, bytes: 0, skipped: [] };
  const skip = (name: string, reason: string) => result.skipped.push({ name, reason });
  // The destination's parent is the caller's choice, trusted; below it nothing is.
  await mkdir(dirname(root), { recursive: true });
  const realRoot = resolve(await realpath(dirname(root)), basename(root));
  /**
   * Makes the folders from root down to dir one at a time, each checked on disk: a link on
   * the way must resolve inside the destination, else nothing is made beyond it.
   */
  const folder = async (dir: string): Promise<boolean> => {
    if (!(await lstat(root).catch(() => undefined))) await mkdir(root);
    let at = root;
    for (const part of relative(root, dir).split(sep).filter(Boolean)) {
      at = resolve(at, part);
      const st = await lstat(at).catch(() => undefined);
      if (!st) await mkdir(at);
      else if (st.isSymbolicLink()) {
        const real = await realpath(at).catch(() => undefined);
        if (!real || !inside(realRoot, real)) return false;
      } else if (!st.isDirectory()) return false;
    }
    return true;
  };
  const dirs: { path: string; mode: number; mtime: number }[] = [];
  for await (const { header, content } of entries) {
    const target = destinationOf(header.name, strip, root);
    if (!target) {
      skip(header.name, "outside the destination");
      continue;
    }
    if (header.type === "other") {
      skip(header.name, "not a file, folder or link");
      continue;
    }
    if (target === root && header.type !== "directory" && header.type !== "file") {
      skip(header.name, "a link cannot be the destination itself");
      continue;
    }
    if (target !== root && !(await folder(dirname(target)))) {
      skip(header.name, "its folder is a link that leads outside the destination, or not a folder");
      continue;
    }
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isSymbolicLink()) {
      skip(header.name, "a link unpacked earlier stands at its path");
      continue;
    }
    switch (header.type) {
      case "directory":
        await mkdir(target, { recursive: true });
        dirs.push({ path: target, mode: header.mode, mtime: header.mtime });
        break;
      case "file": {
        const fh = await open(
          target,
          constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC | constants.O_NOFOLLOW,
          header.mode & 0o777,
        );
        try {
          // Chunk by chunk as they arrive, so memory holds one chunk, not the file.
          for await (const chunk of content) {
            for (let at = 0; at < chunk.length; ) at += (await fh.write(chunk, at)).bytesWritten;
            result.bytes += chunk.length;
          }
          await fh.chmod(header.mode & 0o777);
        } finally {
          await fh.close();
        }
        await utimes(target, header.mtime, header.mtime).catch(() => {});
        break;
      }
      case "symlink": {
        const resolved = isAbsolute(header.linkname)
          ? header.linkname
          : resolve(dirname(target), header.linkname);
        if (isAbsolute(header.linkname) || !inside(root, resolved)) {
          skip(header.name, `a link to ${header.linkname}, outside the destination`);
          continue;
        }
        await symlink(header.linkname, target);
        break;
      }
      case "hardlink": {
        const to = destinationOf(header.linkname, strip, root);
        const real = to ? await realpath(to).catch(() => undefined) : undefined;
        if (!to || !real || !inside(realRoot, real)) {
          skip(header.name, `a hard link to ${header.linkname}, outside the destination`);
          continue;
        }
        const toStat = await lstat(to).catch(() => undefined);
        if (!toStat?.isFile()) {
          skip(header.name, `a hard link to ${header.linkname}, which is not a file unpacked here`);
          continue;
        }
        await link(to, target);
        break;
      }
    }
    result.entries++;
  }
  // Folder modes last, so a read-only folder still took its files.
  for (const d of dirs.reverse()) {
    await chmod(d.path, d.mode & 0o777).catch(() => {});
    await utimes(d.path, d.mtime, d.mtime).catch(() => {});
  }
  return result;
}
