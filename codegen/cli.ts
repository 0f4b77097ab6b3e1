import { parseArgs } from "node:util";
import { type LoadedCrds, loadCrdFiles } from "./crd-files.js";
import { loadEmbeddedSpec } from "./embedded-spec.js";
import { GenerateError } from "./errors.js";
import { loadClusterSpec } from "./from-cluster.js";
import { generate } from "./generate.js";
import { type LoadedSpec, loadSpecFile, loadSpecUrl } from "./load-spec.js";
import { loadEmitTypes, MissingToolsError } from "./tools.js";

const USAGE = `Usage: kubefetch generate [source] [--crd PATH...] [--groups G,...] [--out DIR]

Writes a typed Kubernetes client (types, resource registry, zod validators) for one API.

Source (at most one; default: the embedded spec of the newest Kubernetes):
  --from-file PATH   a swagger.json (or .json.gz) / OpenAPI 3 document, or a folder of
                     OpenAPI v3 group-version documents as a server serves them
  --from-url URL     the same over http(s), e.g. a cluster's /openapi/v2 or /openapi/v3
                     behind kubectl proxy (a v3 index is followed to its documents)
  --from-cluster     the current cluster's OpenAPI (with its CRDs): /openapi/v3 when served,
                     else /openapi/v2, through your kubeconfig or the in-cluster service
                     account, as the runtime connects
    --kubeconfig F   with --from-cluster: this kubeconfig instead of $KUBECONFIG / ~/.kube/config
    --context C      with --from-cluster: this context instead of current-context
    --openapi v2|v3  with --from-cluster: this endpoint only; with a file or URL: insist on it

Options:
  --crd PATH...      CustomResourceDefinition files or folders (YAML or JSON, multi-document;
                     apiextensions v1 and v1beta1), added to the source as if the server
                     published them; repeat --crd or list several paths after it
  --groups G,...     only these API groups (core, apps, monitoring.coreos.com, ...) and the
                     definitions they use
  --exclude-groups G,...  every API group but these
  --out DIR          output folder (default ./generated/kubernetes-<version>)
  -h, --help         this help

Exit codes: 0 done, 1 bad input, 2 usage or the generator's tools not installed.
`;

/** Process-free entry point: returns the exit code, writes through the given streams. */
export async function main(
  argv: string[],
  io: { out: (s: string) => void; err: (s: string) => void } = {
    out: (s) => process.stdout.write(s),
    err: (s) => process.stderr.write(s),
  },
): Promise<number> {
  const [command, ...rest] = argv;
  if (command === "-h" || command === "--help" || command === "help") {
    io.out(USAGE);
    return 0;
  }
  if (command !== "generate") {
    io.err(`kubefetch: ${command ? `unknown command "${command}"` : "missing command"}\n\n${USAGE}`);
    return 2;
  }
  let positionals: string[];
  let values: {
    crd?: string[];
    groups?: string;
    "exclude-groups"?: string;
    openapi?: string;
    "from-file"?: string;
    "from-url"?: string;
    "from-cluster"?: boolean;
    kubeconfig?: string;
    context?: string;
    out?: string;
    help?: boolean;
  };
  try {
    ({ values, positionals } = parseArgs({
      args: rest,
      options: {
        crd: { type: "string", multiple: true },
        groups: { type: "string" },
        "exclude-groups": { type: "string" },
        openapi: { type: "string" },
        "from-file": { type: "string" },
        "from-url": { type: "string" },
        "from-cluster": { type: "boolean" },
        kubeconfig: { type: "string" },
        context: { type: "string" },
        out: { type: "string" },
        help: { type: "boolean", short: "h" },
      },
      strict: true,
      allowPositionals: true,
    }));
  } catch (err) {
    io.err(`kubefetch generate: ${(err as Error).message}\n\n${USAGE}`);
    return 2;
  }
  if (values.help) {
    io.out(USAGE);
    return 0;
  }
  const sources = (["from-file", "from-url", "from-cluster"] as const).filter((k) => values[k] !== undefined);
  if (sources.length > 1) {
    io.err(`kubefetch generate: choose one source, not ${sources.map((s) => `--${s}`).join(" and ")}\n`);
    return 2;
  }
  if (!values["from-cluster"] && (values.kubeconfig !== undefined || values.context !== undefined)) {
    io.err("kubefetch generate: --kubeconfig and --context go with --from-cluster\n");
    return 2;
  }

  if (positionals.length && !values.crd) {
    io.err(`kubefetch generate: unexpected argument "${positionals[0]}" (CRD paths go after --crd)\n`);
    return 2;
  }
  const openapi = values.openapi;
  if (openapi !== undefined && openapi !== "v2" && openapi !== "v3") {
    io.err(`kubefetch generate: --openapi takes v2 or v3, not "${openapi}"\n`);
    return 2;
  }
  if (openapi !== undefined && sources.length === 0) {
    io.err("kubefetch generate: --openapi goes with --from-cluster, --from-file or --from-url\n");
    return 2;
  }
  const groupList = (s: string | undefined) =>
    s === undefined
      ? undefined
      : s
          .split(",")
          .map((g) => g.trim())
          .filter(Boolean);
  const groups = groupList(values.groups);
  const exclude = groupList(values["exclude-groups"]);
  if ((groups && groups.length === 0) || (exclude && exclude.length === 0)) {
    io.err("kubefetch generate: --groups and --exclude-groups take a comma-separated list of API groups\n");
    return 2;
  }
  const crdPaths = values.crd ? [...values.crd, ...positionals] : undefined;

  const started = performance.now();
  try {
    // Before any download: a project without the generator's tools learns it at once.
    await loadEmitTypes();
    let crds: LoadedCrds | undefined;
    if (crdPaths) crds = await loadCrdFiles(crdPaths);
    const documents = (done: number, total: number) => {
      io.err(`\rfetching OpenAPI v3 documents: ${done} of ${total}${done === total ? "\n" : ""}`);
    };
    let spec: LoadedSpec;
    let kubernetesVersion: string | undefined;
    if (values["from-file"] !== undefined) {
      spec = await loadSpecFile(values["from-file"]);
    } else if (values["from-url"] !== undefined) {
      const url = values["from-url"];
      let last = 0;
      spec = await loadSpecUrl(
        url,
        (received, total) => {
          const now = performance.now();
          if (now - last < 200 && received !== total) return;
          last = now;
          const mb = (received / 1e6).toFixed(1);
          io.err(`\rdownloading ${url}: ${mb} MB${total ? ` of ${(total / 1e6).toFixed(1)} MB` : ""}`);
        },
        (done, total) => {
          if (done === 1) io.err("\n");
          documents(done, total);
        },
      );
      io.err("\n");
    } else if (values["from-cluster"]) {
      const cluster = await loadClusterSpec({
        ...(values.kubeconfig !== undefined ? { kubeconfig: values.kubeconfig } : {}),
        ...(values.context !== undefined ? { context: values.context } : {}),
        ...(openapi !== undefined ? { openapi } : {}),
        onDocuments: documents,
      });
      spec = cluster.spec;
      kubernetesVersion = cluster.kubernetesVersion;
    } else {
      const embedded = await loadEmbeddedSpec();
      spec = embedded.spec;
      kubernetesVersion = embedded.info.kubernetesVersion;
      io.out(`Using the embedded Kubernetes ${kubernetesVersion} spec (${embedded.info.origin}).\n`);
    }
    if (openapi !== undefined) {
      const is = spec.document.swagger === "2.0" ? "v2" : "v3";
      if (is !== openapi)
        throw new GenerateError(spec.source.label, `is OpenAPI ${is}, not ${openapi} (--openapi ${openapi})`);
    }
    const result = await generate({
      spec,
      ...(crds ? { crds } : {}),
      ...(groups || exclude
        ? { groups: { ...(groups ? { groups } : {}), ...(exclude ? { exclude } : {}) } }
        : {}),
      command: ["kubefetch", ...argv].join(" "),
      ...(values.out !== undefined ? { out: values.out } : {}),
      ...(kubernetesVersion ? { kubernetesVersion } : {}),
    });
    const seconds = ((performance.now() - started) / 1000).toFixed(2);
    io.out(
      [
        `source:      ${spec.source.label}`,
        `spec:        info.version ${result.specVersion} (Kubernetes ${result.kubernetesVersion})`,
        `groups:      ${result.groups}`,
        `resources:   ${result.resources}`,
        `definitions: ${result.definitions}`,
        ...(crds ? [`crds:        ${crds.crds.length} from ${crds.files.length} files`] : []),
        `wrote:       ${result.out} (${Object.keys(result.files).join(", ")})`,
        `time:        ${seconds} s`,
        "",
      ].join("\n"),
    );
    return 0;
  } catch (err) {
    if (err instanceof MissingToolsError) {
      io.err(`kubefetch generate: ${err.message}\n`);
      return 2;
    }
    if (err instanceof GenerateError) {
      io.err(`kubefetch generate: ${err.message}\n`);
      return 1;
    }
    throw err;
  }
}
