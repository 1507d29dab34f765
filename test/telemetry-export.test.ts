/**
 * Issue 21, parts (c) and (d): the config's `telemetry:` section exports through Effect's OTLP
 * exporters to an OTLP/HTTP receiver this test runs on 127.0.0.1 (the JSON payloads decoded, spans and
 * metrics checked), and serves a Prometheus scrape endpoint whose text a Prometheus text-format parser
 * reads, with token counters equal to the cost log's totals. The OTLP headers reach the receiver and
 * nothing else.
 */
import { createServer, type IncomingHttpHeaders } from "node:http"
import type { AddressInfo } from "node:net"
import { describe, expect, it } from "@effect/vitest"
import {
  ATTR_GEN_AI_OPERATION_NAME,
  ATTR_GEN_AI_REQUEST_MODEL,
  ATTR_GEN_AI_TOKEN_TYPE,
  ATTR_GEN_AI_USAGE_INPUT_TOKENS,
  ATTR_SERVICE_NAME,
  METRIC_GEN_AI_CLIENT_TOKEN_USAGE
} from "@opentelemetry/semantic-conventions/incubating"
import { Effect, Metric, Stream } from "effect"
import { LLMOrchestrator, layerFromConfig, parseConfig } from "llm-orchestrator"
import parsePrometheus from "parse-prometheus-text-format"
import { fleetOrchestrator, readLog, user } from "./support.ts"
import { secrets } from "./telemetry-support.ts"

interface Received {
  readonly path: string
  readonly headers: IncomingHttpHeaders
  readonly body: string
}

/** An OTLP/HTTP receiver: keeps every POST (path, headers, body) and answers 200. */
const otlpReceiver = Effect.acquireRelease(
  Effect.promise(
    () =>
      new Promise<{ url: string; received: Array<Received>; close: () => Promise<void> }>((resolve) => {
        const received: Array<Received> = []
        const server = createServer((req, res) => {
          const chunks: Array<Buffer> = []
          req.on("data", (chunk: Buffer) => chunks.push(chunk))
          req.on("end", () => {
            received.push({ path: req.url ?? "", headers: req.headers, body: Buffer.concat(chunks).toString("utf8") })
            res.writeHead(200, { "content-type": "application/json" }).end("{}")
          })
        })
        server.listen(0, "127.0.0.1", () =>
          resolve({
            url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
            received,
            close: () => new Promise((done) => server.close(() => done()))
          })
        )
      })
  ),
  (receiver) => Effect.promise(() => receiver.close())
)

const freePort = () =>
  new Promise<number>((resolve) => {
    const server = createServer()
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as AddressInfo
      server.close(() => resolve(port))
    })
  })

type KeyValue = { key: string; value: Record<string, unknown> }
const attr = (attributes: ReadonlyArray<KeyValue>, key: string): unknown => {
  const value = attributes.find((a) => a.key === key)?.value
  if (value === undefined) return undefined
  if ("intValue" in value) return Number(value.intValue)
  return Object.values(value)[0]
}

const otlpSecret = "Bearer otlp-token-SECRET-4242"

describe("telemetry exporters from the config", () => {
  it.live("OTLP/HTTP: the receiver gets the request and attempt spans and the GenAI metrics, decoded", () =>
    Effect.gen(function* () {
      const receiver = yield* otlpReceiver
      const { fleet, logPath } = yield* fleetOrchestrator()
      const yaml = fleet.configYaml({
        costLogPath: logPath,
        extraYaml: [
          "retry:\n  max_attempts: 2\n  initial_delay: 1ms\n  max_delay: 2ms",
          "telemetry:",
          "  service_name: otter-service",
          "  otlp:",
          `    endpoint: ${receiver.url}/`,
          "    export_interval: 60s",
          "    headers:",
          `      authorization: "${otlpSecret}"`
        ].join("\n")
      })
      const config = yield* parseConfig(yaml)
      const failure = { kind: "error", fault: "server-error" } as const
      fleet.openai.scriptModel(
        "gpt-4o-mini",
        { kind: "text", text: "one two", usage: { inputTokens: 17, outputTokens: 4 } },
        failure,
        failure
      )
      fleet.openai.scriptModel("gpt-4o", { kind: "text", text: "three", usage: { inputTokens: 9, outputTokens: 3 } })
      // Closing the orchestrator's scope flushes the exporters (the interval is a minute).
      yield* LLMOrchestrator.use((llm) =>
        Effect.andThen(llm.sendRequest(user("a")), Stream.runDrain(llm.sendStreamingRequest(user("b"))))
      ).pipe(
        Effect.provide(layerFromConfig(config)),
        // A registry of its own: the default one is the process's, shared with the other tests run in it.
        Effect.provideService(Metric.MetricRegistry, new Map())
      )
      const traces = receiver.received.filter((r) => r.path === "/v1/traces")
      const metrics = receiver.received.filter((r) => r.path === "/v1/metrics")
      expect(traces.length).toBeGreaterThan(0)
      expect(metrics.length).toBeGreaterThan(0)
      for (const r of receiver.received) {
        expect(r.headers.authorization).toBe(otlpSecret)
        expect(r.headers["content-type"]).toContain("application/json")
        expect(r.body).not.toContain("otlp-token-SECRET")
        for (const secret of secrets) expect(r.body).not.toContain(secret)
      }
      type Span = {
        name: string
        spanId: string
        parentSpanId?: string
        traceId: string
        kind: number
        attributes: Array<KeyValue>
      }
      const payloads = traces.map((r) => JSON.parse(r.body))
      const resource = payloads[0].resourceSpans[0].resource.attributes as Array<KeyValue>
      expect(attr(resource, ATTR_SERVICE_NAME)).toBe("otter-service")
      const spans: Array<Span> = payloads.flatMap((p) =>
        p.resourceSpans.flatMap((rs: { scopeSpans: Array<{ spans: Array<Span> }> }) =>
          rs.scopeSpans.flatMap((s) => s.spans)
        )
      )
      const roots = spans.filter((s) => !s.parentSpanId)
      expect(roots).toHaveLength(2)
      for (const root of roots) {
        expect(root.name).toBe("chat gpt-4o-mini")
        expect(root.kind).toBe(3) // SPAN_KIND_CLIENT
        expect(attr(root.attributes, ATTR_GEN_AI_OPERATION_NAME)).toBe("chat")
      }
      const children = (root: Span) => spans.filter((s) => s.parentSpanId === root.spanId)
      const log = readLog(logPath)
      const byRequest = new Map(log.map((record) => [record.requestId, record]))
      for (const root of roots) {
        const record = byRequest.get(attr(root.attributes, "llm_orchestrator.request_id") as string)!
        expect(attr(root.attributes, ATTR_GEN_AI_USAGE_INPUT_TOKENS)).toBe(record.usage.inputTokens)
        for (const child of children(root)) expect(child.traceId).toBe(root.traceId)
      }
      expect(roots.map((root) => children(root).length).sort()).toEqual([1, 3])
      // The metrics: the last export is cumulative; its token usage sums equal the cost log's.
      const lastMetrics = JSON.parse(metrics.at(-1)!.body)
      const all = lastMetrics.resourceMetrics.flatMap((rm: { scopeMetrics: Array<{ metrics: Array<unknown> }> }) =>
        rm.scopeMetrics.flatMap((sm) => sm.metrics)
      ) as Array<{
        name: string
        histogram?: { dataPoints: Array<{ attributes: Array<KeyValue>; sum: number; count: string | number }> }
      }>
      const usage = all.find((m) => m.name === METRIC_GEN_AI_CLIENT_TOKEN_USAGE)!
      const sumOf = (type: string) =>
        usage
          .histogram!.dataPoints.filter((p) => attr(p.attributes, ATTR_GEN_AI_TOKEN_TYPE) === type)
          .reduce((s, p) => s + p.sum, 0)
      expect(sumOf("input")).toBe(log.reduce((s, r) => s + r.usage.inputTokens, 0))
      expect(sumOf("output")).toBe(log.reduce((s, r) => s + r.usage.outputTokens, 0))
      expect(sumOf("input")).toBe(17 + 9)
      expect(usage.histogram!.dataPoints.map((p) => attr(p.attributes, ATTR_GEN_AI_REQUEST_MODEL)).sort()).toEqual([
        "gpt-4o",
        "gpt-4o",
        "gpt-4o-mini",
        "gpt-4o-mini"
      ])
    }).pipe(Effect.scoped)
  )

  it.live("Prometheus: the scrape endpoint's text parses, and its token counters equal the cost log's totals", () =>
    Effect.gen(function* () {
      const port = yield* Effect.promise(freePort)
      const { fleet, logPath } = yield* fleetOrchestrator({ activeProvider: "anthropic" })
      const yaml = fleet.configYaml({
        activeProvider: "anthropic",
        costLogPath: logPath,
        extraYaml: `telemetry:\n  prometheus:\n    host: 127.0.0.1\n    port: ${port}`
      })
      const config = yield* parseConfig(yaml)
      fleet.anthropic.scriptModel(
        "claude-sonnet-4-6",
        { kind: "text", text: "a b", usage: { inputTokens: 120, outputTokens: 8 } },
        { kind: "text", text: "c d", usage: { inputTokens: 50, outputTokens: 5 } }
      )
      const registry = new Map()
      const text = yield* LLMOrchestrator.use((llm) =>
        Effect.gen(function* () {
          yield* llm.sendRequest({ ...user("a"), metadata: { team: "blue" } })
          yield* Stream.runDrain(llm.sendStreamingRequest(user("b")))
          return yield* Effect.promise(() => fetch(`http://127.0.0.1:${port}/metrics`).then((r) => r.text()))
        })
      ).pipe(Effect.provide(layerFromConfig(config, { telemetry: { metricRegistry: registry } })))
      const families = parsePrometheus(text)
      const family = (name: string) => families.find((f) => f.name === name)
      const tokens = family("llm_orchestrator_tokens")!
      expect(tokens.type).toBe("COUNTER")
      const log = readLog(logPath)
      expect(log).toHaveLength(2)
      const total = (type: string) =>
        tokens.metrics.filter((m) => m.labels?.type === type).reduce((s, m) => s + Number(m.value), 0)
      const logTotal = (
        key: "inputTokens" | "outputTokens" | "cacheReadTokens" | "cacheWriteTokens" | "reasoningTokens"
      ) => log.reduce((s, r) => s + r.usage[key], 0)
      expect(total("input")).toBe(logTotal("inputTokens"))
      expect(total("output")).toBe(logTotal("outputTokens"))
      expect(total("cache_read")).toBe(logTotal("cacheReadTokens"))
      expect(total("cache_write")).toBe(logTotal("cacheWriteTokens"))
      expect(total("input")).toBe(170)
      const histogram = family("gen_ai_client_token_usage")!
      expect(histogram.type).toBe("HISTOGRAM")
      const cost = family("llm_orchestrator_cost_usd")!
      expect(cost.metrics.reduce((s, m) => s + Number(m.value), 0)).toBeCloseTo(
        log.reduce((s, r) => s + r.cost!.total, 0),
        12
      )
      expect(family("llm_orchestrator_cost_usd_by_tag")!.metrics.map((m) => m.labels?.tag)).toEqual(["team=blue"])
      for (const secret of secrets) expect(text).not.toContain(secret)
      // The endpoint closed with the orchestrator.
      const after = yield* Effect.promise(() =>
        fetch(`http://127.0.0.1:${port}/metrics`).then(
          () => "open",
          () => "closed"
        )
      )
      expect(after).toBe("closed")
    }).pipe(Effect.scoped)
  )
})
