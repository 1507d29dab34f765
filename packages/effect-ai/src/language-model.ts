/**
 * The orchestrator as effect/ai's `LanguageModel` (README "effect/ai"): every effect/ai program
 * (generateText, generateObject, streamText, toolkits, Chat) runs through `LLMOrchestrator`, so it
 * gets the fallback chain, retries, budgets and cost records of any call.
 */
import { type ChatRequest, type Finish, LLMOrchestrator, type LLMOrchestratorShape } from "@llm-orchestrator/core"
import { Context, Effect, type JsonSchema, Layer, Option, Schema, Stream, type Tracer } from "effect"
import { AiError, LanguageModel, Model, Telemetry } from "effect/ai"
import { type ModelSettings, streamPartsMapper, toAiError, toParts, toRequest } from "./mapping.ts"

/** Settings for the calls of a scope, over those the layer was built with (see `withSettings`). */
export class ModelConfig extends Context.Service<ModelConfig, ModelSettings>()(
  "@llm-orchestrator/effect-ai/ModelConfig"
) {}

/** Runs `effect` with `settings` over the layer's own (field by field), e.g. another model or tags. */
export const withSettings =
  (settings: ModelSettings) =>
  <A, E, R>(effect: Effect.Effect<A, E, R>): Effect.Effect<A, E, R> =>
    Effect.flatMap(Effect.serviceOption(ModelConfig), (outer) =>
      Effect.provideService(effect, ModelConfig, Option.isSome(outer) ? { ...outer.value, ...settings } : settings)
    )

/**
 * `gen_ai.provider.name` for the built-in provider types (OpenTelemetry's well-known names); an
 * instance named otherwise is reported by its own name.
 */
const genAiProviderNames: Readonly<Record<string, string>> = {
  openai: "openai",
  anthropic: "anthropic",
  gemini: "gcp.gemini",
  vertex: "gcp.vertex_ai",
  bedrock: "aws.bedrock"
}

const annotateRequest = (span: Tracer.Span, request: ChatRequest, activeModel: string): void =>
  Telemetry.addGenAIAnnotations(span, {
    operation: { name: "chat" },
    request: {
      model: request.model ?? activeModel,
      temperature: request.temperature,
      maxTokens: request.maxTokens,
      topP: request.topP,
      stopSequences: request.stop
    }
  })

/** The answer's GenAI attributes, plus what only the orchestrator knows: who answered, tries, cost. */
const annotateAnswer = (
  span: Tracer.Span,
  answer: Pick<Finish, "provider" | "model" | "requestId" | "finishReason" | "usage" | "cost" | "attempts">
): void => {
  Telemetry.addGenAIAnnotations(span, {
    provider: { name: genAiProviderNames[answer.provider] ?? answer.provider },
    response: { id: answer.requestId, model: answer.model, finishReasons: [answer.finishReason] },
    usage: { inputTokens: answer.usage.inputTokens, outputTokens: answer.usage.outputTokens }
  })
  span.attribute("llm_orchestrator.provider", answer.provider)
  span.attribute("llm_orchestrator.model", answer.model)
  span.attribute("llm_orchestrator.attempts", answer.attempts.length)
  if (answer.cost !== undefined) span.attribute("llm_orchestrator.cost_usd", answer.cost.total)
}

/**
 * The request for one call, or the `AiError` for what core cannot carry (a provider other than the
 * active one, a provider-defined tool, a file in an assistant message).
 */
const requestFor = (
  llm: LLMOrchestratorShape,
  method: string,
  options: LanguageModel.ProviderOptions,
  settings: ModelSettings,
  codecTransformer: LanguageModel.CodecTransformer
): ChatRequest | AiError.AiError => {
  try {
    if (settings.provider !== undefined && settings.provider !== llm.activeProvider)
      return AiError.make({
        module: "LanguageModel",
        method,
        reason: new AiError.InvalidRequestError({
          parameter: "provider",
          description: `${settings.provider} is not the active provider (${llm.activeProvider}): the orchestrator sends a request's model to its active provider, then follows the fallback chain; set active_provider to ${settings.provider} in the config`
        })
      })
    const request = toRequest(options, settings, codecTransformer)
    annotateRequest(options.span, request, llm.activeModel)
    return request
  } catch (error) {
    if (AiError.isAiErrorReason(error)) return AiError.make({ module: "LanguageModel", method, reason: error })
    throw error
  }
}

/**
 * Schemas to JSON Schema 2020-12 (which core's validator reads) with closed objects
 * (`additionalProperties: false`): effect's default leaves a Struct open, which Anthropic and Bedrock
 * refuse and OpenAI's strict mode needs closed. Decoding is unchanged (a Struct ignores extra keys).
 */
export const codecTransformer: LanguageModel.CodecTransformer = (codec) => {
  const document = Schema.toJsonSchemaDocument(codec, { onExcessProperty: "error" })
  // A top-level reference is resolved in place, as effect/ai's default does: providers want an object root.
  const ref = document.schema.$ref
  const root = typeof ref === "string" && ref.startsWith("#/$defs/") ? document.definitions[ref.slice(8)] : undefined
  const jsonSchema: JsonSchema.JsonSchema = { ...(root ?? document.schema) }
  if (Object.keys(document.definitions).length > 0) jsonSchema.$defs = document.definitions
  return { codec, jsonSchema }
}

/** Builds the `LanguageModel` over the orchestrator; `settings` apply to every call (see `withSettings`). */
export const make = (
  settings: ModelSettings = {}
): Effect.Effect<LanguageModel.LanguageModel, never, LLMOrchestrator> =>
  LLMOrchestrator.use((llm) => {
    // The scope's settings over the layer's, read per call (one context lookup).
    const settingsNow = Effect.map(Effect.serviceOption(ModelConfig), (scoped) =>
      Option.isSome(scoped) ? { ...settings, ...scoped.value } : settings
    )
    return LanguageModel.make({
      codecTransformer,
      generateText: (options) =>
        Effect.flatMap(settingsNow, (current) => {
          const request = requestFor(llm, "generateText", options, current, codecTransformer)
          if (AiError.isAiError(request)) return Effect.fail(request)
          return llm.sendRequest(request).pipe(
            Effect.mapError((error) => toAiError("generateText", error)),
            Effect.map((response) => {
              annotateAnswer(options.span, response)
              return toParts(response)
            })
          )
        }),
      streamText: (options) =>
        Stream.unwrap(
          Effect.map(settingsNow, (current) => {
            const request = requestFor(llm, "streamText", options, current, codecTransformer)
            if (AiError.isAiError(request)) return Stream.fail(request)
            // One mapper per stream: it holds the open text block between chunks.
            const toStreamParts = streamPartsMapper((finish) => annotateAnswer(options.span, finish))
            return llm.sendStreamingRequest(request).pipe(
              Stream.mapError((error) => toAiError("streamText", error)),
              Stream.mapArray((events) => toStreamParts(events) as never)
            )
          })
        )
    })
  })

/** `LanguageModel.LanguageModel` from `LLMOrchestrator`; `settings` apply to every call. */
export const layer = (settings: ModelSettings = {}): Layer.Layer<LanguageModel.LanguageModel, never, LLMOrchestrator> =>
  Layer.effect(LanguageModel.LanguageModel, make(settings))

/**
 * A `Model` (effect/ai's `Model.make`): the orchestrator with one model (and optionally settings) for
 * a program, e.g. `program.pipe(Effect.provide(model("claude-haiku-4-5")))`. Its `provider` is the
 * one the program expects (see `ModelSettings.provider`), else "llm-orchestrator".
 */
export const model = <const Name extends string>(
  modelName: Name,
  settings: Omit<ModelSettings, "model"> = {}
): Model.Model<string, LanguageModel.LanguageModel, LLMOrchestrator> =>
  Model.make(settings.provider ?? "llm-orchestrator", modelName, layer({ ...settings, model: modelName }))
