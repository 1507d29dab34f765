/**
 * Issue 21, part (b): the metrics, read from Effect's metric registry after real requests through the
 * SDKs against the simulators. Names and attribute keys are the constants of
 * `@opentelemetry/semantic-conventions`; token and cost totals equal the cost log's.
 */
import { describe, expect, it } from "@effect/vitest"
import type { CostRecord } from "@llm-orchestrator/core"
import type { FleetProvider } from "@llm-orchestrator/testing"
import {
  ATTR_ERROR_TYPE,
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_PROVIDER_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  GEN_AI_OPERATION_NAME_VALUE_CHAT,
  GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  GEN_AI_PROVIDER_NAME_VALUE_AWS_BEDROCK,
  GEN_AI_PROVIDER_NAME_VALUE_GCP_GEMINI,
  GEN_AI_PROVIDER_NAME_VALUE_GCP_VERTEX_AI,
  GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
  GEN_AI_TOKEN_TYPE_VALUE_INPUT,
  GEN_AI_TOKEN_TYPE_VALUE_OUTPUT,
  METRIC_GEN_AI_CLIENT_OPERATION_DURATION,
  METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE
} from "@opentelemetry/semantic-conventions/incubating"
import { Context, Effect, Metric, Stream } from "effect"
import { LLMOrchestrator, layerFromConfig } from "llm-orchestrator"
import { fleetOrchestrator, readLog } from "./support.ts"

const providerNames: Record<FleetProvider, string> = {
  openai: GEN_AI_PROVIDER_NAME_VALUE_OPENAI,
  anthropic: GEN_AI_PROVIDER_NAME_VALUE_ANTHROPIC,
  gemini: GEN_AI_PROVIDER_NAME_VALUE_GCP_GEMINI,
  vertex: GEN_AI_PROVIDER_NAME_VALUE_GCP_VERTEX_AI,
  bedrock: GEN_AI_PROVIDER_NAME_VALUE_AWS_BEDROCK
}
const models: Record<FleetProvider, readonly [string, string]> = {
  openai: ["gpt-4o-mini", "gpt-4o"],
  anthropic: ["claude-sonnet-4-6", "claude-haiku-4-5-20251001"],
  gemini: ["gemini-2.5-flash", "gemini-2.5-flash-lite"],
  vertex: ["gemini-2.5-flash", "gemini-2.5-pro"],
  bedrock: ["us.anthropic.claude-sonnet-4-5-20250929-v1:0", "amazon.nova-lite-v1:0"]
}
const providers = Object.keys(models) as Array<FleetProvider>
const user = (content: string) => ({ messages: [{ role: "user" as const, content }], metadata: { feature: "m" } })

type Snapshot = ReturnType<typeof Metric.snapshotUnsafe>[number]
const series = (snapshots: ReadonlyArray<Snapshot>, id: string, attributes: Record<string, string> = {}) =>
  snapshots.filter(
    (s) => s.id === id && Object.entries(attributes).every(([key, value]) => s.attributes?.[key] === value)
  )
const histogramSum = (list: ReadonlyArray<Snapshot>) =>
  list.reduce((sum, s) => sum + (s.type === "Histogram" ? s.state.sum : 0), 0)
const histogramCount = (list: ReadonlyArray<Snapshot>) =>
  list.reduce((sum, s) => sum + (s.type === "Histogram" ? s.state.count : 0), 0)
const counterSum = (list: ReadonlyArray<Snapshot>) =>
  list.reduce((sum, s) => sum + (s.type === "Counter" ? Number(s.state.count) : 0), 0)
const logTotal = (log: ReadonlyArray<CostRecord>, key: keyof CostRecord["usage"]) =>
  log.reduce((sum, record) => sum + (record.usage[key] ?? 0), 0)

describe("telemetry metrics", () => {
  it.live.each(providers)(
    "%s: token usage, cost, duration and time to first chunk, equal to the cost log's totals",
    (provider) =>
      Effect.gen(function* () {
        const { fleet, config, logPath } = yield* fleetOrchestrator({ activeProvider: provider })
        const registry: Metric.MetricRegistry = new Map()
        const sim = fleet[provider]
        const [first, second] = models[provider]
        const failure = { kind: "error", fault: "server-error" } as const
        sim.scriptModel(
          first,
          { kind: "text", text: "one two three", usage: { inputTokens: 30, outputTokens: 5 } },
          { kind: "text", text: "four five six", usage: { inputTokens: 20, outputTokens: 7 } },
          failure,
          failure,
          failure
        )
        sim.scriptModel(second, { kind: "text", text: "seven", usage: { inputTokens: 11, outputTokens: 2 } })
        yield* LLMOrchestrator.use((llm) =>
          Effect.all([
            llm.sendRequest(user("a")),
            Stream.runDrain(llm.sendStreamingRequest(user("b"))),
            llm.sendRequest(user("c"))
          ])
        ).pipe(Effect.provide(layerFromConfig(config, { telemetry: { metricRegistry: registry } })))
        const snapshots = Metric.snapshotUnsafe(Context.make(Metric.MetricRegistry, registry))
        const log = readLog(logPath)
        expect(log).toHaveLength(3)
        const conventional = { [ATTR_GEN_AI_OPERATION_NAME]: GEN_AI_OPERATION_NAME_VALUE_CHAT }
        const input = series(snapshots, METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
          ...conventional,
          [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_INPUT,
          [ATTR_GEN_AI_PROVIDER_NAME]: providerNames[provider]
        })
        const output = series(snapshots, METRIC_GEN_AI_CLIENT_TOKEN_USAGE, {
          ...conventional,
          [ATTR_GEN_AI_TOKEN_TYPE]: GEN_AI_TOKEN_TYPE_VALUE_OUTPUT
        })
        expect(histogramSum(input)).toBe(30 + 20 + 11)
        expect(histogramSum(input)).toBe(logTotal(log, "inputTokens"))
        expect(histogramSum(output)).toBe(logTotal(log, "outputTokens"))
        expect(histogramCount(input)).toBe(3)
        expect(
          series(snapshots, METRIC_GEN_AI_CLIENT_TOKEN_USAGE, { [ATTR_GEN_AI_REQUEST_MODEL]: second })
        ).toHaveLength(2)
        for (const type of ["input", "output", "cache_read", "cache_write", "reasoning"] as const) {
          const key = `${type.replace(/_(\w)/, (_, c: string) => c.toUpperCase())}Tokens` as keyof CostRecord["usage"]
          expect(counterSum(series(snapshots, "llm_orchestrator.tokens", { type }))).toBe(logTotal(log, key))
        }
        const cost = log.reduce((sum, record) => sum + record.cost!.total, 0)
        expect(counterSum(series(snapshots, "llm_orchestrator.cost_usd"))).toBeCloseTo(cost, 12)
        expect(counterSum(series(snapshots, "llm_orchestrator.cost_usd_by_tag", { tag: "feature=m" }))).toBeCloseTo(
          cost,
          12
        )
        // One duration per request, with the answering model; one time to first chunk per stream.
        const durations = series(snapshots, METRIC_GEN_AI_CLIENT_OPERATION_DURATION, conventional)
        expect(histogramCount(durations)).toBe(3)
        expect(
          histogramCount(
            series(snapshots, METRIC_GEN_AI_CLIENT_OPERATION_DURATION, { [ATTR_GEN_AI_REQUEST_MODEL]: second })
          )
        ).toBe(1)
        expect(
          histogramCount(series(snapshots, METRIC_GEN_AI_CLIENT_OPERATION_TIME_TO_FIRST_CHUNK, conventional))
        ).toBe(1)
        // Attempts by outcome: 2 + 1 successes of the first model, 3 failures, 1 success of the second.
        const failed = series(snapshots, "llm_orchestrator.attempts", { outcome: "error" })
        expect(counterSum(failed)).toBe(3)
        expect(failed.every((s) => typeof s.attributes?.[ATTR_ERROR_TYPE] === "string")).toBe(true)
        expect(counterSum(series(snapshots, "llm_orchestrator.attempts", { outcome: "success" }))).toBe(3)
        expect(
          counterSum(series(snapshots, "llm_orchestrator.fallbacks", { [ATTR_GEN_AI_REQUEST_MODEL]: first }))
        ).toBe(1)
      }).pipe(Effect.scoped)
  )

  it.live("circuit breaker openings are counted per model", () =>
    Effect.gen(function* () {
      const { fleet, config } = yield* fleetOrchestrator({
        extraYaml:
          "retry:\n  max_attempts: 3\n  initial_delay: 1ms\n  max_delay: 2ms\ncircuit_breaker:\n  failure_threshold: 2"
      })
      const registry: Metric.MetricRegistry = new Map()
      const failure = { kind: "error", fault: "server-error" } as const
      // Three failures in a row, threshold 2: the second opens the breaker, the third starts a new count.
      fleet.openai.scriptModel("gpt-4o-mini", failure, failure, failure)
      fleet.openai.scriptModel("gpt-4o", { kind: "text", text: "ok" })
      yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("a"))).pipe(
        Effect.provide(layerFromConfig(config, { telemetry: { metricRegistry: registry } }))
      )
      const snapshots = Metric.snapshotUnsafe(Context.make(Metric.MetricRegistry, registry))
      const openings = series(snapshots, "llm_orchestrator.circuit_breaker.openings")
      expect(openings.map((s) => [s.attributes?.[ATTR_GEN_AI_REQUEST_MODEL], counterSum([s])])).toEqual([
        ["gpt-4o-mini", 1]
      ])
    }).pipe(Effect.scoped)
  )

  it.live("telemetry off: nothing is recorded in the registry", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* fleetOrchestrator()
      const registry: Metric.MetricRegistry = new Map()
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "text", text: "ok" })
      yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("a"))).pipe(
        Effect.provide(layer),
        Effect.provideService(Metric.MetricRegistry, registry)
      )
      expect(registry.size).toBe(0)
    }).pipe(Effect.scoped)
  )
})
