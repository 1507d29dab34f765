/**
 * Walking a JSON Schema for the providers' structured-output rules: OpenAI's strict mode, and the
 * closed objects Anthropic (and Claude on Bedrock) insist on.
 */

export type JsonSchema = Readonly<Record<string, unknown>>

export const isSchema = (value: unknown): value is JsonSchema =>
  typeof value === "object" && value !== null && !Array.isArray(value)

export const isObjectSchema = (schema: JsonSchema): boolean =>
  schema.type === "object" ||
  (Array.isArray(schema.type) && schema.type.includes("object")) ||
  isSchema(schema.properties)

/** Keys whose value maps names to subschemas; keys whose value is a list of them. */
const schemaMaps = ["properties", "$defs", "definitions"] as const
const schemaLists = ["anyOf", "allOf", "oneOf", "prefixItems"] as const

/**
 * `schema` with each direct subschema replaced by `f(subschema)` (a `$ref` points into `$defs` or
 * `definitions`, so those are walked too). `items` is a schema or, in older drafts, a list of them;
 * `additionalProperties` only when it is a schema.
 */
export const mapSubschemas = (schema: JsonSchema, f: (subschema: unknown) => unknown): Record<string, unknown> => {
  const copy: Record<string, unknown> = { ...schema }
  for (const key of schemaMaps) {
    const map = schema[key]
    if (isSchema(map)) copy[key] = Object.fromEntries(Object.entries(map).map(([name, sub]) => [name, f(sub)]))
  }
  for (const key of schemaLists) {
    const list = schema[key]
    if (Array.isArray(list)) copy[key] = list.map(f)
  }
  if (Array.isArray(schema.items)) copy.items = schema.items.map(f)
  else if (isSchema(schema.items)) copy.items = f(schema.items)
  if (isSchema(schema.additionalProperties)) copy.additionalProperties = f(schema.additionalProperties)
  return copy
}

/** Whether `test` holds for `schema` and every subschema in it. */
export const everySchema = (schema: unknown, test: (schema: JsonSchema) => boolean): boolean => {
  if (!isSchema(schema)) return true
  if (!test(schema)) return false
  let all = true
  mapSubschemas(schema, (sub) => {
    all &&= everySchema(sub, test)
    return sub
  })
  return all
}

/**
 * `schema` with `additionalProperties: false` on every object schema that does not say: Anthropic's
 * structured output refuses (400) an object schema that allows keys it does not list, as the Anthropic
 * SDK's own schema helper does. An explicit `additionalProperties` is left as written.
 */
export const closeObjects = (schema: unknown): unknown => {
  if (!isSchema(schema)) return schema
  const copy = mapSubschemas(schema, closeObjects)
  if (isObjectSchema(schema) && schema.additionalProperties === undefined) copy.additionalProperties = false
  return copy
}
