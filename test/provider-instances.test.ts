/**
 * docs/ARCHITECTURE.md, "Provider types and instances", through the real OpenAI SDK against three
 * OpenAI simulators: two instances of the `openai` type with their own base URLs and keys, and an
 * `openai-compatible` instance, fall back into each other; each call carries its own instance's key,
 * and answers, errors and cost records name the instance.
 */
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { defaultOpenAIModels, openaiSimulator, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Stream } from "effect"
import { CostTracker, LLMOrchestrator, layerFromConfig, parseConfig } from "llm-orchestrator"
import { fastRetry, readLog, tempDir, user } from "./support.ts"

const keys = { work: "sk-work-0000000000", personal: "sk-personal-0000000000", local: "local-key-0000" } as const

const models = [...defaultOpenAIModels, { id: "llama3.1:8b" }]

const instancesYaml = (
  sims: Record<keyof typeof keys, Simulator>,
  logPath: string,
  active: string,
  chain: ReadonlyArray<readonly [string, string]>,
  localKey = true
) => `
active_provider: ${active.split("/")[0]}
active_model: ${JSON.stringify(active.split("/")[1])}
providers:
  work:
    type: openai
    api_key: ${keys.work}
    base_url: "${sims.work.url}/v1"
  personal:
    type: openai
    api_key: ${keys.personal}
    base_url: "${sims.personal.url}/v1"
  local:
    type: openai-compatible
    base_url: "${sims.local.url}/v1"
${localKey ? `    api_key: ${keys.local}\n` : ""}fallback:
  chain:
${chain.map(([provider, model]) => `    - { provider: ${provider}, model: ${JSON.stringify(model)} }`).join("\n")}
cost_tracking:
  log_path: ${JSON.stringify(logPath)}
  prices:
    local/llama3.1:8b: { input: 0.1, output: 0.2 }
${fastRetry}
`

const simulators = Effect.all({
  work: openaiSimulator({ models }),
  personal: openaiSimulator({ models }),
  local: openaiSimulator({ models })
})

const bearer = (sim: Simulator) => [...new Set(sim.requests.map((r) => r.headers.authorization))]
const attemptsOf = (attempts: ReadonlyArray<{ provider: string; model: string; outcome: string }>) =>
  attempts.map((a) => `${a.provider}/${a.model}:${a.outcome}`)

describe("provider instances", () => {
  it.live("work -> personal (two openai instances) -> local (openai-compatible): each with its own key", () =>
    Effect.gen(function* () {
      const sims = yield* simulators
      const unavailable = { kind: "error", fault: "unavailable" } as const
      sims.work.scriptModel("gpt-4o-mini", unavailable, unavailable, unavailable)
      sims.personal.scriptModel("gpt-4o", { kind: "error", fault: "rate-limit", retryAfterSeconds: 600 })
      const logPath = join(tempDir(), "costs.jsonl")
      const config = yield* parseConfig(
        instancesYaml(sims, logPath, "work/gpt-4o-mini", [
          ["personal", "gpt-4o"],
          ["local", "llama3.1:8b"]
        ])
      )
      expect(Object.entries(config.providers).map(([name, i]) => `${name}:${i.type.name}`)).toEqual([
        "work:openai",
        "personal:openai",
        "local:openai-compatible"
      ])
      const { response, listed } = yield* Effect.gen(function* () {
        const llm = yield* LLMOrchestrator
        const response = yield* llm.sendRequest(user("hi"))
        yield* CostTracker.use((tracker) => tracker.flush)
        return { response, listed: yield* llm.getAvailableModels() }
      }).pipe(Effect.provide(layerFromConfig(config)))
      expect(attemptsOf(response.attempts)).toEqual([
        "work/gpt-4o-mini:error",
        "work/gpt-4o-mini:error",
        "work/gpt-4o-mini:error",
        "personal/gpt-4o:error",
        "local/llama3.1:8b:success"
      ])
      expect(response.provider).toBe("local")
      expect(response.content).toContain("llama3.1:8b")
      expect(bearer(sims.work)).toEqual([`Bearer ${keys.work}`])
      expect(bearer(sims.personal)).toEqual([`Bearer ${keys.personal}`])
      expect(bearer(sims.local)).toEqual([`Bearer ${keys.local}`])
      // Priced from cost_tracking.prices under the instance-qualified key (the catalogue has no such model).
      expect(response.cost?.total).toBeGreaterThan(0)
      const records = readLog(logPath)
      // One line per token-consuming attempt: the failures consumed none.
      expect(records.map((r) => `${r.provider}/${r.model}:${r.outcome}`)).toEqual(["local/llama3.1:8b:success"])
      expect(records.at(-1)?.cost?.total).toBe(response.cost?.total)
      expect(response.requestId).toBeDefined()
      expect(records.at(-1)?.providerRequestId).toBe(response.requestId)
      // Each instance lists its server's models under its own name.
      const listedBy = (provider: string) => listed.filter((m) => m.provider === provider).map((m) => m.id)
      expect(listed.length).toBe(3 * listedBy("work").length)
      expect(listedBy("personal")).toEqual(listedBy("work"))
      expect(listedBy("local")).toContain("llama3.1:8b")
    }).pipe(Effect.scoped)
  )

  it.live("streamed: local (openai-compatible) fails before text, personal answers; errors name the instance", () =>
    Effect.gen(function* () {
      const sims = yield* simulators
      const serverError = { kind: "error", fault: "server-error" } as const
      sims.local.scriptModel("llama3.1:8b", serverError, serverError, serverError)
      const logPath = join(tempDir(), "costs.jsonl")
      const config = yield* parseConfig(
        instancesYaml(sims, logPath, "local/llama3.1:8b", [
          ["work", "gpt-4o"],
          ["personal", "gpt-4o-mini"]
        ])
      )
      sims.work.scriptModel("gpt-4o", { kind: "error", fault: "auth" })
      const events = yield* LLMOrchestrator.use((llm) => Stream.runCollect(llm.sendStreamingRequest(user("hi")))).pipe(
        Effect.tap(() => CostTracker.use((tracker) => tracker.flush)),
        Effect.provide(layerFromConfig(config))
      )
      const finish = events.at(-1)
      if (finish?._tag !== "Finish") throw new Error("no Finish")
      expect(finish.provider).toBe("personal")
      expect(finish.cost?.total).toBeGreaterThan(0)
      expect(attemptsOf(finish.attempts)).toEqual([
        "local/llama3.1:8b:error",
        "local/llama3.1:8b:error",
        "local/llama3.1:8b:error",
        "work/gpt-4o:error",
        "personal/gpt-4o-mini:success"
      ])
      expect(finish.attempts.map((a) => a.errorTag)).toEqual([
        "ProviderUnavailableError",
        "ProviderUnavailableError",
        "ProviderUnavailableError",
        "AuthenticationError",
        undefined
      ])
      expect(bearer(sims.personal)).toEqual([`Bearer ${keys.personal}`])
      expect(finish.requestId).toBeDefined()
      expect(readLog(logPath).map((r) => [r.provider, r.outcome, r.providerRequestId])).toEqual([
        ["personal", "success", finish.requestId]
      ])
    }).pipe(Effect.scoped)
  )

  it.live("a failure names the instance, not its type; a keyless openai-compatible instance sends no key", () =>
    Effect.gen(function* () {
      const sims = yield* simulators
      const logPath = join(tempDir(), "costs.jsonl")
      const config = yield* parseConfig(instancesYaml(sims, logPath, "local/llama3.1:8b", [], false))
      const error = yield* LLMOrchestrator.use((llm) => Effect.flip(llm.sendRequest(user("hi")))).pipe(
        Effect.provide(layerFromConfig(config))
      )
      // The simulator answers 401 to a request without a bearer token, as OpenAI does.
      expect(error._tag).toBe("AuthenticationError")
      expect(error.provider).toBe("local")
      expect(sims.local.requests.map((r) => r.headers.authorization)).toEqual([undefined])
      const models = yield* LLMOrchestrator.use((llm) => Effect.flip(llm.getAvailableModels("local"))).pipe(
        Effect.provide(layerFromConfig(config))
      )
      expect(models.provider).toBe("local")
    }).pipe(Effect.scoped)
  )

  it("the config names what an openai-compatible instance needs, and what a name of your own needs", () => {
    const problems = (yaml: string) =>
      Effect.runSync(Effect.flip(parseConfig(yaml))).problems.map((p) => `${p.path}: ${p.message}`)
    expect(
      problems(`active_provider: local
active_model: m
providers:
  local:
    type: openai-compatible
  mine:
    api_key: k
  two words:
    type: openai
    api_key: k
  spare:
    type: opnai
`)
    ).toEqual([
      'providers.local.base_url: is required: the server\'s OpenAI-compatible endpoint, e.g. "http://127.0.0.1:11434/v1"',
      "providers.mine: unknown provider; the provider types are openai, anthropic, gemini, bedrock, vertex, openai-compatible (a name of your own needs type: set to one of them)",
      'providers["two words"]: is not a usable provider name: names are 1 to 64 letters, digits and _ . -, starting with a letter or a digit',
      'providers.spare.type: unknown provider type "opnai"; did you mean openai? Provider types: openai, anthropic, gemini, bedrock, vertex, openai-compatible'
    ])
  })
})
