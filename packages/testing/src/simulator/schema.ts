/**
 * JSON Schema walking for the simulators' structured-output checks: the APIs that constrain answers
 * to a schema refuse object schemas that allow extra keys (OpenAI strict mode, Anthropic) or leave a
 * property optional (OpenAI strict mode), at any depth, naming where.
 */

type Json = Record<string, unknown>

export const isJsonObject = (value: unknown): value is Json =>
  typeof value === "object" && value !== null && !Array.isArray(value)

/** A loose object schema: where it is (keys from the root) and what it lacks. */
export interface LooseObject {
  readonly path: ReadonlyArray<string>
  readonly lacks: "additionalProperties" | { readonly required: string }
}

const isObjectSchema = (schema: Json) =>
  schema.type === "object" ||
  (Array.isArray(schema.type) && schema.type.includes("object")) ||
  isJsonObject(schema.properties)

/** Each subschema with its path: properties, $defs/definitions, anyOf/allOf/oneOf, prefixItems, items, additionalProperties. */
const children = (schema: Json): Array<readonly [ReadonlyArray<string>, unknown]> => {
  const out: Array<readonly [ReadonlyArray<string>, unknown]> = []
  for (const key of ["properties", "$defs", "definitions"]) {
    const map = schema[key]
    if (isJsonObject(map)) for (const [name, child] of Object.entries(map)) out.push([[key, name], child])
  }
  for (const key of ["anyOf", "allOf", "oneOf", "prefixItems", "items"]) {
    const list = schema[key]
    if (Array.isArray(list)) for (const [index, child] of list.entries()) out.push([[key, String(index)], child])
  }
  if (isJsonObject(schema.items)) out.push([["items"], schema.items])
  if (isJsonObject(schema.additionalProperties)) out.push([["additionalProperties"], schema.additionalProperties])
  return out
}

/**
 * The first object schema (depth first, the root first) without `additionalProperties: false`, or,
 * with `requireAll`, one that does not list each of its properties in `required`; undefined when none.
 */
export const firstLooseObject = (
  schema: unknown,
  requireAll: boolean,
  path: ReadonlyArray<string> = []
): LooseObject | undefined => {
  if (!isJsonObject(schema)) return undefined
  if (isObjectSchema(schema)) {
    if (schema.additionalProperties !== false) return { path, lacks: "additionalProperties" }
    if (requireAll) {
      const required = Array.isArray(schema.required) ? (schema.required as ReadonlyArray<unknown>) : []
      const missing = Object.keys(isJsonObject(schema.properties) ? schema.properties : {}).find(
        (name) => !required.includes(name)
      )
      if (missing !== undefined) return { path, lacks: { required: missing } }
    }
  }
  for (const [key, child] of children(schema)) {
    const loose = firstLooseObject(child, requireAll, [...path, ...key])
    if (loose !== undefined) return loose
  }
  return undefined
}

/** How the APIs name a JSON value's type in their messages: "a string", "an array", "null". */
export const jsonTypeWord = (value: unknown): string =>
  value === null
    ? "null"
    : Array.isArray(value)
      ? "an array"
      : typeof value === "object"
        ? "an object"
        : typeof value === "number" && Number.isInteger(value)
          ? "an integer"
          : `a ${typeof value}`
