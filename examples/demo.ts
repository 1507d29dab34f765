/**
 * `pnpm demo`: the whole job of llm-orchestrator in half a minute, with no API keys. The five
 * provider simulators start in this process (real SDKs, real wire formats, 127.0.0.1 only), then:
 * model discovery for all five providers, a request that falls back after a rate limit and an
 * overload, the same prompt streamed from two providers, and the cost of it all.
 *
 * `pnpm demo -- --config my.yaml` runs the same tour against the providers your config names.
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { parseArgs } from "node:util"
import { NodeRuntime } from "@effect/platform-node"
import { CostTracker, LLMOrchestrator, type OrchestratorConfig, type ProviderId } from "@llm-orchestrator/core"
import { CostTracking } from "@llm-orchestrator/cost"
import { type FleetProvider, type SimulatorFleet, startSimulatorFleet } from "@llm-orchestrator/testing"
import { Console, Effect, Stream } from "effect"
import { loadConfig, parseConfig, priceSources, providerSetups } from "llm-orchestrator"
import { attemptsTable, formatTable, usd } from "./format.ts"

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: { config: { type: "string" } }
})

const heading = (text: string) => Console.log(`\n\x1b[1m== ${text}\x1b[0m`)

/** One orchestrator per active provider, all recording into the same cost tracker. */
const orchestratorFor = (config: OrchestratorConfig, provider: ProviderId, model: string) =>
  LLMOrchestrator.layer({
    activeProvider: provider,
    activeModel: model,
    providers: providerSetups(config),
    retry: config.retry,
    fallback: config.fallback,
    circuitBreaker: config.circuitBreaker,
    discovery: config.discovery
  })

const discovery = (config: OrchestratorConfig) =>
  Effect.gen(function* () {
    yield* heading("Model discovery: every configured provider's models, with context window and price")
    const llm = yield* LLMOrchestrator
    const rows: Array<ReadonlyArray<string>> = []
    for (const provider of Object.keys(config.providers) as Array<ProviderId>) {
      const models = yield* llm.getAvailableModels(provider).pipe(
        Effect.catch((error) => Effect.succeed(error.message)) // a provider that cannot list must not stop the tour
      )
      if (typeof models === "string") {
        rows.push([provider, "-", `listing failed: ${models}`])
        continue
      }
      const samples = models.slice(0, 3).map((m) => {
        const context = m.contextWindow ? ` ${Math.round(m.contextWindow / 1000)}k ctx` : ""
        const price = m.price ? ` $${m.price.input}/$${m.price.output} per 1M` : " unpriced"
        return `${m.id}${context}${price}`
      })
      rows.push([provider, String(models.length), samples.join("; ")])
    }
    yield* Console.log(formatTable(["provider", "models", "a few of them"], rows))
  })

const fallback = (fleet: SimulatorFleet | undefined, config: OrchestratorConfig) =>
  Effect.gen(function* () {
    const llm = yield* LLMOrchestrator
    if (fleet) {
      yield* heading(`Fallback: ${config.activeModel} is rate limited, then overloaded; the chain moves on`)
      fleet.openai.scriptModel(
        config.activeModel,
        { kind: "error", fault: "rate-limit", retryAfterSeconds: 0.3 },
        { kind: "error", fault: "overloaded" },
        { kind: "error", fault: "overloaded" }
      )
    } else yield* heading(`A request to ${config.activeProvider}/${config.activeModel} (with its fallback chain)`)
    const response = yield* llm.sendRequest({
      messages: [
        { role: "system", content: "Answer in one sentence." },
        { role: "user", content: "Why do LLM apps need fallback across models?" }
      ],
      metadata: { feature: "demo-fallback" }
    })
    yield* Console.log(attemptsTable(response.attempts))
    yield* Console.log(`answer from ${response.provider}/${response.model}: ${response.content}`)
    yield* Console.log(
      `usage: ${response.usage.inputTokens} in / ${response.usage.outputTokens} out, cost ${usd(response.cost?.total)}, ${Math.round(response.latencyMs)} ms`
    )
  })

const streamFrom = (config: OrchestratorConfig, provider: ProviderId, model: string, prompt: string) =>
  Effect.gen(function* () {
    yield* Console.log(`\n[${provider}/${model}]`)
    const llm = yield* LLMOrchestrator
    yield* llm
      .sendStreamingRequest({ messages: [{ role: "user", content: prompt }], metadata: { feature: "demo-stream" } })
      .pipe(
        Stream.runForEach((event) =>
          event._tag === "TextDelta"
            ? Effect.sync(() => process.stdout.write(event.text))
            : event._tag !== "Finish"
              ? Effect.void // tool-call events: these requests have no tools
              : Console.log(
                  `\n  -> ${event.finishReason}, ${event.usage.outputTokens} tokens out, cost ${usd(event.cost?.total)}`
                )
        )
      )
  }).pipe(Effect.provide(orchestratorFor(config, provider, model)))

const costs = (logPath: string | undefined) =>
  Effect.gen(function* () {
    yield* heading("Cost of this session, by provider and model")
    const report = yield* (yield* CostTracker).report
    yield* Console.log(
      formatTable(
        ["provider/model", "calls", "unpriced", "tokens in", "tokens out", "cost"],
        [
          ...Object.entries(report.byModel).map(([key, b]) => [
            key,
            String(b.calls),
            String(b.unpricedCalls),
            String(b.usage.inputTokens),
            String(b.usage.outputTokens),
            usd(b.costUsd)
          ]),
          [
            "TOTAL",
            String(report.calls),
            String(report.unpricedCalls),
            String(report.usage.inputTokens),
            String(report.usage.outputTokens),
            usd(report.costUsd)
          ]
        ]
      )
    )
    if (logPath)
      yield* Console.log(
        `\nEvery call is in the JSONL cost log: ${logPath}\n(try: npx -y pnpm@12.21.0 cli costs ${logPath})`
      )
  })

const program = Effect.gen(function* () {
  const fleet = values.config
    ? undefined
    : yield* Effect.acquireRelease(
        Effect.promise(() => startSimulatorFleet()),
        (f) => Effect.promise(() => f.close())
      )
  const logPath = fleet ? join(mkdtempSync(join(tmpdir(), "llm-orchestrator-demo-")), "costs.jsonl") : undefined
  const config = fleet
    ? yield* parseConfig(
        fleet.configYaml({ costLogPath: logPath!, extraYaml: "retry:\n  max_attempts: 2\n  initial_delay: 50ms" })
      )
    : yield* loadConfig(values.config!)
  if (fleet)
    yield* Console.log("Started five provider simulators on 127.0.0.1 (real SDKs, real wire formats, no keys).")

  const tour = Effect.gen(function* () {
    yield* discovery(config)
    yield* fallback(fleet, config)
    yield* heading("Streaming: the same prompt from two providers, token by token")
    const prompt = "Write a haiku about reliable software."
    const streamed: Array<[ProviderId, string]> = fleet
      ? [
          ["anthropic", "claude-sonnet-4-6"],
          ["gemini", "gemini-2.5-flash"]
        ]
      : [
          [config.activeProvider, config.activeModel],
          ...config.fallback.chain.slice(0, 1).map((e) => [e.provider, e.model] as [ProviderId, string])
        ]
    for (const [provider, model] of streamed) {
      if (fleet)
        fleet[provider as FleetProvider].scriptModel(model, {
          kind: "text",
          text: `${provider} says: code that keeps its word, / retries, then falls back with grace; / the bill adds up right.`,
          chunkDelayMs: 15
        })
      yield* streamFrom(config, provider, model, prompt)
    }
    yield* costs(config.costTracking.logPath)
  })
  // One cost tracker for the whole tour, shared by every orchestrator built in it.
  yield* tour.pipe(
    Effect.provide(orchestratorFor(config, config.activeProvider, config.activeModel)),
    Effect.provide(CostTracking.layer(config.costTracking, { priceSources: priceSources(config) }))
  )
}).pipe(Effect.scoped)

NodeRuntime.runMain(program)
