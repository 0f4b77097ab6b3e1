// Unpacking a tar from a pod into a local folder, refusing whatever would land outside it,
// as kubectl cp does since its CVE fixes (CVE-2018-1002100, CVE-2019-1002101,
// CVE-2019-11246, CVE-2019-11249): a pod's tar is untrusted input.

import { constants } from "node:fs";
import {
  chmod,
  link,
  lstat,
  mkdir,
  open,
  readlink,
  realpath,
  symlink,
  unlink,
  utimes,
} from "node:fs/promises";
import { basename, dirname, isAbsolute, join, posix, relative, resolve, sep } from "node:path";
import type { TarMember } from "./tar.js";

/** An entry that was not unpacked, and why. */
/** An entry of the archive that was not written, and why. */
export interface SkippedEntry {
  /** Its name in the archive. */
  name: string;
  /** Why it was refused. */
  reason: string;
}

/** What `cp.fromPod()` wrote, and what it refused. */
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

// Linux's bound on links followed in one lookup (MAXSYMLINKS): past it a path is a loop.
const MAX_HOPS = 40;

/**
 * Where `rel` (a path under `start`) leads on disk, following every link on the way as the
 * kernel does: a link's target read from the link's own folder, and a ".." after a link taken
 * from where the link led (path.resolve folds "d/.." away before d is followed: the check by
 * name that let `d -> .` chains out). Not realpath: it cannot judge a link that dangles, whose
 * existing part may already have left; here a part that does not exist, and what follows it,
 * is taken by name, as plain folders made later would be. undefined: a loop.
 */
async function leadsTo(start: string, rel: string): Promise<string | undefined> {
  const todo = rel.split(sep).filter(Boolean).reverse();
  let at = start;
  let hops = 0;
  for (let part = todo.pop(); part !== undefined; part = todo.pop()) {
    if (part === ".") continue;
    if (part === "..") {
      at = dirname(at);
      continue;
    }
    const next = join(at, part);
    const st = await lstat(next).catch(() => undefined);
    if (!st) return resolve(next, ...todo.reverse());
    if (st.isSymbolicLink()) {
      if (++hops > MAX_HOPS) return undefined;
      const to = await readlink(next);
      todo.push(...to.split("/").filter(Boolean).reverse());
      if (to.startsWith("/")) at = "/";
      continue;
    }
    // A file with more path after it leads nowhere further (ENOTDIR).
    if (!st.isDirectory() && todo.length > 0) return next;
    at = next;
  }
  return at;
}

// What an archive can do to itself (an entry where another kind stands, a name too long for
// the system): that entry is skipped, as tar reports it and goes on. Other errors (no space,
// no permission) end the copy.
const CONFLICTS = new Set(["EEXIST", "ENOTDIR", "EISDIR", "ENAMETOOLONG", "ELOOP", "EMLINK"]);
const conflict = (err: unknown): string | undefined => {
  const code = (err as NodeJS.ErrnoException | undefined)?.code;
  return code && CONFLICTS.has(code) ? code : undefined;
};

/**
 * Writes the entries under `dest`. Each path is checked twice: by name (no absolute path, no
 * "..", nothing outside the copied folder) and on disk (the real parent folder is inside the
 * real destination; files are opened with O_NOFOLLOW). Hard links only to a file inside.
 *
 * Symlinks: kubectl cp (pkg/cmd/cp/cp.go untarAll) skips every one with a warning since its
 * CVE fixes. We keep those that stay inside, as tar does (cp.fromPod and the README promise
 * that only links out are refused; a tree's internal links survive the copy), but no
 * check by name alone can tell: `d -> .` then `d/d/d/d/etc -> ../../../../etc` is inside by
 * name and is the host's /etc on disk, and a link can lead out through links the archive makes
 * after it. So links are made last, as GNU tar delays links it cannot trust (nothing is ever
 * written through one: an entry under a link's path is skipped), and once all are on disk each
 * is followed there, through every link on the way; one that leads out, or loops, is removed
 * and listed in `skipped`, until no such link is left (a removal can change where others lead).
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
    const top = await lstat(root).catch(() => undefined);
    if (!top) await mkdir(root);
    else if (!top.isDirectory() && !top.isSymbolicLink()) return false;
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
  const links: { name: string; path: string; to: string; made?: boolean }[] = [];
  const linkAt = new Set<string>();
  /** The archive's link at `path` or at a folder above it, not yet made. */
  const underLink = (path: string): string | undefined => {
    for (let p = path; p !== root && inside(root, p); p = dirname(p)) if (linkAt.has(p)) return p;
    return undefined;
  };

  /** Writes one entry; false when it was not written now (skipped and listed, or a link held). */
  const place = async (header: TarMember["header"], target: string, content: AsyncIterable<Buffer>) => {
    const existing = await lstat(target).catch(() => undefined);
    if (existing?.isSymbolicLink()) {
      skip(header.name, "a link stands at its path");
      return false;
    }
    switch (header.type) {
      case "directory":
        if (existing && !existing.isDirectory()) {
          skip(header.name, "a file stands at its path");
          return false;
        }
        await mkdir(target, { recursive: true });
        dirs.push({ path: target, mode: header.mode, mtime: header.mtime });
        return true;
      case "file": {
        if (existing?.isDirectory()) {
          skip(header.name, "a folder stands at its path");
          return false;
        }
        // A later entry replaces an earlier one, as tar does; removed first, not truncated, so
        // a hard link to it (the archive's, or one already there) is not written through.
        if (existing) await unlink(target);
        const fh = await open(
          target,
          constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW,
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
        return true;
      }
      case "symlink": {
        const to = header.linkname;
        if (!to || isAbsolute(to) || !inside(root, resolve(dirname(target), to))) {
          skip(header.name, `a link to ${to || "nothing"}, outside the destination`);
          return false;
        }
        if (existing) {
          skip(header.name, "something stands at its path");
          return false;
        }
        linkAt.add(target);
        links.push({ name: header.name, path: target, to });
        return false;
      }
      case "hardlink": {
        const to = destinationOf(header.linkname, strip, root);
        const real = to ? await realpath(to).catch(() => undefined) : undefined;
        if (!to || !real || !inside(realRoot, real)) {
          skip(header.name, `a hard link to ${header.linkname}, outside the destination`);
          return false;
        }
        const toStat = await lstat(to).catch(() => undefined);
        if (!toStat?.isFile()) {
          skip(header.name, `a hard link to ${header.linkname}, which is not a file unpacked here`);
          return false;
        }
        if (existing) {
          skip(header.name, "something stands at its path");
          return false;
        }
        await link(to, target);
        return true;
      }
      default:
        skip(header.name, "not a file, folder or link");
        return false;
    }
  };

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
    const held = underLink(target);
    if (held) {
      skip(
        header.name,
        held === target
          ? "a link unpacked earlier stands at its path"
          : "its folder is a link in the archive",
      );
      continue;
    }
    try {
      if (target !== root && !(await folder(dirname(target)))) {
        skip(header.name, "its folder is a link that leads outside the destination, or not a folder");
        continue;
      }
      if (await place(header, target, content)) result.entries++;
    } catch (err) {
      const code = conflict(err);
      if (!code) throw err;
      skip(header.name, `the system refused it (${code})`);
    }
  }

  for (const l of links) {
    try {
      await symlink(l.to, l.path);
      l.made = true;
    } catch (err) {
      const code = conflict(err);
      if (!code) throw err;
      skip(l.name, `the system refused it (${code})`);
    }
  }
  const made = links.filter((l) => l.made);
  if (made.length > 0) {
    // Links were made under root, so it is a folder now; its own real path is the judge.
    const realTop = await realpath(root);
    for (let removed = true; removed; ) {
      removed = false;
      for (const l of made) {
        if (!l.made) continue;
        const at = await leadsTo(realTop, relative(root, l.path));
        if (at !== undefined && inside(realTop, at)) continue;
        await unlink(l.path);
        l.made = false;
        removed = true;
        skip(
          l.name,
          at === undefined
            ? `a link to ${l.to} that loops`
            : `a link to ${l.to}, which leads outside the destination on disk`,
        );
      }
    }
    result.entries += made.filter((l) => l.made).length;
  }

  // Folder modes last, so a read-only folder still took its files and links.
  for (const d of dirs.reverse()) {
    await chmod(d.path, d.mode & 0o777).catch(() => {});
    await utimes(d.path, d.mtime, d.mtime).catch(() => {});
  }
  return result;
}
