import { LineCounter, parseAllDocuments } from "yaml";

/** One document of a YAML stream: its 1-based position and first line, and its value or error. */
export interface YamlDocument {
  index: number;
  line: number;
  value?: unknown;
  error?: string;
}

/**
 * Splits a multi-document YAML stream as kubectl reads it. kubectl decodes with go-yaml v2,
 * which is YAML 1.1 (`yes`/`on` are booleans, `0755` is octal, `<<` merges), except that
 * timestamps stay strings; we match it so a manifest means here what it means to kubectl.
 * Empty documents (`---` with only comments) keep their index but carry no value.
 */
export function splitYaml(text: string): YamlDocument[] {
  const lineCounter = new LineCounter();
  const docs = parseAllDocuments(text, {
    version: "1.1",
    lineCounter,
    prettyErrors: true,
    uniqueKeys: true,
    customTags: (tags) =>
      tags.filter((t) => typeof t === "string" || t.tag !== "tag:yaml.org,2002:timestamp"),
  });
  if (!Array.isArray(docs)) return [];
  return docs.map((doc, i) => {
    const index = i + 1;
    // The first line of content, not the `---` before it.
    const line = lineCounter.linePos((doc.contents?.range ?? doc.range)[0]).line;
    const first = doc.errors[0];
    // prettyErrors appends a source excerpt after the first line; the first line says what and where.
    if (first) return { index, line, error: `YAML: ${firstLine(first.message)}` };
    try {
      // maxAliasCount bounds "billion laughs" alias expansion.
      return { index, line, value: doc.toJS({ maxAliasCount: 100 }) ?? undefined };
    } catch (e) {
      return { index, line, error: `YAML: ${firstLine((e as Error).message)}` };
    }
  });
}

function firstLine(message: string): string {
  return (message.split("\n")[0] ?? "").replace(/:$/, "");
}
