/**
 * Structured output (docs/ARCHITECTURE.md, "Structured output"): the answer of a request with a
 * `responseFormat` is parsed as JSON and checked against the request's JSON Schema. Every provider is
 * asked for JSON natively, but none guarantees it (OpenAI only in strict mode, Gemini not for every
 * keyword, a cut answer is never whole), so the orchestrator checks and decides.
 *
 * Ajv rather than our own checker or Effect's JSON Schema import: Ajv is the reference validator of
 * JSON Schema (draft 2020-12 here), and Effect's import is meant for generating code, not checking
 * values. A schema is compiled once per schema object (a WeakMap), so a caller reusing its schema
 * pays the compile once. A schema made from an Effect Schema (`jsonSchemaFrom`) is then decoded by
 * that schema too, so `output` is its type.
 */
import { Ajv2020, type ValidateFunction } from "ajv/dist/2020.js"
import type { FinishReason, ResponseFormat } from "../domain.ts"
import { decodeWith, effectSchemaOf } from "../effect-schema.ts"
import { OutputValidationError } from "../errors.ts"
import { optionalField } from "../internal/optional.ts"
import type { ChainEntry } from "./policy.ts"

// `strict: false`: keywords Ajv does not know (`title` variants, OpenAI's or Gemini's extensions,
// `format` values) are ignored rather than refused, as the providers ignore them; `allErrors` so the
// message can list what is wrong.
const ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: false })
const compiled = new WeakMap<object, ValidateFunction>()

/** At most this many schema violations are named in a message. */
const maxListed = 5

/** The compiled check of `schema`, or why the schema itself is not a usable JSON Schema. */
export const compileSchema = (schema: Record<string, unknown>): ValidateFunction | string => {
  const known = compiled.get(schema)
  // Stryker disable next-line ConditionalExpression: equivalent, the cache only saves compiling the same schema again
  if (known !== undefined) return known
  // `$schema` names a dialect Ajv2020 may not have loaded (draft-07): the keywords are read as 2020-12.
  const { $schema: _dialect, ...rest } = schema
  try {
    const validate = ajv.compile(rest)
    // Stryker disable next-line CallExpression: equivalent, as above
    compiled.set(schema, validate)
    return validate
  } catch (error) {
    return error instanceof Error ? error.message : String(error)
  }
}

export type DecodedOutput =
  | { readonly ok: true; readonly output: unknown }
  | { readonly ok: false; readonly problem: string }

/** The answer `text` parsed and checked against `schema`. */
export const decodeOutput = (schema: Record<string, unknown>, text: string): DecodedOutput => {
  let output: unknown
  try {
    output = JSON.parse(text)
  } catch {
    return { ok: false, problem: text.trim() === "" ? "the answer is empty" : "the answer is not JSON" }
  }
  const validate = compileSchema(schema)
  // Stryker disable next-line ConditionalExpression: the schema was compiled when the request was validated; this only keeps the types honest
  if (typeof validate === "string") return { ok: false, problem: `the schema does not compile: ${validate}` }
  if (validate(output)) {
    // Made from an Effect Schema (jsonSchemaFrom): the output is what that schema decodes it to.
    const effectSchema = effectSchemaOf(schema)
    if (effectSchema === undefined) return { ok: true, output }
    const decoded = decodeWith(effectSchema, output)
    return decoded.ok
      ? { ok: true, output: decoded.value }
      : { ok: false, problem: `the answer does not decode with the request's Effect Schema: ${decoded.problem}` }
  }
  const errors = validate.errors ?? []
  const listed = errors
    .slice(0, maxListed)
    .map((error) => `${error.instancePath === "" ? "the answer" : error.instancePath} ${error.message ?? "is invalid"}`)
  const more = errors.length > maxListed ? ` (and ${errors.length - maxListed} more)` : ""
  return { ok: false, problem: `the answer does not match the schema: ${listed.join("; ")}${more}` }
}

/**
 * The structured output of an answer to `format`'s request: the decoded value, or the error that
 * fails the attempt (billed by the caller). An answer that is only tool calls has no output yet: the
 * tool loop's last step carries it.
 */
export const structuredOutput = (
  format: ResponseFormat,
  entry: ChainEntry,
  answer: { readonly content: string; readonly finishReason: FinishReason; readonly requestId?: string | undefined }
): { readonly output: unknown } | OutputValidationError => {
  const decoded = decodeOutput(format.schema, answer.content)
  if (decoded.ok) return { output: decoded.output }
  const cut = answer.finishReason === "length" ? " (the answer was cut off at maxTokens: raise it)" : ""
  return new OutputValidationError({
    provider: entry.provider,
    model: entry.model,
    content: answer.content,
    ...optionalField("requestId", answer.requestId),
    message: `${entry.provider} model ${entry.model} did not answer in request.responseFormat's schema: ${decoded.problem}${cut}. The answer was billed; the chain tries its next model unless fallback.on_invalid_output is false`
  })
}
