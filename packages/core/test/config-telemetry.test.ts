// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config texts deliberately contain ${VAR} references
/**
 * `telemetry:`: every key read with its default, the OTLP headers as secrets (never echoed), and each
 * mistake reported at its key with the fix it needs.
 */
import { describe, expect, it } from "@effect/vitest"
import type { ConfigProblem } from "@llm-orchestrator/core"
import { Effect, Redacted } from "effect"
import { checkConfig, parseConfig } from "llm-orchestrator"

const withTelemetry = (telemetry: string) =>
  `active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: sk-test\ntelemetry:\n${telemetry
    .split("\n")
    .map((line) => `  ${line}`)
    .join("\n")}\n`
const env = { OTLP_TOKEN: "Bearer tok-3e9a" }
const problems = (yaml: string): ReadonlyArray<ConfigProblem> => checkConfig(yaml, { env })
const problemsAt = (yaml: string) => problems(yaml).map(({ path, message }) => ({ path, message }))

describe("telemetry", () => {
  it.effect("every key read; the OTLP endpoint loses its trailing slash, its headers are secrets", () =>
    Effect.gen(function* () {
      const config = yield* parseConfig(
        withTelemetry(
          [
            "enabled: true",
            "service_name: checkout-api",
            "sample_ratio: 0.25",
            "capture_content: true",
            "otlp:",
            "  endpoint: https://collector.internal:4318//",
            '  headers: { authorization: "${OTLP_TOKEN}", x-team: payments }',
            "  export_interval: 2s",
            "prometheus: { host: 0.0.0.0, port: 9464 }"
          ].join("\n")
        ),
        { env }
      )
      const telemetry = config.telemetry!
      const { headers, ...otlp } = telemetry.otlp!
      expect(otlp).toEqual({ endpoint: "https://collector.internal:4318", exportIntervalMs: 2000 })
      expect(Object.keys(headers)).toEqual(["authorization", "x-team"])
      expect(Redacted.value(headers.authorization!)).toBe(env.OTLP_TOKEN)
      expect(Redacted.value(headers["x-team"]!)).toBe("payments")
      expect(String(headers.authorization)).not.toContain("tok-3e9a")
      expect({ ...telemetry, otlp: undefined }).toEqual({
        enabled: true,
        serviceName: "checkout-api",
        sampleRatio: 0.25,
        captureContent: true,
        otlp: undefined,
        prometheus: { host: "0.0.0.0", port: 9464 }
      })
    })
  )

  it.effect("defaults: a present section is on, traces everything, records no content, exports nowhere", () =>
    Effect.gen(function* () {
      const config = yield* parseConfig(withTelemetry("enabled: true"), { env })
      expect(config.telemetry).toEqual({
        enabled: true,
        serviceName: "llm-orchestrator",
        sampleRatio: 1,
        captureContent: false
      })
      const empty = yield* parseConfig(withTelemetry("{}"), { env })
      expect(empty.telemetry?.enabled).toBe(true)
      const off = yield* parseConfig(withTelemetry("enabled: false"), { env })
      expect(off.telemetry?.enabled).toBe(false)
      const prometheusOnly = yield* parseConfig(withTelemetry("prometheus: { port: 0 }"), { env })
      expect(prometheusOnly.telemetry?.prometheus).toEqual({ host: "127.0.0.1", port: 0 })
      const otlpOnly = yield* parseConfig(withTelemetry("otlp: { endpoint: http://127.0.0.1:4318 }"), { env })
      expect(otlpOnly.telemetry?.otlp).toEqual({ endpoint: "http://127.0.0.1:4318", headers: {} })
      const none = yield* parseConfig(withTelemetry("").replace("telemetry:\n  \n", ""), { env })
      expect(none.telemetry).toBeUndefined()
    })
  )

  it("each mistake at its key, with the fix", () => {
    expect(problemsAt(withTelemetry("enable: true"))).toEqual([expect.objectContaining({ path: "telemetry.enable" })])
    expect(problemsAt(withTelemetry("sample_ratio: 1.5"))).toEqual([
      { path: "telemetry.sample_ratio", message: "must be at most 1 (1 traces every request)" }
    ])
    expect(problemsAt(withTelemetry("sample_ratio: 1"))).toEqual([])
    expect(problemsAt(withTelemetry("sample_ratio: -0.1"))).toEqual([
      expect.objectContaining({ path: "telemetry.sample_ratio" })
    ])
    expect(problemsAt(withTelemetry("capture_content: yes please"))).toEqual([
      expect.objectContaining({ path: "telemetry.capture_content" })
    ])
    expect(problemsAt(withTelemetry("otlp: { headers: { a: b } }"))).toEqual([
      {
        path: "telemetry.otlp.endpoint",
        message: "is required; set it to your collector's OTLP/HTTP base URL, e.g. http://127.0.0.1:4318"
      }
    ])
    for (const endpoint of ["collector:4318", "ftp://collector", "http://", "http://a b"])
      expect(problemsAt(withTelemetry(`otlp: { endpoint: "${endpoint}" }`))).toEqual([
        {
          path: "telemetry.otlp.endpoint",
          message: "must be an http:// or https:// URL (the collector's OTLP/HTTP base URL)"
        }
      ])
    expect(problemsAt(withTelemetry("otlp: { endpoint: http://c:4318, headers: [a] }"))).toEqual([
      {
        path: "telemetry.otlp.headers",
        message: expect.stringMatching(/^expected a mapping of header names to values, got /)
      }
    ])
    expect(problemsAt(withTelemetry('otlp: { endpoint: http://c:4318, headers: { "bad name": x, ok: y } }'))).toEqual([
      { path: 'telemetry.otlp.headers["bad name"]', message: "is not a valid HTTP header name" }
    ])
    expect(problemsAt(withTelemetry("otlp: { endpoint: http://c:4318, export_interval: 0s }"))).toEqual([
      { path: "telemetry.otlp.export_interval", message: "must be more than 0" }
    ])
    expect(problemsAt(withTelemetry("otlp: { endpoint: http://c:4318, timeout: 1s }"))).toEqual([
      expect.objectContaining({ path: "telemetry.otlp.timeout" })
    ])
    expect(problemsAt(withTelemetry("prometheus: { host: 127.0.0.1 }"))).toEqual([
      { path: "telemetry.prometheus.port", message: "is required; e.g. 9464" }
    ])
    expect(problemsAt(withTelemetry("prometheus: { port: 65536 }"))).toEqual([
      { path: "telemetry.prometheus.port", message: "must be at most 65535" }
    ])
    expect(problemsAt(withTelemetry("prometheus: { port: 65535 }"))).toEqual([])
    expect(problemsAt(withTelemetry("prometheus: { port: 94.5 }"))).toEqual([
      expect.objectContaining({ path: "telemetry.prometheus.port" })
    ])
    expect(problemsAt(withTelemetry("prometheus: { port: 9464, path: /m }"))).toEqual([
      expect.objectContaining({ path: "telemetry.prometheus.path" })
    ])
  })

  it("a missing header variable names the variable, never another secret's value", () => {
    const found = problems(withTelemetry('otlp: { endpoint: http://c:4318, headers: { authorization: "${NOPE}" } }'))
    expect(found).toHaveLength(1)
    expect(found[0]!.path).toBe("telemetry.otlp.headers.authorization")
    expect(found[0]!.message).toContain("NOPE")
    expect(JSON.stringify(found)).not.toContain("tok-3e9a")
  })
})
