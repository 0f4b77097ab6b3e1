// Label and field selectors as the apiserver parses, checks and matches them, with the exact
// 400 message it answers a selector it cannot use with.

import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  builtinFieldLabels,
  customResourceFieldLabels,
  fieldValue,
  parseFieldSelector,
  parseLabelSelector,
  SelectorError,
} from "../../src/testing/fake/selectors.js";

function refused(fn: () => unknown, message: string): void {
  assert.throws(fn, (err: unknown) => {
    assert.ok(err instanceof SelectorError, `not a SelectorError: ${String(err)}`);
    assert.equal(err.message, message);
    assert.equal(err.status, 400);
    assert.equal(err.reason, "BadRequest");
    return true;
  });
}

const QUALIFIED =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe("parseLabelSelector", () => {
  const matches = (selector: string, labels: Record<string, string> | undefined) =>
    parseLabelSelector(selector).matches(labels);

  it("matches = and == on the exact value, and neither without the label", () => {
    assert.equal(matches("app=web", { app: "web" }), true);
    assert.equal(matches("app==web", { app: "web" }), true);
    assert.equal(matches("app=web", { app: "api" }), false);
    assert.equal(matches("app=web", undefined), false);
  });

  it("matches != and notin when the label differs or is missing", () => {
    assert.equal(matches("app!=web", { app: "api" }), true);
    assert.equal(matches("app!=web", {}), true);
    assert.equal(matches("app!=web", { app: "web" }), false);
    assert.equal(matches("app notin (web,api)", { app: "db" }), true);
    assert.equal(matches("app notin (web,api)", { app: "api" }), false);
    assert.equal(matches("app notin (web)", {}), true);
  });

  it("matches in against the set, exists on the key, !key on its absence", () => {
    assert.equal(matches("tier in (front, back)", { tier: "back" }), true);
    assert.equal(matches("tier in (front)", { tier: "back" }), false);
    assert.equal(matches("tier", { tier: "" }), true);
    assert.equal(matches("tier", {}), false);
    assert.equal(matches("!tier", {}), true);
    assert.equal(matches("!tier", { tier: "x" }), false);
  });

  it("compares gt and lt as integers, a non-integer label never matching", () => {
    assert.equal(matches("n>5", { n: "6" }), true);
    assert.equal(matches("n>5", { n: "5" }), false);
    assert.equal(matches("n<5", { n: "-10" }), true);
    assert.equal(matches("n<5", { n: "x" }), false);
  });

  it("ANDs comma-separated requirements, whitespace allowed between tokens", () => {
    const s = " app = web ,  tier in ( a , b ),!legacy ";
    assert.equal(matches(s, { app: "web", tier: "b" }), true);
    assert.equal(matches(s, { app: "web", tier: "b", legacy: "1" }), false);
    assert.equal(matches(s, { app: "web", tier: "c" }), false);
  });

  it("reads in and notin as values in value position, and empty values in sets", () => {
    const s = parseLabelSelector("in in (in,,notin)");
    assert.deepEqual(s.requirements, [{ key: "in", operator: "in", values: ["", "in", "notin"] }]);
    assert.deepEqual(parseLabelSelector("x in ()").requirements[0]?.values, [""]);
    assert.deepEqual(parseLabelSelector("x=").requirements[0]?.values, [""]);
  });

  it("sorts requirements by key and selects everything when empty", () => {
    assert.deepEqual(
      parseLabelSelector("b=1,a").requirements.map((r) => r.key),
      ["a", "b"],
    );
    assert.equal(matches("", undefined), true);
  });

  it("accepts a DNS-prefixed key", () => {
    assert.equal(matches("app.kubernetes.io/name=web", { "app.kubernetes.io/name": "web" }), true);
  });

  it("refuses misplaced tokens with labels.Parse's words", () => {
    refused(() => parseLabelSelector("a=b c"), "found 'c', expected: ',' or 'end of string'");
    refused(() => parseLabelSelector(",a"), "found ',', expected: !, identifier, or 'end of string'");
    refused(() => parseLabelSelector("a,"), "found '', expected: identifier after ','");
    refused(
      () => parseLabelSelector("a b"),
      "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt",
    );
    refused(() => parseLabelSelector("a in x"), "unable to parse requirement: found 'x' expected: '('");
    refused(
      () => parseLabelSelector("a in (x"),
      "unable to parse requirement: found '', expected: ',' or ')'",
    );
    refused(
      () => parseLabelSelector("a=(x)"),
      "unable to parse requirement: found '(', expected: identifier",
    );
  });

  it("refuses an invalid key with the qualified-name message and a nil path", () => {
    refused(
      () => parseLabelSelector("-a=b"),
      `unable to parse requirement: <nil>: Invalid value: "-a": name part ${QUALIFIED}`,
    );
    refused(
      () => parseLabelSelector("a/b/c"),
      `unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name ${QUALIFIED} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    );
    refused(
      () => parseLabelSelector("Example.com/a"),
      `unable to parse requirement: <nil>: Invalid value: "Example.com/a": prefix part a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')`,
    );
    refused(
      () => parseLabelSelector(`${"k".repeat(64)}=v`),
      `unable to parse requirement: <nil>: Invalid value: "${"k".repeat(64)}": name part must be no more than 63 characters`,
    );
  });

  it("refuses an invalid value under values[i][key]", () => {
    refused(
      () => parseLabelSelector("a=-b"),
      `unable to parse requirement: values[0][a]: Invalid value: "-b": ${LABEL_VALUE}`,
    );
    refused(
      () => parseLabelSelector(`a=${"v".repeat(64)}`),
      `unable to parse requirement: values[0][a]: Invalid value: "${"v".repeat(64)}": must be no more than 63 characters`,
    );
    refused(
      () => parseLabelSelector("a in (ok,-x,-y)"),
      `unable to parse requirement: [values[0][a]: Invalid value: "-x": ${LABEL_VALUE}, values[1][a]: Invalid value: "-y": ${LABEL_VALUE}]`,
    );
  });

  it("refuses a gt value that is not an integer", () => {
    refused(
      () => parseLabelSelector("a>x"),
      `unable to parse requirement: values[0]: Invalid value: "x": for 'Gt', 'Lt' operators, the value must be an integer`,
    );
  });
});

describe("parseFieldSelector", () => {
  const pods = builtinFieldLabels("v1/Pod");
  const pod = {
    metadata: { name: "web-1", namespace: "prod" },
    spec: { nodeName: "node-a", restartPolicy: "Always" },
    status: { phase: "Running", podIPs: [{ ip: "10.0.0.7" }], podIP: "10.0.0.7" },
  };

  it("matches =, == and != on a pod's fields", () => {
    assert.equal(parseFieldSelector("spec.nodeName=node-a", pods).matches(pod), true);
    assert.equal(parseFieldSelector("spec.nodeName==node-b", pods).matches(pod), false);
    assert.equal(
      parseFieldSelector("status.phase!=Pending,metadata.namespace=prod", pods).matches(pod),
      true,
    );
    assert.equal(parseFieldSelector("metadata.name=web-1,status.phase=Failed", pods).matches(pod), false);
  });

  it("reads a pod's field set as PodToSelectableFields builds it", () => {
    assert.equal(parseFieldSelector("spec.hostNetwork=false", pods).matches(pod), true);
    assert.equal(parseFieldSelector("status.podIP=10.0.0.7", pods).matches(pod), true);
    assert.equal(parseFieldSelector("status.podIPs=10.0.0.7", pods).matches(pod), false);
    assert.equal(parseFieldSelector("spec.host=node-a", pods).matches(pod), true);
  });

  it("defaults counts and flags the way registries do", () => {
    const job = builtinFieldLabels("batch/v1/Job");
    assert.equal(parseFieldSelector("status.successful=0", job).matches({ status: {} }), true);
    assert.equal(parseFieldSelector("status.successful=2", job).matches({ status: { succeeded: 2 } }), true);
    const nodes = builtinFieldLabels("v1/Node");
    assert.equal(parseFieldSelector("spec.unschedulable=false", nodes).matches({ spec: {} }), true);
    assert.equal(
      parseFieldSelector("spec.unschedulable=true", nodes).matches({ spec: { unschedulable: true } }),
      true,
    );
    const events = builtinFieldLabels("v1/Event");
    assert.equal(
      parseFieldSelector("source=kubelet", events).matches({ reportingComponent: "kubelet" }),
      true,
    );
  });

  it("unescapes \\, \\= and \\\\ in values, splitting only on bare commas", () => {
    const s = parseFieldSelector("metadata.name=a\\,b\\=c\\\\d", pods);
    assert.deepEqual(s.requirements, [{ field: "metadata.name", operator: "=", value: "a,b=c\\d" }]);
    assert.equal(s.matches({ metadata: { name: "a,b=c\\d" } }), true);
  });

  it("sorts the terms and selects everything when empty", () => {
    assert.deepEqual(
      parseFieldSelector("status.phase=Running,metadata.name=x", pods).requirements.map((r) => r.field),
      ["metadata.name", "status.phase"],
    );
    assert.equal(parseFieldSelector("", pods).matches({}), true);
  });

  it("refuses malformed terms with fields.ParseSelector's words", () => {
    refused(
      () => parseFieldSelector("z=1,nodeName", pods),
      "invalid selector: 'z=1,nodeName'; can't understand 'nodeName'",
    );
    refused(
      () => parseFieldSelector("metadata.name=a\\x", pods),
      "invalid field selector: invalid escape sequence: \\x",
    );
    refused(
      () => parseFieldSelector("metadata.name=a\\", pods),
      "invalid field selector: invalid escape sequence: \\",
    );
    refused(
      () => parseFieldSelector("metadata.name==a=b", pods),
      "invalid field selector: unescaped character in value: 61",
    );
  });

  it("refuses a label a built-in kind's conversion func does not take", () => {
    refused(() => parseFieldSelector("spec.foo=x", pods), "field label not supported: spec.foo");
    refused(
      () => parseFieldSelector("metadata.namespace=x", builtinFieldLabels("v1/Node")),
      "field label not supported: metadata.namespace",
    );
    refused(
      () => parseFieldSelector("status.active=1", builtinFieldLabels("batch/v1/Job")),
      'field label "status.active" not supported for batchv1.Job',
    );
  });

  it("refuses anything but metadata.name and metadata.namespace on a kind without a conversion func", () => {
    const deployments = builtinFieldLabels("apps/v1/Deployment");
    assert.equal(parseFieldSelector("metadata.namespace=prod", deployments).matches(pod), true);
    refused(
      () => parseFieldSelector("status.replicas=1", deployments),
      '"status.replicas" is not a known field selector: only "metadata.name", "metadata.namespace"',
    );
  });

  it("takes events.k8s.io/v1's regarding.* labels and reads them from the v1 object", () => {
    const events = builtinFieldLabels("events.k8s.io/v1/Event");
    const event = { regarding: { kind: "Pod", name: "web-1" }, reportingController: "kubelet" };
    assert.equal(
      parseFieldSelector("regarding.kind=Pod,reportingController=kubelet", events).matches(event),
      true,
    );
    refused(
      () => parseFieldSelector("involvedObject.kind=Pod", events),
      "field label not supported: involvedObject.kind",
    );
  });

  it("takes a custom resource's selectable fields, and metadata.namespace only when namespaced", () => {
    const namespaced = customResourceFieldLabels(true, [".spec.color"]);
    assert.equal(
      parseFieldSelector("spec.color=blue", namespaced).matches({ spec: { color: "blue" } }),
      true,
    );
    refused(
      () => parseFieldSelector("metadata.namespace=a", customResourceFieldLabels(false)),
      "field label not supported: metadata.namespace",
    );
  });

  it("keeps the spaces around a term's field as part of the label, as the apiserver does", () => {
    refused(() => parseFieldSelector("metadata.name = a", pods), "field label not supported: metadata.name ");
  });

  it("takes a bare list of labels, refusing others as not supported", () => {
    assert.equal(
      parseFieldSelector("metadata.name=a", ["metadata.name"]).matches({ metadata: { name: "a" } }),
      true,
    );
    refused(
      () => parseFieldSelector("metadata.uid=a", ["metadata.name"]),
      "field label not supported: metadata.uid",
    );
  });
});

describe("fieldValue", () => {
  it("reads dotted paths as a field set's strings", () => {
    const obj = { spec: { nodeName: "n", hostNetwork: true, replicas: 3, nested: { a: 1 } } };
    assert.equal(fieldValue(obj, "spec.nodeName"), "n");
    assert.equal(fieldValue(obj, "spec.hostNetwork"), "true");
    assert.equal(fieldValue(obj, "spec.replicas"), "3");
    assert.equal(fieldValue(obj, "spec.missing"), "");
    assert.equal(fieldValue(obj, "spec.nested"), "");
    assert.equal(fieldValue(undefined, "spec.nodeName"), "");
    assert.equal(fieldValue({ __proto__: { x: "y" } }, "x"), "");
  });
});
