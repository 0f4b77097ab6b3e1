/** A JSON Schema (OpenAPI 3.0 dialect) as plain data: keywords to values. */
export type JsonSchema = { readonly [keyword: string]: unknown };
