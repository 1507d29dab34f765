/**
 * docs/ARCHITECTURE.md, "Adding a provider type": a provider type defined in this file alone (a
 * registry entry over a fake adapter) is read from YAML, validated, wired, chained after a real
 * provider, priced and logged, with no edit to core, cost or the CLI.
 */
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import {
  ConfigRead,
  commonProviderKeys,
  makeConfigLoader,
  type ProviderSettings,
  type ProviderType
} from "@llm-orchestrator/core"
import { providerTypes } from "@llm-orchestrator/providers"
import { makeFakeProvider, simulatorFleet } from "@llm-orchestrator/testing"
import { Effect, Stream } from "effect"
import { CostTracker, LLMOrchestrator, layerFromConfig } from "llm-orchestrator"
import { fastRetry, readLog, tempDir, user } from "./support.ts"

interface EchoSettings extends ProviderSettings {
  readonly prefix: string
}

/** Answers with its prefix and the last message; its model ids start with "echo-". */
const echoType: ProviderType<EchoSettings> = {
  name: "echo",
  keys: ["prefix", ...commonProviderKeys],
  exampleModel: "echo-1",
  checkModelId: (model) => (model.startsWith("echo-") ? undefined : 'it does not start with "echo-"'),
  price: {},
  readSettings: ({ reader, path, raw }) => {
    const prefix = ConfigRead.readOptionalString(reader, ConfigRead.childPath(path, "prefix"), raw.prefix)
    return { prefix: prefix ?? "echo: " }
  },
  layer: (settings) =>
    makeFakeProvider({
      id: "echo",
      defaultStep: (_model, request) => ({
        text: `${settings.prefix}${String(request.messages.at(-1)?.content)}`,
        usage: { inputTokens: 1000, outputTokens: 500 }
      })
    }).layer,
  describe: (settings) => [`prefix ${settings.prefix}`]
}

const { checkConfig, parseConfig } = makeConfigLoader([...providerTypes, echoType])

const yaml = (openaiUrl: string, logPath: string, chainModel = "echo-1") => `
active_provider: openai
active_model: gpt-4o-mini
providers:
  openai:
    api_key: sk-registry-test
    base_url: "${openaiUrl}/v1"
  echo:
    prefix: "ECHO "
fallback:
  chain:
    - { provider: echo, model: ${chainModel} }
cost_tracking:
  log_path: ${JSON.stringify(logPath)}
  prices:
    echo/echo-1: { input: 1, output: 2 }
${fastRetry}
`

describe("a provider type added from a test file", () => {
  it.live("its instance is read, chained after OpenAI, answers, and is priced and logged under its name", () =>
    Effect.gen(function* () {
      const fleet = yield* simulatorFleet()
      const unavailable = { kind: "error", fault: "unavailable" } as const
      fleet.openai.scriptModel("gpt-4o-mini", ...Array.from({ length: 6 }, () => unavailable))
      const logPath = join(tempDir(), "costs.jsonl")
      const config = yield* parseConfig(yaml(fleet.openai.url, logPath))
      expect(config.providers.echo?.type.name).toBe("echo")
      expect(config.providers.echo?.settings).toEqual({ fallbackModels: [], prefix: "ECHO " })

      const { response, streamed, total } = yield* Effect.gen(function* () {
        const llm = yield* LLMOrchestrator
        const response = yield* llm.sendRequest(user("plain"))
        const streamed = yield* Stream.runCollect(llm.sendStreamingRequest(user("streamed")))
        yield* CostTracker.use((tracker) => tracker.flush)
        return { response, streamed, total: yield* llm.getSessionCost }
      }).pipe(Effect.provide(layerFromConfig(config)))

      expect(response.content).toBe("ECHO plain")
      expect(response.provider).toBe("echo")
      expect(response.attempts.map((a) => `${a.provider}/${a.model}:${a.outcome}`)).toEqual([
        "openai/gpt-4o-mini:error",
        "openai/gpt-4o-mini:error",
        "openai/gpt-4o-mini:error",
        "echo/echo-1:success"
      ])
      // 1,000 input tokens at $1/M and 500 output at $2/M, from cost_tracking.prices.
      expect(response.cost?.total).toBeCloseTo(0.002, 12)
      const texts = streamed.flatMap((event) => (event._tag === "TextDelta" ? [event.text] : []))
      expect(texts.join("")).toBe("ECHO streamed")
      const finish = streamed.at(-1)
      expect(finish?._tag === "Finish" ? [finish.provider, finish.model] : []).toEqual(["echo", "echo-1"])
      expect(total).toBeCloseTo(0.004, 12)

      const records = readLog(logPath)
      // One line per token-consuming attempt (OpenAI's 503s consumed none), each priced from the config.
      expect(records.map((r) => [r.provider, r.model, r.outcome, r.cost?.total])).toEqual([
        ["echo", "echo-1", "success", response.cost?.total],
        ["echo", "echo-1", "success", response.cost?.total]
      ])
    }).pipe(Effect.scoped)
  )

  it("its keys and model ids are validated like a built-in type's", () => {
    const problems = checkConfig(
      yaml("http://127.0.0.1:9", "/tmp/unused.jsonl", "gpt-4o").replace('prefix: "ECHO "', "prefx: x\n    region: y")
    )
    expect(problems.map((p) => `${p.path}: ${p.message.replace(/; model ids are.*$/, "")}`)).toEqual([
      "providers.echo.prefx: unknown key; did you mean prefix?",
      "providers.echo.region: unknown key for echo (region is a key of bedrock); the keys here are type, prefix, fallback_models, base_url, timeout, idle_timeout",
      'fallback.chain[0].model: is not a valid echo model id: it does not start with "echo-"'
    ])
  })

  it("without the type in the list, the same config names the types it knows", () => {
    const problems = makeConfigLoader(providerTypes).checkConfig(yaml("http://127.0.0.1:9", "/tmp/unused.jsonl"))
    expect(problems[0]).toEqual({
      path: "providers.echo",
      message: `unknown provider; the provider types are ${providerTypes.map((t) => t.name).join(", ")} (a name of your own needs type: set to one of them)`
    })
  })
})
