import assert from "node:assert/strict";
import { rmSync } from "node:fs";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { type ManifestApi, ManifestError, parseManifests } from "kubefetch/manifests";
import { runCli } from "../helpers/cli.js";
import { repoRoot } from "../helpers/paths.js";
import { scratchDir } from "../helpers/spec-check.js";

// An API generated with --crd knows its CRDs' kinds: manifests of them are mapped through the
// registry and checked with their generated zod schema, with no cluster and no CRD in the YAML.
describe("parseManifests with an API generated --crd", () => {
  const out = scratchDir("manifest-crds");
  let api: ManifestApi;
  before(async () => {
    const crds = join(repoRoot, "test/fixtures/crds");
    const r = await runCli(
      "generate",
      "--crd",
      join(crds, "velero"),
      join(crds, "kubefetch"),
      "--groups",
      "core,velero.io,edge.kubefetch.example",
      "--out",
      out,
    );
    assert.equal(r.code, 0, r.stderr);
    const [{ registry }, { validators }] = await Promise.all([
      import(join(out, "registry.ts")),
      import(join(out, "schemas.ts")),
    ]);
    api = { registry, validators };
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it("maps a CRD's object through the generated registry", async () => {
    const [m] = await parseManifests(
      "apiVersion: velero.io/v1\nkind: BackupStorageLocation\nmetadata: {name: default}\nspec: {provider: aws, objectStorage: {bucket: b}, backupSyncPeriod: null}\n",
      { api },
    );
    assert.equal(m?.source, "registry");
    assert.equal(m?.plural, "backupstoragelocations");
    assert.equal(m?.namespace, "default");
  });

  it("validates it with the generated schema: enums, required fields, unknown fields, own properties", async () => {
    const yaml = [
      "apiVersion: velero.io/v1",
      "kind: BackupStorageLocation",
      "metadata: {name: a}",
      "spec: {provider: aws, accessMode: ReadMostly, objectStorage: {}}",
      "---",
      "apiVersion: edge.kubefetch.example/v1",
      "kind: Gadget",
      "metadata: {name: g}",
      "spec: {mode: '=', sizee: 1}",
      "---",
      "apiVersion: edge.kubefetch.example/v1",
      "kind: Gadget",
      "metadata: {name: ok}",
      "spec: {mode: '=', port: http, tags: null}",
      "",
    ].join("\n");
    let error: unknown;
    try {
      await parseManifests(yaml, { api });
    } catch (e) {
      error = e;
    }
    assert.ok(error instanceof ManifestError, String(error));
    const issues = error.issues.map((i) => `${i.index} ${i.path}`).sort();
    assert.deepEqual(issues, ["1 spec.accessMode", "1 spec.objectStorage.bucket", "2 spec.sizee"]);
  });
});
