/** One problem with one document of a manifest. */
export interface ManifestIssue {
  /** 1-based position of the document in the YAML stream; 0 for the YAML as a whole. */
  index: number;
  /** The line the document starts on. */
  line: number;
  /** The document's kind, when it has one. */
  kind?: string;
  /** The object's name, when it has one. */
  name?: string;
  /** `spec.template.spec.containers[0].name`; empty for the document as a whole. */
  path: string;
  /** What is wrong. */
  message: string;
}

/** `doc 3 Deployment web: spec.template.spec.containers[0].name: required` */
export function formatIssue(i: ManifestIssue): string {
  const who = [i.index ? `doc ${i.index}` : "", i.kind, i.name].filter(Boolean).join(" ");
  return [who, i.path, i.message].filter(Boolean).join(": ");
}

const MAX_LINES = 50;

/**
 * Manifests that cannot be applied, each problem on a line of the message. Nothing was
 * sent to the server.
 */
export class ManifestError extends Error {
  /** "ManifestError", as stack traces show it. */
  override readonly name = "ManifestError";
  /** Every problem found, of every document. */
  readonly issues: readonly ManifestIssue[];

  constructor(issues: ManifestIssue[]) {
    const lines = issues.slice(0, MAX_LINES).map(formatIssue);
    if (issues.length > MAX_LINES) lines.push(`... and ${issues.length - MAX_LINES} more`);
    super(lines.join("\n"));
    this.issues = issues;
  }
}

export { issueMessage } from "../core/issue-message.js";
