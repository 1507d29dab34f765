/**
 * How an `openai-compatible` instance is priced (README, "Config reference"): with `price_provider`
 * its models are looked up in that provider's published prices; without it only
 * `cost_tracking.prices` price them, and an unpriced call is said to be so. Through the real OpenAI
 * SDK against the simulator; expected costs from OpenAI's published gpt-4o-mini prices, written here.
 */
import { describe, expect, it } from "@effect/vitest"
import { openaiSimulator } from "@llm-orchestrator/testing"
import { Effect } from "effect"
import { checkConfig, LLMOrchestrator, layerFromConfig, parseConfig } from "llm-orchestrator"
import { user } from "./support.ts"

/** gpt-4o-mini, USD per million tokens (openai.com/api/pricing). */
const gpt4oMini = { input: 0.15, output: 0.6 }

const configFor = (url: string, pricing: string) => `
active_provider: local
active_model: gpt-4o-mini
providers:
  local:
    type: openai-compatible
    base_url: "${url}/v1"
    api_key: local-key-0000
${pricing}`

const callWith = (pricing: string) =>
  Effect.gen(function* () {
    const sim = yield* openaiSimulator()
    sim.script({ kind: "text", text: "priced", usage: { inputTokens: 1000, outputTokens: 200 } })
    const config = yield* parseConfig(configFor(sim.url, pricing))
    return yield* LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))).pipe(
      Effect.provide(layerFromConfig(config))
    )
  }).pipe(Effect.scoped)

describe("pricing an openai-compatible instance", () => {
  it.live("price_provider: openai prices its gpt-4o-mini from OpenAI's published prices", () =>
    Effect.gen(function* () {
      const response = yield* callWith("    price_provider: openai\n")
      expect(response.cost?.input).toBeCloseTo((1000 * gpt4oMini.input) / 1e6, 12)
      expect(response.cost?.output).toBeCloseTo((200 * gpt4oMini.output) / 1e6, 12)
    })
  )

  it.live("without price_provider the same call is unpriced: a self-hosted model is not OpenAI's", () =>
    Effect.gen(function* () {
      const response = yield* callWith("")
      expect(response.content).toBe("priced")
      expect(response.cost).toBeUndefined()
    })
  )

  it("price_provider must be a string", () => {
    const problems = checkConfig(configFor("http://127.0.0.1:1", "    price_provider: [openai]\n"))
    expect(problems.map((p) => p.path)).toEqual(["providers.local.price_provider"])
  })
})
