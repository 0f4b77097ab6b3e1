// The apiserver's ?labelSelector=: apimachinery's labels.Parse (pkg/labels/selector.go) — its
// lexer, its recursive-descent parser and NewRequirement's validation — with the same error text,
// since a list with a bad selector answers 400 BadRequest with exactly that message.

import { SelectorError } from "./selector-error.js";

/** A label selector operator, as apimachinery's selection.Operator spells it. */
export type LabelOperator = "=" | "==" | "!=" | "in" | "notin" | "exists" | "!" | "gt" | "lt";

/** One requirement of a label selector (all must hold). */
export interface LabelRequirement {
  /** The label key. */
  readonly key: string;
  /** How the label's value is compared. */
  readonly operator: LabelOperator;
  /** The values compared against, sorted and without duplicates (none for exists and !). */
  readonly values: readonly string[];
}

/** A parsed label selector. */
export interface LabelSelector {
  /** The requirements, sorted by key as labels.Parse sorts them. */
  readonly requirements: readonly LabelRequirement[];
  /** Whether an object with these labels is selected (an empty selector selects everything). */
  matches(labels: Readonly<Record<string, string>> | undefined): boolean;
}

type Token =
  | "error"
  | "end"
  | ")"
  | ","
  | "!"
  | "=="
  | "="
  | ">"
  | "identifier"
  | "in"
  | "<"
  | "!="
  | "notin"
  | "(";

const LITERALS: ReadonlyMap<string, Token> = new Map<string, Token>([
  [")", ")"],
  [",", ","],
  ["!", "!"],
  ["==", "=="],
  ["=", "="],
  [">", ">"],
  ["in", "in"],
  ["<", "<"],
  ["!=", "!="],
  ["notin", "notin"],
  ["(", "("],
]);

const BINARY_OPERATORS = "in, notin, =, ==, !=, gt, lt";

interface Item {
  readonly token: Token;
  readonly literal: string;
}

function isWhitespace(ch: string): boolean {
  return ch === " " || ch === "\t" || ch === "\r" || ch === "\n";
}

function isSpecial(ch: string): boolean {
  return "=!(),><".includes(ch) && ch !== "";
}

/** The lexer: Go's reads bytes and takes a NUL (its end marker) as the end of the string too. */
function scan(text: string): Item[] {
  let pos = 0;
  const read = (): string => (pos < text.length ? (text[pos++] as string) : "\0");
  const items: Item[] = [];
  for (;;) {
    let ch = read();
    while (isWhitespace(ch)) ch = read();
    if (ch === "\0") {
      items.push({ token: "end", literal: "" });
      return items;
    }
    pos--;
    if (isSpecial(ch)) {
      let buffer = "";
      let last: Item | undefined;
      for (;;) {
        const c = read();
        if (c === "\0") break;
        if (!isSpecial(c)) {
          pos--;
          break;
        }
        buffer += c;
        const token = LITERALS.get(buffer);
        if (token !== undefined) last = { token, literal: buffer };
        else if (last !== undefined) {
          pos--;
          break;
        }
      }
      items.push(last ?? { token: "error", literal: `error expected: keyword found '${buffer}'` });
    } else {
      let buffer = "";
      for (;;) {
        const c = read();
        if (c === "\0") break;
        if (isSpecial(c) || isWhitespace(c)) {
          pos--;
          break;
        }
        buffer += c;
      }
      items.push({ token: LITERALS.get(buffer) ?? "identifier", literal: buffer });
    }
  }
}

// --- validation, as apimachinery's util/validation words it --------------------------------

const QUALIFIED_NAME = /^([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]$/;
const QUALIFIED_NAME_FMT = "([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]";
const DNS1123_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const DNS1123_SUBDOMAIN_FMT = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
const LABEL_VALUE = /^(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?$/;
const LABEL_VALUE_FMT = `(${QUALIFIED_NAME_FMT})?`;

/** validation.RegexError, double space after each example comma included. */
function regexError(msg: string, fmt: string, ...examples: string[]): string {
  if (examples.length === 0) return `${msg} (regex used for validation is '${fmt}')`;
  return `${msg} (e.g. ${examples.map((e) => `'${e}', `).join(" or ")}regex used for validation is '${fmt}')`;
}

const QUALIFIED_NAME_ERR = regexError(
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
  QUALIFIED_NAME_FMT,
  "MyName",
  "my.name",
  "123-abc",
);

function isQualifiedName(value: string): string[] {
  const errs: string[] = [];
  const parts = value.split("/");
  let name: string;
  if (parts.length === 1) name = parts[0] as string;
  else if (parts.length === 2) {
    const prefix = parts[0] as string;
    name = parts[1] as string;
    if (prefix.length === 0) errs.push("prefix part must be non-empty");
    else {
      if (prefix.length > 253) errs.push("prefix part must be no more than 253 characters");
      if (!DNS1123_SUBDOMAIN.test(prefix)) {
        errs.push(
          `prefix part ${regexError(
            "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character",
            DNS1123_SUBDOMAIN_FMT,
            "example.com",
          )}`,
        );
      }
    }
  } else {
    return [
      `a qualified name ${QUALIFIED_NAME_ERR} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ];
  }
  if (name.length === 0) errs.push("name part must be non-empty");
  else if (name.length > 63) errs.push("name part must be no more than 63 characters");
  if (!QUALIFIED_NAME.test(name)) errs.push(`name part ${QUALIFIED_NAME_ERR}`);
  return errs;
}

function isValidLabelValue(value: string): string[] {
  const errs: string[] = [];
  if (value.length > 63) errs.push("must be no more than 63 characters");
  if (!LABEL_VALUE.test(value)) {
    errs.push(
      regexError(
        "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character",
        LABEL_VALUE_FMT,
        "MyValue",
        "my_value",
        "12345",
      ),
    );
  }
  return errs;
}

/** field.Invalid(path, value, detail).Error(), with Go's %q quoting of the value. */
function invalid(path: string, value: string, detail: string): string {
  return `${path}: Invalid value: ${JSON.stringify(value)}: ${detail}`;
}

/** utilerrors.NewAggregate(errs).Error(): one message alone, several deduplicated in brackets. */
function aggregate(errs: readonly string[]): string {
  const unique = [...new Set(errs)];
  return unique.length === 1 ? (unique[0] as string) : `[${unique.join(", ")}]`;
}

const INT64 = /^[+-]?[0-9]+$/;

function parseInt64(s: string): bigint | undefined {
  if (!INT64.test(s)) return undefined;
  const n = BigInt(s);
  return n > 9223372036854775807n || n < -9223372036854775808n ? undefined : n;
}

/** NewRequirement's checks (the key was checked by the parser already, with a nil path). */
function requirement(key: string, operator: LabelOperator, values: string[]): LabelRequirement {
  const errs: string[] = [];
  const keyErrs = isQualifiedName(key);
  if (keyErrs.length > 0) errs.push(invalid("key", key, keyErrs.join("; ")));
  if ((operator === "in" || operator === "notin") && values.length === 0) {
    errs.push(`values: Invalid value: []string{}: for 'in', 'notin' operators, values set can't be empty`);
  }
  if (operator === "gt" || operator === "lt") {
    values.forEach((v, i) => {
      if (parseInt64(v) === undefined) {
        errs.push(invalid(`values[${i}]`, v, "for 'Gt', 'Lt' operators, the value must be an integer"));
      }
    });
  }
  values.forEach((v, i) => {
    const valueErrs = isValidLabelValue(v);
    if (valueErrs.length > 0) errs.push(invalid(`values[${i}][${key}]`, v, valueErrs.join("; ")));
  });
  if (errs.length > 0) throw new ParseError(aggregate(errs));
  return { key, operator, values };
}

class ParseError extends Error {}

function sortedSet(values: Iterable<string>): string[] {
  return [...new Set(values)].sort();
}

/** labels.Parse's recursive descent over the scanned items. */
function parseRequirements(items: readonly Item[]): LabelRequirement[] {
  let position = 0;
  // In a value position "in" and "notin" are identifiers ("x in (in)").
  const valueToken = (item: Item): Token =>
    item.token === "in" || item.token === "notin" ? "identifier" : item.token;
  const lookahead = (): Item => items[position] as Item;
  const consume = (): Item => items[position++] as Item;

  const parseKeyAndInferOperator = (): [string, LabelOperator | undefined] => {
    let operator: LabelOperator | undefined;
    let item = consume();
    let token = valueToken(item);
    if (token === "!") {
      operator = "!";
      item = consume();
      token = valueToken(item);
    }
    if (token !== "identifier") throw new ParseError(`found '${item.literal}', expected: identifier`);
    const keyErrs = isQualifiedName(item.literal);
    if (keyErrs.length > 0) throw new ParseError(invalid("<nil>", item.literal, keyErrs.join("; ")));
    const next = valueToken(lookahead());
    if ((next === "end" || next === ",") && operator !== "!") operator = "exists";
    return [item.literal, operator];
  };

  const parseOperator = (): LabelOperator => {
    const item = consume();
    switch (item.token) {
      case "in":
        return "in";
      case "=":
        return "=";
      case "==":
        return "==";
      case ">":
        return "gt";
      case "<":
        return "lt";
      case "notin":
        return "notin";
      case "!=":
        return "!=";
      default:
        throw new ParseError(`found '${item.literal}', expected: ${BINARY_OPERATORS}`);
    }
  };

  const parseIdentifiersList = (): Set<string> => {
    const s = new Set<string>();
    for (;;) {
      const item = consume();
      const token = valueToken(item);
      if (token === "identifier") {
        s.add(item.literal);
        const next = lookahead();
        const nextToken = valueToken(next);
        if (nextToken === ",") continue;
        if (nextToken === ")") return s;
        throw new ParseError(`found '${next.literal}', expected: ',' or ')'`);
      }
      if (token === ",") {
        if (s.size === 0) s.add(""); // "(,"
        const nextToken = valueToken(lookahead());
        if (nextToken === ")") {
          s.add(""); // ",)"
          return s;
        }
        if (nextToken === ",") s.add(""); // ",,"
        continue;
      }
      throw new ParseError(`found '${item.literal}', expected: ',', or identifier`);
    }
  };

  const parseValues = (): string[] => {
    const open = consume();
    if (valueToken(open) !== "(") throw new ParseError(`found '${open.literal}' expected: '('`);
    const next = lookahead();
    const token = valueToken(next);
    if (token === "identifier" || token === ",") {
      const s = parseIdentifiersList();
      if (valueToken(consume()) !== ")") throw new ParseError(`found '${next.literal}', expected: ')'`);
      return sortedSet(s);
    }
    if (token === ")") {
      consume();
      return [""];
    }
    throw new ParseError(`found '${next.literal}', expected: ',', ')' or identifier`);
  };

  const parseExactValue = (): string[] => {
    const next = valueToken(lookahead());
    if (next === "end" || next === ",") return [""];
    const item = consume();
    if (valueToken(item) === "identifier") return [item.literal];
    throw new ParseError(`found '${item.literal}', expected: identifier`);
  };

  const parseRequirement = (): LabelRequirement => {
    const [key, inferred] = parseKeyAndInferOperator();
    if (inferred === "exists" || inferred === "!") return requirement(key, inferred, []);
    const operator = parseOperator();
    const values = operator === "in" || operator === "notin" ? parseValues() : parseExactValue();
    return requirement(key, operator, values);
  };

  const requirements: LabelRequirement[] = [];
  for (;;) {
    const item = lookahead();
    const token = valueToken(item);
    if (token === "end") return requirements;
    if (token !== "identifier" && token !== "!") {
      throw new SelectorError(`found '${item.literal}', expected: !, identifier, or 'end of string'`);
    }
    try {
      requirements.push(parseRequirement());
    } catch (err) {
      if (err instanceof ParseError) throw new SelectorError(`unable to parse requirement: ${err.message}`);
      throw err;
    }
    const after = consume();
    const afterToken = valueToken(after);
    if (afterToken === "end") return requirements;
    if (afterToken !== ",")
      throw new SelectorError(`found '${after.literal}', expected: ',' or 'end of string'`);
    const next = lookahead();
    const nextToken = valueToken(next);
    if (nextToken !== "identifier" && nextToken !== "!") {
      throw new SelectorError(`found '${next.literal}', expected: identifier after ','`);
    }
  }
}

function matchesRequirement(r: LabelRequirement, labels: Readonly<Record<string, string>>): boolean {
  const has = Object.hasOwn(labels, r.key);
  const value = has ? labels[r.key] : undefined;
  switch (r.operator) {
    case "=":
    case "==":
    case "in":
      return value !== undefined && r.values.includes(value);
    case "!=":
    case "notin":
      return value === undefined || !r.values.includes(value);
    case "exists":
      return has;
    case "!":
      return !has;
    case "gt":
    case "lt": {
      const actual = value === undefined ? undefined : parseInt64(value);
      const bound = r.values.length === 1 ? parseInt64(r.values[0] as string) : undefined;
      if (actual === undefined || bound === undefined) return false;
      return r.operator === "gt" ? actual > bound : actual < bound;
    }
  }
}

/**
 * Parses a label selector as labels.Parse does: `k=v`, `k==v`, `k!=v`, `k in (a,b)`,
 * `k notin (a,b)`, `k` (exists), `!k`, `k>1`, `k<1` (integers), requirements joined by commas,
 * whitespace anywhere between tokens. Keys must be qualified names (an optional DNS subdomain
 * prefix and "/", then at most 63 characters) and values valid label values; a selector that
 * fails throws SelectorError with labels.Parse's message. An empty string selects everything.
 */
export function parseLabelSelector(text: string): LabelSelector {
  const requirements = parseRequirements(scan(text)).sort((a, b) =>
    a.key < b.key ? -1 : a.key > b.key ? 1 : 0,
  );
  return {
    requirements,
    matches: (labels) => requirements.every((r) => matchesRequirement(r, labels ?? {})),
  };
}
