/**
 * A CustomResourceDefinition with one served and stored version, v1, whose objects' `spec`
 * has the given schema. Each test gives its own group, so tests never share a kind.
 */
export function crdFor(o: {
  group: string;
  kind: string;
  plural: string;
  scope?: "Namespaced" | "Cluster";
  spec: Record<string, unknown>;
}) {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${o.plural}.${o.group}` },
    spec: {
      group: o.group,
      scope: o.scope ?? "Namespaced",
      names: { plural: o.plural, singular: o.kind.toLowerCase(), kind: o.kind },
      versions: [
        {
          name: "v1",
          served: true,
          storage: true,
          schema: {
            openAPIV3Schema: { type: "object", properties: { spec: { type: "object", ...o.spec } } },
          },
        },
      ],
    },
  };
}
