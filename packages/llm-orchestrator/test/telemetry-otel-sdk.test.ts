/**
 * Issue 21, part (c): a program that already runs the OpenTelemetry SDK gets the orchestrator's spans
 * in its own traces, through `@effect/opentelemetry`: in the Effect API under the caller's span, and in
 * the Promise facade under the span active in OpenTelemetry's context (given the SDK's tracer as
 * `telemetry.tracer`). The SDK's in-memory exporter receives them; no secret and no content in them.
 */
import * as OtelTracer from "@effect/opentelemetry/OtelTracer"
import { fleetCredentials, type SimulatorFleet, startSimulatorFleet } from "@llm-orchestrator/testing"
import { trace } from "@opentelemetry/api"
import { InMemorySpanExporter, type ReadableSpan, SimpleSpanProcessor } from "@opentelemetry/sdk-trace-base"
import { NodeTracerProvider } from "@opentelemetry/sdk-trace-node"
import { Effect } from "effect"
import { createOrchestrator, LLMOrchestrator, layerFromConfig, parseConfig } from "llm-orchestrator"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"

const request = { messages: [{ role: "user" as const, content: "PROMPT-what do otters eat?" }] }
const answer = "ANSWER-shellfish"

const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId

describe("telemetry joins the program's OpenTelemetry SDK", { timeout: 30_000 }, () => {
  let fleet: SimulatorFleet
  let exporter: InMemorySpanExporter
  let provider: NodeTracerProvider
  beforeAll(async () => {
    fleet = await startSimulatorFleet()
    exporter = new InMemorySpanExporter()
    provider = new NodeTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] })
    provider.register() // the global provider and the AsyncLocalStorage context manager
  })
  afterAll(async () => {
    await provider.shutdown()
    trace.disable()
    await fleet.close()
  })
  afterEach(() => {
    exporter.reset()
    fleet.openai.reset()
  })
  const config = () => Effect.runSync(parseConfig(fleet.configYaml()))

  /** The request's span under `parent`, its one attempt under it, GenAI attributes, nothing secret. */
  const expectRequestUnder = (parent: ReadableSpan) => {
    const spans = exporter.getFinishedSpans()
    const requests = spans.filter((span) => parentOf(span) === parent.spanContext().spanId)
    expect(requests.map((span) => span.name)).toEqual(["chat gpt-4o-mini"])
    const request_ = requests[0]!
    expect(request_.spanContext().traceId).toBe(parent.spanContext().traceId)
    expect(request_.attributes["gen_ai.operation.name"]).toBe("chat")
    expect(request_.attributes["gen_ai.provider.name"]).toBe("openai")
    expect(request_.attributes["gen_ai.usage.input_tokens"]).toBe(21)
    expect(request_.attributes["gen_ai.usage.output_tokens"]).toBe(8)
    expect(request_.attributes["llm_orchestrator.attempts"]).toBe(1)
    const attempts = spans.filter((span) => parentOf(span) === request_.spanContext().spanId)
    expect(attempts).toHaveLength(1)
    expect(attempts[0]!.attributes["llm_orchestrator.attempt.outcome"]).toBe("success")
    const text = JSON.stringify(spans.map((span) => span.attributes))
    for (const secret of Object.values(fleetCredentials)) expect(text).not.toContain(secret)
    expect(text).not.toContain("PROMPT")
    expect(text).not.toContain("ANSWER")
  }

  it("Effect API: under the caller's span, with the SDK's tracer installed by OtelTracer.layerGlobal", async () => {
    fleet.openai.scriptModel("gpt-4o-mini", { kind: "text", text: answer, usage: { inputTokens: 21, outputTokens: 8 } })
    await Effect.runPromise(
      LLMOrchestrator.use((llm) => llm.sendRequest(request)).pipe(
        Effect.withSpan("caller operation"),
        Effect.provide(layerFromConfig(config(), { telemetry: {} })),
        Effect.provide(OtelTracer.layerGlobal)
      )
    )
    const caller = exporter.getFinishedSpans().find((span) => span.name === "caller operation")!
    expectRequestUnder(caller)
  })

  it("Promise facade: under the span active in OpenTelemetry's context, with the SDK's tracer as telemetry.tracer", async () => {
    fleet.openai.scriptModel("gpt-4o-mini", { kind: "text", text: answer, usage: { inputTokens: 21, outputTokens: 8 } })
    const tracer = await Effect.runPromise(Effect.provide(OtelTracer.make, OtelTracer.layerGlobalTracer))
    const llm = await createOrchestrator(config(), { telemetry: { tracer } })
    try {
      await trace.getTracer("app").startActiveSpan("POST /ask", async (span) => {
        await llm.sendRequest(request)
        span.end()
      })
    } finally {
      await llm.close()
    }
    const http = exporter.getFinishedSpans().find((span) => span.name === "POST /ask")!
    expectRequestUnder(http)
  })
})
