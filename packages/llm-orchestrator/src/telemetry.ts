/**
 * The config's `telemetry:` section as layers (README "Telemetry"): Effect's own OTLP exporters (no
 * OpenTelemetry SDK needed; JSON over HTTP) and a Prometheus scrape endpoint on node:http. The
 * orchestrator's spans go to the caller's tracer when it has one (e.g. an OpenTelemetry SDK through
 * `@effect/opentelemetry`), else to the OTLP exporter's.
 */
import { createServer } from "node:http"
import { ConfigError, type TelemetryConfig, type TelemetryOptions } from "@llm-orchestrator/core"
import { Effect, Layer, Metric, Redacted } from "effect"
import { FetchHttpClient } from "effect/http"
import { OtlpExporter, OtlpMetrics, OtlpSerialization, OtlpTracer, PrometheusMetrics } from "effect/observability"

const headersOf = (otlp: NonNullable<TelemetryConfig["otlp"]>) =>
  Object.fromEntries(Object.entries(otlp.headers).map(([name, value]) => [name, Redacted.value(value)]))

/**
 * The orchestrator layer built by `make` with the telemetry options the config and the code ask for,
 * plus the exporters (their scope is the orchestrator's: closing it flushes them).
 */
export const withTelemetry = <A, E, R>(
  config: TelemetryConfig | undefined,
  fromCode: TelemetryOptions | undefined,
  make: (options: TelemetryOptions | undefined) => Layer.Layer<A, E, R>
): Layer.Layer<A, E | ConfigError, R> => {
  const on = config?.enabled === true
  if (!on) return make(fromCode)
  const base: TelemetryOptions = {
    captureContent: config.captureContent,
    sampleRatio: config.sampleRatio,
    ...fromCode
  }
  const registry = fromCode?.metricRegistry
  const withRegistry = <X, EX, RX>(layer: Layer.Layer<X, EX, RX>) =>
    registry === undefined ? layer : Layer.provide(layer, Layer.succeed(Metric.MetricRegistry, registry))
  const resource = { serviceName: config.serviceName }
  const otlp = config.otlp
  const exporters: Array<Layer.Layer<never, ConfigError>> = []
  let orchestrator: Layer.Layer<A, E, R>
  if (otlp === undefined) orchestrator = make(base)
  else {
    const transport = Layer.mergeAll(FetchHttpClient.layer, OtlpSerialization.layerJson, OtlpExporter.layerFlusher)
    const interval = otlp.exportIntervalMs ?? 5000
    const tracer = Effect.provide(
      OtlpTracer.make({
        url: `${otlp.endpoint}/v1/traces`,
        headers: headersOf(otlp),
        resource,
        exportInterval: `${interval} millis`
      }),
      transport
    )
    orchestrator = Layer.unwrap(
      Effect.map(tracer, (otlpTracer) => make({ ...base, tracer: fromCode?.tracer ?? otlpTracer }))
    )
    exporters.push(
      withRegistry(
        Layer.provide(
          OtlpMetrics.layer({
            url: `${otlp.endpoint}/v1/metrics`,
            headers: headersOf(otlp),
            resource,
            exportInterval: `${interval} millis`
          }),
          transport
        )
      )
    )
  }
  if (config.prometheus !== undefined) exporters.push(withRegistry(prometheusLayer(config.prometheus)))
  return exporters.reduce<Layer.Layer<A, E | ConfigError, R>>(
    (all, exporter) => Layer.merge(all, exporter),
    orchestrator
  )
}

/** `GET /metrics` in the Prometheus text format, on `host:port`, for as long as the layer lives. */
const prometheusLayer = (where: NonNullable<TelemetryConfig["prometheus"]>): Layer.Layer<never, ConfigError> =>
  Layer.effectDiscard(
    Effect.gen(function* () {
      const context = yield* Effect.context<never>()
      const server = createServer((req, res) => {
        if (req.method !== "GET" || (req.url ?? "").split("?")[0] !== "/metrics") {
          res.writeHead(404, { "content-type": "text/plain" }).end("not found: GET /metrics\n")
          return
        }
        res
          .writeHead(200, { "content-type": "text/plain; version=0.0.4; charset=utf-8" })
          .end(PrometheusMetrics.formatUnsafe(context))
      })
      yield* Effect.acquireRelease(
        Effect.callback<void, ConfigError>((resume) => {
          server.once("error", (error: NodeJS.ErrnoException) =>
            resume(
              Effect.fail(
                ConfigError.fromProblems([
                  {
                    path: "telemetry.prometheus",
                    message: `cannot listen on ${where.host}:${where.port} (${error.code ?? error.message}); choose another host or port`
                  }
                ])
              )
            )
          )
          server.listen(where.port, where.host, () => resume(Effect.void))
        }),
        () =>
          Effect.callback<void>((resume) => {
            server.close(() => resume(Effect.void))
            server.closeAllConnections()
          })
      )
    })
  )
