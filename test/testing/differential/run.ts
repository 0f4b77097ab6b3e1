// The differential runner: plays the scenarios' steps over raw HTTP (undici, not the kubefetch
// client: what is compared is the wire) against a target, normalises what must differ between
// two servers (uids, resourceVersion values, timestamps, generated name suffixes, the run's
// namespace name) and compares two targets' records step by step.

import { isDeepStrictEqual } from "node:util";
import { type Agent, request } from "undici";
import { sleepOrWake } from "../../../src/core/timers.js";

/** A server the steps run against. */
export interface Target {
  /** Which one: the real test apiserver or the fake. */
  name: "real" | "fake";
  /** The server's base URL, without a trailing slash. */
  url: string;
  /** Headers sent with every request (Authorization for the real server). */
  headers: Record<string, string>;
  /** The undici dispatcher (the real server's CA). */
  dispatcher: Agent;
}

/** A response as a step sees it before normalisation. */
export interface Raw {
  /** The HTTP status code. */
  code: number;
  /** The parsed JSON body, or the text when it is not JSON, or undefined when empty. */
  body: unknown;
  /** The Warning headers' values. */
  warnings: string[];
}

/** What placeholders resolve from: the run's namespace and earlier steps' raw answers. */
export interface Ctx {
  /** The run's namespace name (`kf-diff-<random>`). */
  ns: string;
  /** Each earlier step's raw answer, by step id. */
  saved: Map<string, Raw>;
}

/** Polls a step until its answer satisfies a condition (the garbage collector's work is asynchronous). */
export interface Until {
  /** What is awaited, for the failure message. */
  what: string;
  /** Whether the raw answer is the awaited one. */
  holds: (r: Raw) => boolean;
  /** How long to poll (default 20 s). */
  timeoutMs?: number;
}

/** One HTTP request and the answer to compare. */
export interface HttpStep {
  /** A unique id: the key of KNOWN_DIFFERENCES and of placeholders such as `{uid:<id>}`. */
  id: string;
  /** What the step shows, in a few words. */
  what: string;
  /** The HTTP method. */
  method: "GET" | "POST" | "PUT" | "PATCH" | "DELETE";
  /**
   * The path; `{ns}` is the run's namespace, `{uid:ID}`, `{rv:ID}`, `{name:ID}` and
   * `{continue:ID}` come from step ID's answer (also in query values and the body).
   */
  path: string;
  /** Query parameters. */
  query?: Record<string, string>;
  /** The body: an object is sent as JSON, a string as it is (YAML for apply). */
  body?: unknown;
  /** The Content-Type (default application/json when there is a body). */
  contentType?: string;
  /** A projection of the body to compare (not applied to Status bodies), where the real server adds defaults. */
  pick?: (body: unknown) => unknown;
  /** The status code the REAL server answers: the scenario itself is checked. */
  expectStatus?: number;
  /** Poll until the answer holds. */
  until?: Until;
}

/** A watch: opened, then `writes` run, then events are collected until `events` or a timeout. */
export interface WatchStep {
  /** A unique id. */
  id: string;
  /** What the step shows. */
  what: string;
  /** The watch request: path (with placeholders) and query (`watch=true` is added). */
  watch: { path: string; query?: Record<string, string> };
  /** Write steps run once the watch is open (each compared on its own too). */
  writes: HttpStep[];
  /** How many events to collect before closing. */
  events: number;
  /** How long to wait for them (default 5 s). */
  timeoutMs?: number;
  /** The status code the REAL server answers to the watch request. */
  expectStatus?: number;
  /** A projection of each event's object (not applied to Status objects nor BOOKMARKs). */
  pick?: (object: unknown) => unknown;
}

/** A scenario step. */
export type Step = HttpStep | WatchStep;

/** A step's comparable outcome, normalised. */
export interface StepRecord {
  /** The step's id. */
  id: string;
  /** The step's description. */
  what: string;
  /** The HTTP status code. */
  code: number;
  /** The normalised (and picked) body, for an HTTP step. */
  body?: unknown;
  /** The normalised Warning headers. */
  warnings: string[];
  /** The normalised events, for a watch step. */
  events?: { type: string; object: unknown }[];
  /** Problems of the scenario itself on this target (expectStatus, an until that timed out). */
  problems: string[];
}

/** Whether a step is a watch. */
export function isWatch(s: Step): s is WatchStep {
  return "watch" in s;
}

/** Every compared step, the watches' inner writes included, in run order. */
export function flatSteps(steps: readonly Step[]): Step[] {
  return steps.flatMap((s) => (isWatch(s) ? [s, ...s.writes] : [s]));
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const TIME_KEYS = new Set(["creationTimestamp", "deletionTimestamp", "lastTransitionTime", "time"]);
// A watch's 410 names the requested and the current resourceVersion: values, not behaviour.
const TOO_OLD = /too old resource version: \d+ \(\d+\)/g;
const QUOTED_RV = /\\"resourceVersion\\":\\"(\d+)\\"/g;
const RFC3339 = /\b\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z\b/g;
// A delete's resourceVersion precondition names two object resourceVersions: ordinals, as in bodies.
const PRECONDITION_RV =
  /ResourceVersion in the precondition \((\d+)\) does not match the ResourceVersion in record \((\d+)\)/g;

/**
 * Per-target normalisation state: uids and object resourceVersions become ordinals by first
 * appearance, so "unchanged on a no-op update" and "the owner's uid" still compare.
 */
export class Normaliser {
  private readonly uids = new Map<string, string>();
  private readonly rvs = new Map<string, string>();
  private readonly generated = new Map<string, string>();
  constructor(private readonly ns: string) {}

  /** The normalised copy of a body (a list's and a bookmark's own resourceVersion become `<rv>`). */
  body(v: unknown, opts: { bookmark?: boolean } = {}): unknown {
    this.collectGenerated(v);
    return this.walk(v, [], opts.bookmark === true);
  }

  /** The normalised copy of a string. */
  text(s: string): string {
    let out = s;
    // Longest first: "gen-abcde" before a generateName that is a prefix of another.
    for (const [full, norm] of [...this.generated].sort((a, b) => b[0].length - a[0].length)) {
      out = out.split(full).join(norm);
    }
    out = out.split(this.ns).join("<ns>");
    out = out.replace(UUID, (u) => {
      let n = this.uids.get(u);
      if (!n) {
        n = `<uid-${this.uids.size + 1}>`;
        this.uids.set(u, n);
      }
      return n;
    });
    out = out.replace(
      PRECONDITION_RV,
      (_, pre: string, rec: string) =>
        `ResourceVersion in the precondition (${this.rv(pre)}) does not match the ResourceVersion in record (${this.rv(rec)})`,
    );
    // A strict patch's 422 quotes the patched object as JSON in its message.
    out = out.replace(QUOTED_RV, (_, rv: string) => `\\"resourceVersion\\":\\"${this.rv(rv)}\\"`);
    out = out.replace(RFC3339, "<time>");
    return out.replace(TOO_OLD, "too old resource version: <rv> (<rv>)");
  }

  private rv(v: string): string {
    let n = this.rvs.get(v);
    if (!n) {
      n = `<rv-${this.rvs.size + 1}>`;
      this.rvs.set(v, n);
    }
    return n;
  }

  private collectGenerated(v: unknown): void {
    if (Array.isArray(v)) for (const x of v) this.collectGenerated(x);
    else if (v && typeof v === "object") {
      const m = (v as { metadata?: { name?: unknown; generateName?: unknown } }).metadata;
      if (
        m &&
        typeof m.name === "string" &&
        typeof m.generateName === "string" &&
        m.generateName !== "" &&
        m.name.startsWith(m.generateName) &&
        m.name !== m.generateName
      ) {
        this.generated.set(m.name, `${m.generateName}<generated>`);
      }
      for (const x of Object.values(v)) this.collectGenerated(x);
    }
  }

  // Keys in sorted order: ordinals must not depend on the order a server writes its fields in.
  private walk(v: unknown, path: string[], bookmark: boolean, parent?: Record<string, unknown>): unknown {
    if (typeof v === "string") return this.text(v);
    if (Array.isArray(v)) return v.map((x, i) => this.walk(x, [...path, String(i)], bookmark, undefined));
    if (!v || typeof v !== "object") return v;
    const o = v as Record<string, unknown>;
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(o).sort()) {
      const x = o[k];
      const last = path[path.length - 1];
      if (TIME_KEYS.has(k) && typeof x === "string") out[k] = "<time>";
      else if (last === "metadata" && k === "continue" && typeof x === "string" && x !== "")
        out[k] = "<continue>";
      else if (last === "metadata" && k === "resourceVersion" && typeof x === "string") {
        const ownOfList = parent !== undefined && Array.isArray(parent.items);
        out[k] = ownOfList || (bookmark && path.length === 1) ? "<rv>" : this.rv(x);
      } else if (k === "managedFields" && Array.isArray(x)) {
        // Entries of one second sort by manager; across a second boundary by time. Which of
        // the two a run meets depends on the clock, so entries compare in a fixed order.
        out[k] = (this.walk(x, [...path, k], bookmark, o) as Record<string, unknown>[]).sort((a, b) =>
          entryKey(a) < entryKey(b) ? -1 : entryKey(a) > entryKey(b) ? 1 : 0,
        );
      } else out[this.text(k)] = this.walk(x, [...path, k], bookmark, o); // managedFields keys hold uids: k:{"uid":…}
    }
    return out;
  }
}

const entryKey = (e: Record<string, unknown>) =>
  [e.operation, e.manager, e.apiVersion, e.subresource ?? ""].map(String).join("\u0000");

/** Resolves `{ns}`, `{uid:ID}`, `{rv:ID}`, `{name:ID}`, `{continue:ID}` in strings, deeply. */
export function resolve<T>(v: T, ctx: Ctx): T {
  if (typeof v === "string") {
    return v.replace(/\{(ns|uid|rv|name|continue)(?::([^}]+))?\}/g, (whole, what: string, id?: string) => {
      if (what === "ns") return ctx.ns;
      const raw = id ? ctx.saved.get(id) : undefined;
      if (!raw) throw new Error(`placeholder ${whole}: no earlier step ${id}`);
      const md = (raw.body as { metadata?: Record<string, unknown> } | undefined)?.metadata ?? {};
      const key = what === "rv" ? "resourceVersion" : what;
      const value = md[key];
      if (typeof value !== "string")
        throw new Error(`placeholder ${whole}: step ${id} answered no metadata.${key}`);
      return value;
    }) as T;
  }
  if (Array.isArray(v)) return v.map((x) => resolve(x, ctx)) as T;
  if (v && typeof v === "object") {
    return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, resolve(x, ctx)])) as T;
  }
  return v;
}

function urlOf(t: Target, path: string, query: Record<string, string> | undefined, ctx: Ctx): string {
  const q = new URLSearchParams(resolve(query ?? {}, ctx)).toString();
  return `${t.url}${resolve(path, ctx)}${q ? `?${q}` : ""}`;
}

function warningsOf(h: Record<string, string | string[] | undefined>): string[] {
  const w = h.warning;
  return w === undefined ? [] : Array.isArray(w) ? w : [w];
}

function parse(text: string): unknown {
  if (text === "") return undefined;
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

/** Sends one HTTP step (placeholders resolved) and returns its raw answer. */
export async function send(t: Target, s: HttpStep, ctx: Ctx): Promise<Raw> {
  const headers: Record<string, string> = { ...t.headers, accept: "application/json" };
  let body: string | undefined;
  if (s.body !== undefined) {
    const b = resolve(s.body, ctx);
    body = typeof b === "string" ? b : JSON.stringify(b);
    headers["content-type"] = s.contentType ?? "application/json";
  }
  const r = await request(urlOf(t, s.path, s.query, ctx), {
    method: s.method,
    headers,
    body,
    dispatcher: t.dispatcher,
  });
  return { code: r.statusCode, body: parse(await r.body.text()), warnings: warningsOf(r.headers) };
}

function isStatus(b: unknown): boolean {
  return (b as { kind?: unknown } | undefined)?.kind === "Status";
}

async function runHttp(t: Target, s: HttpStep, ctx: Ctx, norm: Normaliser): Promise<StepRecord> {
  const problems: string[] = [];
  let raw = await send(t, s, ctx);
  if (s.until) {
    const deadline = Date.now() + (s.until.timeoutMs ?? 20_000);
    while (!s.until.holds(raw) && Date.now() < deadline) {
      await sleepOrWake(200);
      raw = await send(t, s, ctx);
    }
    if (!s.until.holds(raw))
      problems.push(`until "${s.until.what}" did not hold within ${s.until.timeoutMs ?? 20_000} ms`);
  }
  ctx.saved.set(s.id, raw);
  if (t.name === "real" && s.expectStatus !== undefined && raw.code !== s.expectStatus) {
    problems.push(
      `expected status ${s.expectStatus}, got ${raw.code}: ${JSON.stringify(raw.body).slice(0, 300)}`,
    );
  }
  const picked = s.pick && raw.body !== undefined && !isStatus(raw.body) ? s.pick(raw.body) : raw.body;
  return {
    id: s.id,
    what: s.what,
    code: raw.code,
    body: norm.body(picked),
    warnings: raw.warnings.map((w) => norm.text(w)),
    problems,
  };
}

/** Reads newline-delimited watch events from a body until `n` arrived or the deadline passed. */
async function collect(
  body: AsyncIterable<Buffer | string>,
  n: number,
  events: { type: string; object: unknown }[],
): Promise<void> {
  let buf = "";
  for await (const chunk of body) {
    buf += typeof chunk === "string" ? chunk : chunk.toString("utf8");
    let nl = buf.indexOf("\n");
    while (nl >= 0) {
      const line = buf.slice(0, nl).trim();
      buf = buf.slice(nl + 1);
      if (line) events.push(JSON.parse(line) as { type: string; object: unknown });
      if (events.length >= n) return;
      nl = buf.indexOf("\n");
    }
  }
  if (buf.trim()) events.push(JSON.parse(buf) as { type: string; object: unknown });
}

async function runWatch(t: Target, s: WatchStep, ctx: Ctx, norm: Normaliser): Promise<StepRecord[]> {
  const problems: string[] = [];
  const ac = new AbortController();
  const r = await request(urlOf(t, s.watch.path, { ...s.watch.query, watch: "true" }, ctx), {
    method: "GET",
    headers: { ...t.headers, accept: "application/json" },
    dispatcher: t.dispatcher,
    signal: ac.signal,
  });
  if (t.name === "real" && s.expectStatus !== undefined && r.statusCode !== s.expectStatus) {
    problems.push(`expected status ${s.expectStatus}, got ${r.statusCode}`);
  }
  const events: { type: string; object: unknown }[] = [];
  const reading = collect(r.body, s.events, events).catch((e: unknown) => {
    if (!ac.signal.aborted) throw e;
  });
  const inner: StepRecord[] = [];
  for (const w of s.writes) inner.push(await runHttp(t, w, ctx, norm));
  const timeoutMs = s.timeoutMs ?? 5_000;
  const timedOut = await Promise.race([reading.then(() => false), sleepOrWake(timeoutMs).then(() => true)]);
  ac.abort();
  await reading;
  if (timedOut) problems.push(`watch got ${events.length} of ${s.events} events within ${timeoutMs} ms`);
  const record: StepRecord = {
    id: s.id,
    what: s.what,
    code: r.statusCode,
    warnings: warningsOf(r.headers).map((w) => norm.text(w)),
    events: events.map((e) => {
      const bookmark = e.type === "BOOKMARK";
      const o = s.pick && !bookmark && !isStatus(e.object) ? s.pick(e.object) : e.object;
      return { type: e.type, object: norm.body(o, { bookmark }) };
    }),
    problems,
  };
  return [record, ...inner];
}

/** Runs every step against one target, in order; returns one record per compared step. */
export async function runAll(t: Target, steps: readonly Step[], ns: string): Promise<StepRecord[]> {
  const ctx: Ctx = { ns, saved: new Map() };
  const norm = new Normaliser(ns);
  const out: StepRecord[] = [];
  for (const s of steps) {
    try {
      if (isWatch(s)) out.push(...(await runWatch(t, s, ctx, norm)));
      else out.push(await runHttp(t, s, ctx, norm));
    } catch (e) {
      const ids = isWatch(s) ? [s, ...s.writes] : [s];
      for (const x of ids) {
        out.push({
          id: x.id,
          what: x.what,
          code: -1,
          warnings: [],
          problems: [`failed: ${(e as Error).message}`],
        });
      }
    }
  }
  return out;
}

/** The comparable part of a record. */
export function comparable(r: StepRecord): Record<string, unknown> {
  return r.events
    ? { code: r.code, warnings: r.warnings, events: r.events }
    : { code: r.code, warnings: r.warnings, body: r.body };
}

/** A copy without the named dotted paths (`*` matches every array index or key). */
export function without(v: unknown, paths: readonly string[]): unknown {
  const copy = structuredClone(v);
  for (const p of paths) drop(copy, p.split("."));
  return copy;
}

function drop(v: unknown, parts: string[]): void {
  if (!v || typeof v !== "object") return;
  const [head, ...rest] = parts;
  if (head === undefined) return;
  const o = v as Record<string, unknown>;
  const keys = head === "*" ? Object.keys(o) : [head];
  for (const k of keys) {
    if (rest.length === 0) {
      if (Array.isArray(o)) o.splice(Number(k), 1);
      else delete o[k];
    } else drop(o[k], rest);
  }
}

/** The first JSON path where two values differ, with both values there; undefined when equal. */
export function firstDifference(
  a: unknown,
  b: unknown,
  path = "$",
): { path: string; real: unknown; fake: unknown } | undefined {
  if (isDeepStrictEqual(a, b)) return undefined;
  if (a && b && typeof a === "object" && typeof b === "object" && Array.isArray(a) === Array.isArray(b)) {
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(ao), ...Object.keys(bo)])];
    if (Array.isArray(a) && a.length !== (b as unknown[]).length) {
      const d = keys.map((k) => firstDifference(ao[k], bo[k], `${path}[${k}]`)).find((x) => x);
      return d ?? { path: `${path}.length`, real: a.length, fake: (b as unknown[]).length };
    }
    for (const k of keys) {
      const d = firstDifference(ao[k], bo[k], Array.isArray(a) ? `${path}[${k}]` : `${path}.${k}`);
      if (d) return d;
    }
  }
  return { path, real: a, fake: b };
}

/** A known difference: the step still differs, but only in `fields`, for `reason`. */
export interface KnownDifference {
  /** Why the fake differs from the real server here. */
  reason: string;
  /** Dotted paths into the comparable record (`body.message`, `events.*.object.message`, `warnings`). */
  fields: string[];
}

/** The outcome of comparing two targets' records. */
export interface Comparison {
  /** Steps that differ (beyond their listed fields), one line each. */
  differences: string[];
  /** Listed differences that no longer differ, or name no step. */
  stale: string[];
  /** How many steps were compared. */
  compared: number;
}

const short = (v: unknown) => {
  const s = JSON.stringify(v);
  return s === undefined ? "undefined" : s.length > 240 ? `${s.slice(0, 240)}…` : s;
};

/** Compares the fake's records with the real server's, step by step. */
export function compare(
  real: readonly StepRecord[],
  fake: readonly StepRecord[],
  known: Readonly<Record<string, KnownDifference>>,
): Comparison {
  const differences: string[] = [];
  const stale: string[] = [];
  const fakeById = new Map(fake.map((r) => [r.id, r]));
  for (const id of Object.keys(known)) if (!real.some((r) => r.id === id)) stale.push(`${id}: names no step`);
  for (const r of real) {
    const f = fakeById.get(r.id);
    if (!f) {
      differences.push(`${r.id} (${r.what}): the fake has no record`);
      continue;
    }
    const k = known[r.id];
    const a = comparable(r);
    const b = comparable(f);
    if (k) {
      if (isDeepStrictEqual(a, b)) stale.push(`${r.id}: listed (${k.reason}) but no longer differs`);
      const d = firstDifference(without(a, k.fields), without(b, k.fields));
      if (d)
        differences.push(
          `${r.id} (${r.what}), beyond ${k.fields.join(", ")}: at ${d.path} real ${short(d.real)} vs fake ${short(d.fake)}`,
        );
    } else {
      const d = firstDifference(a, b);
      if (d)
        differences.push(`${r.id} (${r.what}): at ${d.path} real ${short(d.real)} vs fake ${short(d.fake)}`);
    }
  }
  return { differences, stale, compared: real.length };
}
