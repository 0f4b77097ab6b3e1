// The layer rules of the runtime and codegen, checked in `npm run lint` (test/layers.test.ts
// shows each rule fails when broken). src/README.md draws the layers.
/** @type {import('dependency-cruiser').IConfiguration} */
module.exports = {
  forbidden: [
    {
      name: "no-circular",
      comment: "A file may not reach itself through its imports: the layers only go one way.",
      severity: "error",
      from: { path: "^(src|codegen)/" },
      to: { circular: true },
    },
    {
      name: "core-is-a-leaf",
      comment: "src/core is the bottom layer: it imports nothing of the project outside itself.",
      severity: "error",
      from: { path: "^src/core/" },
      to: { path: "^(src|codegen|generated)/", pathNot: "^src/core/" },
    },
    {
      name: "config-below-transport",
      comment: "config/ describes a connection; transport/ makes one from it, never the reverse.",
      severity: "error",
      from: { path: "^src/config/" },
      to: { path: "^src/transport/" },
    },
    {
      name: "client-and-connect-apart",
      comment: "client/ and connect/ meet only in kube-client/; each uses core and transport alone.",
      severity: "error",
      from: { path: "^src/(client|connect)/" },
      to: { path: "^src/(client|connect)/", pathNot: "^src/$1/" },
    },
    {
      name: "generated-through-the-public-api",
      comment: 'Generated clients import the package as a user does ("kubefetch"), never src/ files.',
      severity: "error",
      from: { path: "^generated/" },
      to: {
        path: "^(src|codegen)/",
        pathNot:
          "^src/(index|schemas/index|transport/index|informer/index|controller/index|manifests/index|testing/index)\\.ts$",
      },
    },
    {
      name: "runtime-not-on-generated",
      comment: "The runtime takes a registry as data; it never imports a generated client.",
      severity: "error",
      from: { path: "^src/" },
      to: { path: "^generated/" },
    },
    {
      name: "one-undici",
      comment:
        'undici comes through src/transport/undici.ts alone: on Bun a bare "undici" is a stand-in that ignores TLS options.',
      severity: "error",
      from: { path: "^(src|codegen|generated)/", pathNot: "^src/transport/undici\\.ts$" },
      to: { path: "(^|/)node_modules/undici/" },
    },
  ],
  options: {
    doNotFollow: { path: "node_modules" },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: "tsconfig.json" },
    enhancedResolveOptions: {
      exportsFields: ["exports"],
      conditionNames: ["kubefetch-source", "import", "types", "default"],
      extensions: [".ts", ".d.ts", ".js"],
    },
  },
};
