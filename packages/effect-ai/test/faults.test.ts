/**
 * What effect/ai sees when things go wrong: a stream that falls back before its first token is one
 * clean stream; after it, the error is an AiError and nothing is mixed. Each LLMError reaches
 * effect/ai as the reason its own providers use (isRetryable, retryAfter). Per-program settings, and
 * the span effect/ai passes: GenAI attributes plus who answered, tries and cost.
 */

import { describe, expect, it } from "@effect/vitest"
import { OrchestratorLanguageModel, orchestratorMetadata } from "@llm-orchestrator/effect-ai"
import type { ErrorReply, Reply } from "@llm-orchestrator/testing"
import { Duration, Effect, Exit, Stream, Tracer } from "effect"
import { type AiError, LanguageModel, type Response } from "effect/ai"
import { fleetLanguageModel, oneTry, readLog } from "./support.ts"

const toGemini = `${oneTry}\nfallback:\n  chain:\n    - { provider: gemini, model: gemini-2.5-flash }`

/** The parts of a stream up to its end or its failure, and the failure. */
const collect = <R>(stream: Stream.Stream<Response.StreamPart<{}>, AiError.AiError, R>) =>
  Effect.gen(function* () {
    const parts: Array<Response.StreamPart<{}>> = []
    const exit = yield* Effect.exit(Stream.runForEach(stream, (part) => Effect.sync(() => parts.push(part))))
    return { parts, exit }
  })

const textOf = (parts: ReadonlyArray<Response.StreamPart<{}>>) =>
  parts.flatMap((p) => (p.type === "text-delta" ? [p.delta] : [])).join("")

const failureOf = <A, E>(exit: Exit.Exit<A, E>): AiError.AiError => {
  if (Exit.isSuccess(exit)) throw new Error("expected a failure")
  const error = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (error?._tag !== "Fail") throw new Error(`expected a typed failure, got ${String(exit.cause)}`)
  return error.error as AiError.AiError
}

describe("streams and fallback", () => {
  it.live("Anthropic fails before the first token, Gemini answers: one clean stream, every attempt listed", () =>
    Effect.gen(function* () {
      const { fleet, layer, logPath } = yield* fleetLanguageModel({ activeProvider: "anthropic", extraYaml: toGemini })
      const overloaded: Reply = {
        kind: "stream-fault",
        text: "",
        afterChunks: 0,
        fault: "error-event",
        errorFault: "overloaded"
      }
      fleet.anthropic.script(overloaded, overloaded)
      fleet.gemini.script({ kind: "text", text: "Gemini answers in full.", chunks: 4 })
      const { parts, exit } = yield* Effect.provide(collect(LanguageModel.streamText({ prompt: "Hello" })), layer)
      expect(Exit.isSuccess(exit)).toBe(true)
      expect(textOf(parts)).toBe("Gemini answers in full.")
      expect(parts.filter((p) => p.type === "text-start")).toHaveLength(1)
      const meta = parts.find((p) => p.type === "response-metadata")
      expect(meta?.modelId).toBe("gemini-2.5-flash")
      const ours = orchestratorMetadata(parts)!
      expect(ours.provider).toBe("gemini")
      expect(ours.attempts.map((a) => `${a.provider}/${a.model}:${a.outcome}:${a.errorTag ?? ""}`)).toEqual([
        "anthropic/claude-sonnet-4-6:error:ProviderUnavailableError",
        "anthropic/claude-haiku-4-5-20251001:error:ProviderUnavailableError",
        "gemini/gemini-2.5-flash:success:"
      ])
      // The winner's record is the one the finish part reports; the failed tries are billed too.
      const records = readLog(logPath)
      const winner = records.find((r) => r.provider === "gemini")!
      expect(ours.cost?.total).toBe(winner.cost?.total)
      expect(records.map((r) => r.provider)).toEqual(["anthropic", "anthropic", "gemini"])
    })
  )

  it.live("Anthropic fails after its first token: the stream ends with an AiError, Gemini never asked", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: "anthropic", extraYaml: toGemini })
      fleet.anthropic.script({
        kind: "stream-fault",
        text: "Anthropic starts then stops",
        chunks: ["Anthropic ", "starts ", "then ", "stops"],
        afterChunks: 2,
        fault: "error-event",
        errorFault: "overloaded"
      })
      const { parts, exit } = yield* Effect.provide(collect(LanguageModel.streamText({ prompt: "Hello" })), layer)
      const error = failureOf(exit)
      expect(error._tag).toBe("AiError")
      expect(error.reason._tag).toBe("InternalProviderError")
      expect(error.isRetryable).toBe(true)
      expect(textOf(parts)).toBe("Anthropic starts ")
      expect(parts.some((p) => p.type === "finish" || p.type === "response-metadata")).toBe(false)
      expect(fleet.gemini.requests.filter((r) => r.kind !== "models")).toHaveLength(0)
    })
  )
})

/** Two identical faults: one for each model of the fleet's OpenAI chain (one try each). */
const twice = (reply: Reply): [Reply, Reply] => [reply, reply]
const fault = (fault: ErrorReply["fault"], extra: Partial<ErrorReply> = {}): Reply => ({
  kind: "error",
  fault,
  ...extra
})

const generateFailure = (replies: ReadonlyArray<Reply>, budgetUsd?: number) =>
  Effect.gen(function* () {
    const { fleet, layer } = yield* fleetLanguageModel({
      activeProvider: "openai",
      ...(budgetUsd === undefined ? {} : { budgetUsd })
    })
    fleet.openai.script(...replies)
    const exit = yield* Effect.provide(
      Effect.exit(
        Effect.andThen(
          budgetUsd === undefined ? Effect.void : LanguageModel.generateText({ prompt: "first" }),
          LanguageModel.generateText({ prompt: "Hello" })
        )
      ),
      layer
    )
    return failureOf(exit)
  })

describe("each LLMError as effect/ai's AiError reason", () => {
  it.live("rate limit: RateLimitError, retryable, with the provider's Retry-After as retryAfter", () =>
    Effect.gen(function* () {
      const error = yield* generateFailure(twice(fault("rate-limit", { retryAfterSeconds: 7 })))
      expect(error.reason._tag).toBe("RateLimitError")
      expect(error.isRetryable).toBe(true)
      expect(error.retryAfter && Duration.toMillis(error.retryAfter)).toBe(7_000)
      expect((error.reason as AiError.RateLimitError).metadata["llm-orchestrator"]).toMatchObject({
        errorTag: "RateLimitError",
        provider: "openai",
        model: "gpt-4o",
        status: 429
      })
    })
  )

  it.live("authentication: AuthenticationError InvalidKey (401), not retryable", () =>
    Effect.gen(function* () {
      const error = yield* generateFailure(twice(fault("auth")))
      expect(error.reason._tag).toBe("AuthenticationError")
      expect((error.reason as AiError.AuthenticationError).kind).toBe("InvalidKey")
      expect(error.isRetryable).toBe(false)
    })
  )

  it.live("permission: AuthenticationError InsufficientPermissions (403)", () =>
    Effect.gen(function* () {
      const error = yield* generateFailure(twice(fault("permission")))
      expect((error.reason as AiError.AuthenticationError).kind).toBe("InsufficientPermissions")
    })
  )

  it.live("invalid request: InvalidRequestError, not retryable", () =>
    Effect.gen(function* () {
      const error = yield* generateFailure(twice(fault("invalid-request")))
      expect(error.reason._tag).toBe("InvalidRequestError")
      expect(error.isRetryable).toBe(false)
    })
  )

  it.live("model not found: InvalidRequestError on the model parameter", () =>
    Effect.gen(function* () {
      const error = yield* generateFailure(twice(fault("model-not-found")))
      expect(error.reason._tag).toBe("InvalidRequestError")
      expect((error.reason as AiError.InvalidRequestError).parameter).toBe("model")
    })
  )

  it.live("context length: InvalidRequestError on the prompt", () =>
    Effect.gen(function* () {
      const error = yield* generateFailure(twice(fault("context-length")))
      expect((error.reason as AiError.InvalidRequestError).parameter).toBe("prompt")
      expect(error.isRetryable).toBe(false)
    })
  )

  it.live("content filter: ContentPolicyError, not retryable", () =>
    Effect.gen(function* () {
      const error = yield* generateFailure(twice(fault("content-filter")))
      expect(error.reason._tag).toBe("ContentPolicyError")
      expect(error.isRetryable).toBe(false)
    })
  )

  it.live("server error: InternalProviderError, retryable", () =>
    Effect.gen(function* () {
      const error = yield* generateFailure(twice(fault("server-error")))
      expect(error.reason._tag).toBe("InternalProviderError")
      expect(error.isRetryable).toBe(true)
    })
  )

  it.live("a dropped connection: NetworkError (TransportError), retryable", () =>
    Effect.gen(function* () {
      const drop: Reply = { kind: "stream-fault", text: "", afterChunks: 0, fault: "drop" }
      const error = yield* generateFailure(twice(drop))
      expect(error.reason._tag).toBe("NetworkError")
      expect((error.reason as AiError.NetworkError).reason).toBe("TransportError")
      expect(error.isRetryable).toBe(true)
    })
  )

  it.live("budget spent: QuotaExhaustedError with what was spent, not retryable", () =>
    Effect.gen(function* () {
      const expensive: Reply = { kind: "text", text: "costly", usage: { inputTokens: 100_000, outputTokens: 10_000 } }
      const error = yield* generateFailure([expensive], 0.001)
      expect(error.reason._tag).toBe("QuotaExhaustedError")
      expect(error.isRetryable).toBe(false)
      expect((error.reason as AiError.QuotaExhaustedError).metadata["llm-orchestrator"]).toMatchObject({
        budgetUsd: 0.001
      })
    })
  )
})

describe("settings per program, and tracing", () => {
  it.live("model(): the program's model on the active provider, tags in the cost log", () =>
    Effect.gen(function* () {
      const { fleet, layer, logPath } = yield* fleetLanguageModel({ activeProvider: "openai" })
      const program = LanguageModel.generateText({ prompt: "Hello" }).pipe(
        OrchestratorLanguageModel.withSettings({ metadata: { feature: "greet" } })
      )
      const response = yield* program.pipe(
        Effect.provide(OrchestratorLanguageModel.model("gpt-4o", { temperature: 0.2 })),
        Effect.provide(layer)
      )
      expect(orchestratorMetadata(response)?.model).toBe("gpt-4o")
      const [sent] = fleet.openai.requests.filter((r) => r.kind !== "models")
      expect(sent?.body).toMatchObject({ model: "gpt-4o", temperature: 0.2 })
      expect(readLog(logPath)[0]?.metadata).toEqual({ feature: "greet" })
    })
  )

  it.live("a provider other than the active one is refused before any call", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: "openai" })
      const exit = yield* LanguageModel.generateText({ prompt: "Hello" }).pipe(
        Effect.provide(OrchestratorLanguageModel.model("claude-haiku-4-5", { provider: "anthropic" })),
        Effect.provide(layer),
        Effect.exit
      )
      const error = failureOf(exit)
      expect((error.reason as AiError.InvalidRequestError).parameter).toBe("provider")
      expect(fleet.openai.requests.concat(fleet.anthropic.requests).filter((r) => r.kind !== "models")).toHaveLength(0)
    })
  )

  it.live("the span effect/ai passes gets GenAI attributes, who answered, the tries and the cost", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: "openai" })
      fleet.openai.scriptModel("gpt-4o-mini", fault("server-error"))
      fleet.openai.scriptModel("gpt-4o", { kind: "text", text: "Hi.", usage: { inputTokens: 30, outputTokens: 5 } })
      const spans: Array<Tracer.NativeSpan> = []
      const tracer = Tracer.make({
        span(options) {
          const span = new Tracer.NativeSpan(options)
          spans.push(span)
          return span
        }
      })
      const response = yield* LanguageModel.generateText({ prompt: "Hello" }).pipe(
        Effect.provide(layer),
        Effect.provideService(Tracer.Tracer, tracer)
      )
      const span = spans.find((s) => s.name === "LanguageModel.generateText")!
      const attributes = Object.fromEntries(span.attributes)
      expect(attributes).toMatchObject({
        "gen_ai.operation.name": "chat",
        "gen_ai.request.model": "gpt-4o-mini",
        "gen_ai.provider.name": "openai",
        "gen_ai.response.model": "gpt-4o",
        "gen_ai.response.finish_reasons": ["stop"],
        "gen_ai.usage.input_tokens": 30,
        "gen_ai.usage.output_tokens": 5,
        "llm_orchestrator.provider": "openai",
        "llm_orchestrator.model": "gpt-4o",
        "llm_orchestrator.attempts": 2,
        "llm_orchestrator.cost_usd": orchestratorMetadata(response)?.cost?.total
      })
    })
  )
})
