/**
 * Effect `Schema`s where a request takes a JSON Schema (README "Effect Schemas"): `jsonSchemaFrom`
 * turns one into the JSON Schema the providers are sent and remembers it, so that the answer to a
 * `responseFormat` built from it comes back decoded by it (`response.output` is the schema's type,
 * transformations applied), and a tool's arguments reach `execute` decoded (`schemaTool`).
 *
 * The link is the JSON Schema object itself (a WeakMap): a copy of it is a plain JSON Schema again.
 */
import { Cause, type Effect, Exit, Schema } from "effect"
import type { ToolCall } from "./domain.ts"
import type { ExecutableTool } from "./tool-loop.ts"

type JsonSchema = Record<string, unknown>

const jsonSchemas = new WeakMap<Schema.Top, JsonSchema>()
const effectSchemas = new WeakMap<object, Schema.Top>()

const definitionsPrefix = "#/$defs/"

/**
 * The JSON Schema (draft 2020-12) of what `schema` decodes from, for `tools[].parameters` or
 * `responseFormat.schema`; one object per schema. A named schema (a `Schema.Class`, an `identifier`)
 * is generated as a `$ref` to its definition: that definition is put at the root, so the root stays
 * the object schema the providers want; the other definitions go under `$defs`. Every object schema
 * is closed to properties it does not name.
 */
export const jsonSchemaFrom = (schema: Schema.Top): JsonSchema => {
  const made = jsonSchemas.get(schema)
  if (made !== undefined) return made
  // Objects closed (`additionalProperties: false`): Anthropic's structured output requires it and
  // OpenAI's strict mode wants it; a model has no use for properties the schema does not name.
  const document = Schema.toJsonSchemaDocument(schema, { onExcessProperty: "error" })
  let definitions: Record<string, unknown> = document.definitions
  let root = document.schema as JsonSchema
  const ref = root.$ref
  if (typeof ref === "string" && ref.startsWith(definitionsPrefix)) {
    const key = ref.slice(definitionsPrefix.length)
    root = definitions[key] as JsonSchema
    const others = { ...definitions }
    delete others[key]
    // Its definition stays under $defs only when something refers to it (a recursive schema).
    if (!JSON.stringify([root, others]).includes(`"${ref}"`)) definitions = others
  }
  const json = Object.keys(definitions).length > 0 ? { ...root, $defs: definitions } : { ...root }
  jsonSchemas.set(schema, json)
  effectSchemas.set(json, schema)
  return json
}

/** The Effect Schema `jsonSchema` was made from by `jsonSchemaFrom`, if it was. */
export const effectSchemaOf = (jsonSchema: object): Schema.Top | undefined => effectSchemas.get(jsonSchema)

/** `value` decoded by `schema`: the decoded value, or the problem in words. */
export const decodeWith = (
  schema: Schema.Top,
  value: unknown
): { readonly ok: true; readonly value: unknown } | { readonly ok: false; readonly problem: string } => {
  const exit = Schema.decodeUnknownExit(schema as Schema.Codec<unknown, unknown>)(value)
  if (Exit.isSuccess(exit)) return { ok: true, value: exit.value }
  // The schema's error, or the defect of a check that threw.
  const error = Cause.squash(exit.cause)
  return { ok: false, problem: error instanceof Error ? error.message : String(error) }
}

/**
 * A tool for the tool loop whose parameters are an Effect Schema: the model is shown its JSON Schema;
 * `execute` gets the arguments decoded. Arguments that do not decode never reach `execute`: the model
 * gets an error result naming the problem, and may call again.
 */
export const schemaTool = <S extends Schema.Top, R = never>(
  name: string,
  options: {
    readonly description?: string
    readonly parameters: S
    readonly execute: (args: S["Type"], call: ToolCall) => Effect.Effect<unknown, unknown, R>
  }
): ExecutableTool<R> => ({
  name,
  ...(options.description === undefined ? {} : { description: options.description }),
  parameters: jsonSchemaFrom(options.parameters),
  execute: (args, call) => options.execute(args as S["Type"], call)
})
