// The repository's Markdown as the suite reads it: the documents a reader is sent to, their
// fenced code blocks (which the suite runs or type-checks) and their links (which must resolve).
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { repoRoot } from "./paths.js";

/** README.md, then docs/*.md in name order: the documents whose code blocks the suite checks. */
export function documents(): string[] {
  const docs = readdirSync(join(repoRoot, "docs"))
    .filter((f) => f.endsWith(".md"))
    .sort()
    .map((f) => `docs/${f}`);
  return ["README.md", ...docs];
}

/** The documents whose links the suite checks: the above, the test cluster's notes and the changelog. */
export const linkedDocuments = () => [...documents(), "test/cluster/README.md", "CHANGELOG.md"];

export interface FencedBlock {
  /** The repository path of the document. */
  file: string;
  /** The 1-based line of the opening fence. */
  line: number;
  lang: string;
  body: string;
}

/** The fenced blocks of one document's text, in order. */
export function fencedBlocks(file: string, text: string): FencedBlock[] {
  return [...text.matchAll(/^```(\w*)\n([\s\S]*?)^```$/gm)].map((m) => ({
    file,
    line: text.slice(0, m.index).split("\n").length,
    lang: m[1] as string,
    body: m[2] as string,
  }));
}

/** Every fenced block of one language in the documents, in reading order. */
export function blocksOf(lang: string, files: string[] = documents()): FencedBlock[] {
  return files
    .flatMap((f) => fencedBlocks(f, readFileSync(join(repoRoot, f), "utf8")))
    .filter((b) => b.lang === lang);
}

/** Text with fenced blocks and inline code blanked, so links and headings inside them are not read. */
function prose(text: string): string {
  return text
    .replace(/^```[\s\S]*?^```$/gm, (m) => m.replace(/[^\n]/g, " "))
    .replace(/`[^`\n]*`/g, (m) => " ".repeat(m.length));
}

/**
 * The anchors GitHub gives a document's headings, as github-slugger makes them: the rendered
 * text lower-cased, every character but letters, digits, marks, `_`, `-` and space dropped,
 * spaces turned into `-`; a repeated slug gets `-1`, `-2`, ...
 */
export function headingAnchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const noFences = text.replace(/^```[\s\S]*?^```$/gm, "");
  for (const m of noFences.matchAll(/^#{1,6}[ \t]+(.*?)[ \t]*#*[ \t]*$/gm)) {
    const rendered = (m[1] as string).replace(/\[([^\]]*)\]\([^)]*\)/g, "$1");
    const base = rendered
      .toLowerCase()
      .replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, "")
      .replace(/ /g, "-");
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/**
 * The links of a document (at repository path `file`, with text `text`) that do not resolve:
 * a relative target that names no file or folder of the repository, or an `#anchor` that no
 * heading of the target document has. Links with a scheme (https:, mailto:) are not followed.
 */
export function brokenLinks(file: string, text: string): string[] {
  const broken: string[] = [];
  const body = prose(text);
  const targets = [
    ...[...body.matchAll(/\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)].map((m) => m[1] as string),
    ...[...body.matchAll(/^\s*\[[^\]]+\]:\s*(\S+)/gm)].map((m) => m[1] as string),
  ];
  for (const target of targets) {
    if (/^[a-z][a-z\d+.-]*:/i.test(target)) continue;
    const hash = target.indexOf("#");
    const path = hash === -1 ? target : target.slice(0, hash);
    const anchor = hash === -1 ? undefined : decodeURIComponent(target.slice(hash + 1));
    const resolved = path === "" ? file : relative(repoRoot, join(repoRoot, dirname(file), decodeURI(path)));
    const onDisk = join(repoRoot, resolved);
    if (resolved.startsWith("..") || !existsSync(onDisk)) {
      broken.push(`${file}: ${target}: no such file ${resolved}`);
      continue;
    }
    if (anchor === undefined || !resolved.endsWith(".md") || statSync(onDisk).isDirectory()) continue;
    const anchorsIn = headingAnchors(path === "" ? text : readFileSync(onDisk, "utf8"));
    if (!anchorsIn.has(anchor)) broken.push(`${file}: ${target}: ${resolved} has no heading #${anchor}`);
  }
  return broken;
}
