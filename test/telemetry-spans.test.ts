/**
 * Issue 21, part (a): the span of each request and of each of its attempts, through the real SDKs
 * against the simulators, collected by an in-memory tracer. Attribute names and well-known values are
 * the constants of `@opentelemetry/semantic-conventions` (incubating entry point); numbers are the
 * scripted usage and the cost log's records; no secret and no content unless opted in.
 */
import { describe, expect, it } from "@effect/vitest"
import type { FleetProvider } from "@llm-orchestrator/testing"
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_INPUT_MESSAGES,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_OUTPUT_MESSAGES,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MAX_TOKENS,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_REQUEST_STOP_SEQUENCES,
  ATTR_GEN_AI_REQUEST_STREAM,
  ATTR_GEN_AI_REQUEST_TEMPERATURE,
  ATTR_GEN_AI_REQUEST_TOP_P,
  ATTR_GEN_AI_RESPONSE_FINISH_REASONS,
  ATTR_GEN_AI_RESPONSE_ID,
  ATTR_GEN_AI_RESPONSE_MODEL,
  ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK,
  ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_GEN_AI_USAGE_OUTPUT_TOKENS,
  ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  GEN_AI_PROVIDER_NAME_VALUE_AWS_BEDROCK,
  GEN_AI_PROVIDER_NAME_VALUE_GCP_GEMINI,
  GEN_AI_PROVIDER_NAME_VALUE_GCP_VERTEX_AI,
  GEN_AI_PROVIDER_NAME_VALUE_OPENAI
} from "@opentelemetry/semantic-conventions/incubating"
import { Effect, Exit, Stream, type Tracer } from "effect"
import { type ChatRequest, LLMOrchestrator, layerFromConfig } from "llm-orchestrator"
import { fleetOrchestrator, readLog } from "./support.ts"
import { attributeStrings, attributesOf, childrenOf, inMemoryTracer, secrets } from "./telemetry-support.ts"

const providerNames: Record<FleetProvider, string> = {
  openai: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
  anthropic: GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  gemini: GEN_AI_PROVIDER_NAME_VALUE_GCP_GEMINI,
  vertex: GEN_AI_PROVIDER_NAME_VALUE_GCP_VERTEX_AI,
  bedrock: GEN_AI_PROVIDER_NAME_VALUE_AWS_BEDROCK
}
/** The fleet config's first two models of each provider (active model, then its fallback). */
const models: Record<FleetProvider, readonly [string, string]> = {
  openai: ["gpt-4o-mini", "gpt-4o"],
  anthropic: ["claude-sonnet-4-6", "claude-haiku-4-5-20251001"],
  gemini: ["gemini-2.5-flash", "gemini-2.5-flash-lite"],
  vertex: ["gemini-2.5-flash", "gemini-2.5-pro"],
  bedrock: ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", "amazon.nova-lite-v1:0"]
}
const providers = Object.keys(models) as Array<FleetProvider>

const prompt = "PROMPT-tell me about otters"
const answer = "ANSWER otters hold hands while sleeping"
const request: ChatRequest = {
  messages: [{ role: "user", content: prompt }],
  temperature: 0.25,
  maxTokens: 300,
  topP: 0.5,
  stop: ["STOP-HERE"],
  metadata: { feature: "otters" }
}
const usage = { inputTokens: 41, outputTokens: 13 }
const ours = (name: string) => `llm_orchestrator.${name}`

/** The fleet with telemetry on, the in-memory tracer given as the tracer for requests without one. */
const traced = (provider: FleetProvider, captureContent = false) =>
  Effect.gen(function* () {
    const { fleet, config, logPath } = yield* fleetOrchestrator({ activeProvider: provider })
    const { tracer, spans } = inMemoryTracer()
    const layer = layerFromConfig(config, { telemetry: { tracer, captureContent } })
    return { fleet, layer, logPath, spans, sim: fleet[provider] }
  })

const rootSpans = (spans: ReadonlyArray<Tracer.NativeSpan>) => spans.filter((span) => span.parent._tag === "None")

/** No attribute holds a credential, the prompt or the answer (content is off by default). */
const expectNoSecretNorContent = (spans: ReadonlyArray<Tracer.NativeSpan>) => {
  const strings = attributeStrings(spans).join("\n")
  for (const secret of secrets) expect(strings).not.toContain(secret)
  expect(strings).not.toContain("PROMPT")
  expect(strings).not.toContain("ANSWER")
  expect(strings).not.toContain("otters hold")
}

const expectRequestAttributes = (attributes: Record<string, unknown>, provider: FleetProvider, stream: boolean) => {
  expect(attributes[ATTR_GEN_AI_OPERATION_NAME]).toBe(GEN_AI_OPERATION_NAME_VALUE_CHAT)
  expect(attributes[ATTR_GEN_AI_PROVIDER_NAME]).toBe(providerNames[provider])
  expect(attributes[ATTR_GEN_AI_REQUEST_MODEL]).toBe(models[provider][0])
  expect(attributes[ATTR_GEN_AI_REQUEST_TEMPERATURE]).toBe(0.25)
  expect(attributes[ATTR_GEN_AI_REQUEST_MAX_TOKENS]).toBe(300)
  expect(attributes[ATTR_GEN_AI_REQUEST_TOP_P]).toBe(0.5)
  expect(attributes[ATTR_GEN_AI_REQUEST_STOP_SEQUENCES]).toEqual(["STOP-HERE"])
  expect(attributes[ATTR_GEN_AI_REQUEST_STREAM]).toBe(stream)
}

const expectUsage = (attributes: Record<string, unknown>, expected: typeof usage) => {
  expect(attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS]).toBe(expected.inputTokens)
  expect(attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).toBe(expected.outputTokens)
  expect(attributes[ATTR_GEN_AI_USAGE_CACHE_READ_INPUT_TOKENS]).toBe(0)
  expect(attributes[ATTR_GEN_AI_USAGE_CACHE_CREATION_INPUT_TOKENS]).toBe(0)
  expect(attributes[ATTR_GEN_AI_USAGE_REASONING_OUTPUT_TOKENS]).toBe(0)
}

const sumCost = (logPath: string) => readLog(logPath).reduce((sum, record) => sum + (record.cost?.total ?? 0), 0)

describe("telemetry spans", () => {
  describe.each(providers)("%s", (provider) => {
    it.live("plain request: one client span with the GenAI attributes, one attempt child, cost from the log", () =>
      Effect.gen(function* () {
        const { layer, spans, sim, logPath } = yield* traced(provider)
        sim.scriptModel(models[provider][0], { kind: "text", text: answer, usage })
        const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest(request)).pipe(Effect.provide(layer))
        const [root, ...others] = rootSpans(spans)
        expect(others).toEqual([])
        expect(root!.name).toBe(`chat ${models[provider][0]}`)
        expect(root!.kind).toBe("client")
        expect(root!.status._tag).toBe("Ended")
        const attributes = attributesOf(root!)
        expectRequestAttributes(attributes, provider, false)
        expectUsage(attributes, usage)
        expect(attributes[ATTR_GEN_AI_RESPONSE_MODEL]).toBe(response.model)
        expect(attributes[ATTR_GEN_AI_RESPONSE_ID]).toBe(response.requestId)
        expect(response.requestId).toBeTruthy()
        expect(attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).toEqual(["stop"])
        const log = readLog(logPath)
        expect(log).toHaveLength(1)
        expect(attributes[ours("cost_usd")]).toBe(log[0]!.cost!.total)
        expect(log[0]!.cost!.total).toBeGreaterThan(0)
        expect(attributes[ours("attempts")]).toBe(1)
        expect(attributes[ours("fell_back")]).toBe(false)
        expect(attributes[ours("request_id")]).toBe(log[0]!.requestId)
        expect(attributes[ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]).toBeUndefined()
        const [attempt, ...more] = childrenOf(spans, root!)
        expect(more).toEqual([])
        expect(attempt!.kind).toBe("client")
        expect(attempt!.status._tag).toBe("Ended")
        const attemptAttributes = attributesOf(attempt!)
        expect(attemptAttributes[ATTR_GEN_AI_PROVIDER_NAME]).toBe(providerNames[provider])
        expect(attemptAttributes[ATTR_GEN_AI_REQUEST_MODEL]).toBe(models[provider][0])
        expect(attemptAttributes[ours("attempt.number")]).toBe(1)
        expect(attemptAttributes[ours("attempt.try")]).toBe(1)
        expect(attemptAttributes[ours("attempt.outcome")]).toBe("success")
        expect(attemptAttributes[ours("provider.instance")]).toBe(provider)
        expectUsage(attemptAttributes, usage)
        expectNoSecretNorContent(spans)
      }).pipe(Effect.scoped)
    )

    it.live("streamed request: time to first chunk, usage and cost, the attempt span open until the stream ends", () =>
      Effect.gen(function* () {
        const { layer, spans, sim, logPath } = yield* traced(provider)
        sim.scriptModel(models[provider][0], { kind: "text", text: answer, usage, chunkDelayMs: 5 })
        const events = yield* LLMOrchestrator.use((llm) => Stream.runCollect(llm.sendStreamingRequest(request))).pipe(
          Effect.provide(layer)
        )
        const finish = events.find((event) => event._tag === "Finish")!
        const [root] = rootSpans(spans)
        const attributes = attributesOf(root!)
        expectRequestAttributes(attributes, provider, true)
        expectUsage(attributes, usage)
        expect(attributes[ATTR_GEN_AI_RESPONSE_MODEL]).toBe(finish._tag === "Finish" && finish.model)
        expect(attributes[ATTR_GEN_AI_RESPONSE_FINISH_REASONS]).toEqual(["stop"])
        const ttfc = attributes[ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK] as number
        expect(typeof ttfc).toBe("number")
        expect(ttfc).toBeGreaterThanOrEqual(0)
        expect(attributes[ours("cost_usd")]).toBe(readLog(logPath)[0]!.cost!.total)
        const [attempt] = childrenOf(spans, root!)
        expect(attempt!.status._tag).toBe("Ended")
        // The winner's span covers its whole stream: it ends after the first chunk, with the usage billed at the end.
        expectUsage(attributesOf(attempt!), usage)
        expect(attributesOf(attempt!)[ATTR_GEN_AI_RESPONSE_TIME_TO_FIRST_CHUNK]).toBeTypeOf("number")
        expectNoSecretNorContent(spans)
      }).pipe(Effect.scoped)
    )

    it.live("fallback: a child span per try (error tag, wait), the request marked as fallen back, costs added", () =>
      Effect.gen(function* () {
        const { layer, spans, sim, logPath } = yield* traced(provider)
        const failure = { kind: "error", fault: "server-error" } as const
        sim.scriptModel(models[provider][0], failure, failure, failure)
        sim.scriptModel(models[provider][1], { kind: "text", text: answer, usage })
        const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest(request)).pipe(Effect.provide(layer))
        const [root] = rootSpans(spans)
        const attributes = attributesOf(root!)
        expect(attributes[ours("fell_back")]).toBe(true)
        expect(attributes[ours("attempts")]).toBe(4)
        expect(attributes[ATTR_GEN_AI_RESPONSE_MODEL]).toBe(response.model)
        expect(attributes[ATTR_GEN_AI_REQUEST_MODEL]).toBe(models[provider][0])
        expect(attributes[ours("cost_usd")]).toBe(sumCost(logPath))
        const attempts = childrenOf(spans, root!).map(attributesOf)
        expect(
          attempts.map((a) => [a[ATTR_GEN_AI_REQUEST_MODEL], a[ours("attempt.try")], a[ours("attempt.outcome")]])
        ).toEqual(response.attempts.map((a) => [a.model, a.attempt, a.outcome]))
        const tags = response.attempts.map((a) => a.errorTag)
        expect(attempts.map((a) => a[ATTR_ERROR_TYPE])).toEqual(tags)
        expect(attempts.map((a) => a[ours("attempt.error_tag")])).toEqual(tags)
        expect(tags[0]).toBeTruthy()
        // The 2nd and 3rd tries waited the retry delay (10-50 ms in the test config); the first and the fallback did not.
        const waited = attempts.map((a) => a[ours("attempt.waited_ms")])
        expect(waited[0]).toBeUndefined()
        expect(waited[1]).toBeGreaterThan(0)
        expect(waited[2]).toBeGreaterThan(0)
        expect(waited[3]).toBeUndefined()
        const failed = childrenOf(spans, root!).slice(0, 3)
        for (const span of failed) expect(span.status._tag === "Ended" && Exit.isFailure(span.status.exit)).toBe(true)
        expectNoSecretNorContent(spans)
      }).pipe(Effect.scoped)
    )

    it.live("cut stream: the request span fails with the error's tag, what was billed is on it", () =>
      Effect.gen(function* () {
        const { layer, spans, sim, logPath } = yield* traced(provider)
        sim.scriptModel(models[provider][0], {
          kind: "stream-fault",
          text: answer,
          afterChunks: 2,
          fault: "error-event",
          errorFault: "server-error"
        })
        const exit = yield* LLMOrchestrator.use((llm) => Stream.runCollect(llm.sendStreamingRequest(request))).pipe(
          Effect.provide(layer),
          Effect.exit
        )
        expect(Exit.isFailure(exit)).toBe(true)
        const [root] = rootSpans(spans)
        const attributes = attributesOf(root!)
        const log = readLog(logPath)
        expect(log).toHaveLength(1)
        expect(attributes[ATTR_ERROR_TYPE]).toBe(log[0]!.errorTag)
        expect(attributes[ours("outcome")]).toBe("error")
        expect(root!.status._tag === "Ended" && Exit.isFailure(root!.status.exit)).toBe(true)
        expect(attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS]).toBe(log[0]!.usage.inputTokens)
        expect(attributes[ATTR_GEN_AI_USAGE_OUTPUT_TOKENS]).toBe(log[0]!.usage.outputTokens)
        expect(attributes[ours("usage_estimated")]).toBe(log[0]!.usageEstimated)
        expect(attributes[ours("cost_usd")]).toBe(log[0]!.cost!.total)
        const [attempt] = childrenOf(spans, root!)
        expect(attributesOf(attempt!)[ATTR_ERROR_TYPE]).toBe(log[0]!.errorTag)
        expect(attempt!.status._tag).toBe("Ended")
        expectNoSecretNorContent(spans)
      }).pipe(Effect.scoped)
    )

    it.live("failed request: error.type on the request and the attempt, nothing billed, no secret", () =>
      Effect.gen(function* () {
        const { layer, spans, sim } = yield* traced(provider)
        sim.scriptModel(models[provider][0], { kind: "error", fault: "invalid-request" })
        const error = yield* LLMOrchestrator.use((llm) => llm.sendRequest(request)).pipe(
          Effect.provide(layer),
          Effect.flip
        )
        const [root] = rootSpans(spans)
        const attributes = attributesOf(root!)
        expect(attributes[ATTR_ERROR_TYPE]).toBe(error._tag)
        expect(attributes[ours("cost_usd")]).toBe(0)
        expect(attributes[ATTR_GEN_AI_USAGE_INPUT_TOKENS]).toBeUndefined()
        expect(root!.status._tag === "Ended" && Exit.isFailure(root!.status.exit)).toBe(true)
        const attempts = childrenOf(spans, root!)
        expect(attempts.length).toBeGreaterThan(0)
        expect(attributesOf(attempts[0]!)[ATTR_ERROR_TYPE]).toBe(error._tag)
        expectNoSecretNorContent(spans)
      }).pipe(Effect.scoped)
    )
  })

  it.live("content is recorded only when capture_content is on: the prompt and the answer as GenAI messages", () =>
    Effect.gen(function* () {
      const { layer, spans, sim } = yield* traced("openai", true)
      sim.scriptModel("gpt-4o-mini", { kind: "text", text: answer, usage }, { kind: "text", text: answer, usage })
      yield* LLMOrchestrator.use((llm) =>
        Effect.andThen(llm.sendRequest(request), Stream.runDrain(llm.sendStreamingRequest(request)))
      ).pipe(Effect.provide(layer))
      const roots = rootSpans(spans)
      expect(roots).toHaveLength(2)
      for (const root of roots) {
        const attributes = attributesOf(root)
        expect(JSON.parse(attributes[ATTR_GEN_AI_INPUT_MESSAGES] as string)).toEqual([
          { role: "user", content: prompt }
        ])
        expect(JSON.parse(attributes[ATTR_GEN_AI_OUTPUT_MESSAGES] as string)).toEqual([
          { role: "assistant", parts: [{ type: "text", content: answer }], finish_reason: "stop" }
        ])
      }
      const strings = attributeStrings(spans).join("\n")
      for (const secret of secrets) expect(strings).not.toContain(secret)
    }).pipe(Effect.scoped)
  )

  it.live("a caller's own tracer and span: the request's span joins the caller's trace as a child", () =>
    Effect.gen(function* () {
      const { fleet, config } = yield* fleetOrchestrator()
      const ours = inMemoryTracer()
      const callers = inMemoryTracer()
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "text", text: answer, usage })
      yield* LLMOrchestrator.use((llm) => llm.sendRequest(request)).pipe(
        Effect.withSpan("caller operation"),
        Effect.provide(layerFromConfig(config, { telemetry: { tracer: ours.tracer } })),
        Effect.withTracer(callers.tracer)
      )
      expect(ours.spans).toEqual([]) // the caller's tracer wins over the configured one
      const caller = callers.spans.find((span) => span.name === "caller operation")!
      const [request_] = childrenOf(callers.spans, caller)
      expect(request_!.name).toBe("chat gpt-4o-mini")
      expect(request_!.traceId).toBe(caller.traceId)
      expect(childrenOf(callers.spans, request_!)).toHaveLength(1)
    }).pipe(Effect.scoped)
  )

  it.live(
    "sample_ratio: 0 leaves every request and its attempts unsampled, 0.5 samples about half, a caller's span decides for its request",
    () =>
      Effect.gen(function* () {
        const { config } = yield* fleetOrchestrator()
        const run = (sampleRatio: number, count: number, underCallerSpan = false) => {
          const { tracer, spans } = inMemoryTracer()
          const send = LLMOrchestrator.use((llm) =>
            Effect.forEach(
              Array.from({ length: count }, () => request),
              (each) =>
                underCallerSpan ? Effect.withSpan(llm.sendRequest(each), "caller operation") : llm.sendRequest(each),
              { concurrency: 16 }
            )
          )
          return send.pipe(
            Effect.provide(layerFromConfig(config, { telemetry: { tracer, sampleRatio } })),
            Effect.withTracer(tracer),
            Effect.as(spans)
          )
        }
        const requestsOf = (spans: ReadonlyArray<Tracer.NativeSpan>) =>
          spans.filter((span) => span.name === "chat gpt-4o-mini" && childrenOf(spans, span).length > 0)
        const expectChildrenFollow = (spans: ReadonlyArray<Tracer.NativeSpan>) => {
          for (const span of requestsOf(spans))
            for (const attempt of childrenOf(spans, span)) expect(attempt.sampled).toBe(span.sampled)
        }

        const none = yield* run(0, 20)
        expect(requestsOf(none)).toHaveLength(20)
        expect(none.filter((span) => span.sampled)).toEqual([])

        const half = yield* run(0.5, 400)
        const sampled = requestsOf(half).filter((span) => span.sampled).length
        expect(requestsOf(half)).toHaveLength(400)
        // Binomial(400, 0.5): outside 140..260 has a probability below 1e-9.
        expect(sampled).toBeGreaterThan(140)
        expect(sampled).toBeLessThan(260)
        expectChildrenFollow(half)

        const underCaller = yield* run(0, 10, true)
        expect(requestsOf(underCaller)).toHaveLength(10)
        expect(underCaller.every((span) => span.sampled)).toBe(true)
      }).pipe(Effect.scoped)
  )

  it.live("telemetry off (the default): no span at all, even under a caller's tracer", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator()
      const callers = inMemoryTracer()
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "text", text: answer, usage })
      yield* LLMOrchestrator.use((llm) => llm.sendRequest(request)).pipe(
        Effect.provide(layer),
        Effect.withTracer(callers.tracer)
      )
      expect(callers.spans.map((span) => span.name)).toEqual([])
    }).pipe(Effect.scoped)
  )
})
