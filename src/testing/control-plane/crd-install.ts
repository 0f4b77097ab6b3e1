// Installs CRDs and waits until each is usable, as envtest's CRDInstallOptions does
// (WaitForCRDs): created, Established (the apiserver accepted its names), and each served
// version listed by discovery (/apis/<group>/<version>): Established alone comes a moment
// before the apiserver routes the new resource, and a create in between answers 404.

import { sleepOrWake, timeoutSignal } from "../../core/timers.js";
import type { Transport } from "../../transport/transport.js";
import type { CrdDocument, CustomResourceDefinition } from "../crd-files.js";
import { ControlPlaneError } from "./control-plane-error.js";

const CRDS = "/apis/apiextensions.k8s.io/v1/customresourcedefinitions";
const POLL_MS = 100;
// One call's longest wait: a hung connection must not outlast the start's deadline by much.
const CALL_TIMEOUT_MS = 10_000;

interface Answer {
  status: number;
  body: unknown;
  text: string;
}

async function call(t: Transport, path: string, init: { method?: "GET" | "POST"; body?: unknown } = {}) {
  const res = await t.request(path, {
    method: init.method ?? "GET",
    signal: timeoutSignal(CALL_TIMEOUT_MS),
    headers: { accept: "application/json", ...(init.body ? { "content-type": "application/json" } : {}) },
    ...(init.body ? { body: JSON.stringify(init.body) } : {}),
  });
  const text = await res.body.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  return { status: res.statusCode, body, text } satisfies Answer;
}

function statusMessage(a: Answer): string {
  const m = (a.body as { message?: unknown } | undefined)?.message;
  return typeof m === "string" ? m : a.text.slice(0, 300);
}

interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
}

/** Whether a CRD object's conditions say Established; throws when NamesAccepted is False (a name conflict). */
function established(doc: CrdDocument, crd: unknown): boolean {
  const conditions = ((crd as { status?: { conditions?: Condition[] } }).status?.conditions ??
    []) as Condition[];
  const names = conditions.find((c) => c.type === "NamesAccepted");
  if (names?.status === "False") {
    throw new ControlPlaneError(
      "CrdFailed",
      `${doc.source}: CRD ${doc.object.metadata.name}: names not accepted: ${names.message ?? names.reason ?? ""}`,
      { path: doc.source },
    );
  }
  return conditions.some((c) => c.type === "Established" && c.status === "True");
}

async function served(t: Transport, crd: CustomResourceDefinition): Promise<boolean> {
  for (const v of crd.spec.versions) {
    if (v.served === false) continue;
    const a = await call(t, `/apis/${crd.spec.group}/${v.name}`);
    if (a.status !== 200) return false;
    const resources = (a.body as { resources?: { name?: string }[] } | undefined)?.resources ?? [];
    if (!resources.some((r) => r.name === crd.spec.names.plural)) return false;
  }
  return true;
}

/** Creates each CRD, then waits, until `deadline` (ms since the epoch), for all to be Established and served. */
export async function installCrds(
  t: Transport,
  docs: readonly CrdDocument[],
  deadline: number,
): Promise<void> {
  for (const doc of docs) {
    const a = await call(t, CRDS, { method: "POST", body: doc.object });
    if (a.status !== 201 && a.status !== 200) {
      throw new ControlPlaneError(
        "CrdFailed",
        `${doc.source}: creating CRD ${doc.object.metadata.name}: HTTP ${a.status}: ${statusMessage(a)}`,
        { path: doc.source },
      );
    }
  }
  const pending = new Set(docs);
  while (pending.size > 0) {
    for (const doc of [...pending]) {
      const a = await call(t, `${CRDS}/${encodeURIComponent(doc.object.metadata.name)}`);
      if (a.status === 200 && established(doc, a.body) && (await served(t, doc.object))) pending.delete(doc);
    }
    if (pending.size === 0) return;
    if (Date.now() >= deadline) {
      const names = [...pending].map((d) => d.object.metadata.name).join(", ");
      throw new ControlPlaneError("Timeout", `CRDs not Established and served in time: ${names}`, {
        path: [...pending][0]?.source,
      });
    }
    await sleepOrWake(POLL_MS);
  }
}
