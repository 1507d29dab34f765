/**
 * Prompt caching across a fallback (README "Prompt caching"): one request carries Anthropic's and
 * Bedrock's markers; Anthropic refuses the key, the chain moves to Claude on Bedrock, and each
 * provider gets its own markers on its own wire (through the real SDKs, checked by the simulators),
 * through the Effect API (plain and streamed) and the Promise facade.
 */
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { ChatRequest } from "@llm-orchestrator/core"
import { type SimulatorFleet, startSimulatorFleet } from "@llm-orchestrator/testing"
import { Effect, Stream } from "effect"
import { createOrchestrator, LLMOrchestrator } from "llm-orchestrator"
import { fleetOrchestrator, tempDir, writeConfig } from "./support.ts"

const claudeOnBedrock = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
const fallbackYaml = `retry:\n  max_attempts: 1\nfallback:\n  chain:\n    - { provider: bedrock, model: "${claudeOnBedrock}" }`
const markers = {
  anthropic: { cacheControl: { type: "ephemeral", ttl: "1h" } },
  bedrock: { cachePoint: { type: "default" } }
} as const

const request: ChatRequest = {
  messages: [
    { role: "system", content: "You answer from the glossary.", providerOptions: markers },
    {
      role: "user",
      content: [
        { type: "text", text: "The glossary: lemma, stem, root.", providerOptions: markers },
        { type: "text", text: "What is a lemma?" }
      ]
    }
  ]
}

/** The body of the one chat request each simulator received (model listings left out). */
const chatBody = (fleet: SimulatorFleet, provider: "anthropic" | "bedrock") => {
  const bodies = fleet[provider].requests.filter((r) => r.kind === "generate" || r.kind === "stream")
  expect(bodies).toHaveLength(1)
  return bodies[0]!.body as Record<string, unknown>
}

const expectOwnMarkers = (fleet: SimulatorFleet) => {
  const anthropic = chatBody(fleet, "anthropic")
  expect(anthropic.system).toEqual([
    { type: "text", text: "You answer from the glossary.", cache_control: { type: "ephemeral", ttl: "1h" } }
  ])
  expect(anthropic.messages).toEqual([
    {
      role: "user",
      content: [
        { type: "text", text: "The glossary: lemma, stem, root.", cache_control: { type: "ephemeral", ttl: "1h" } },
        { type: "text", text: "What is a lemma?" }
      ]
    }
  ])
  expect(JSON.stringify(anthropic)).not.toContain("cachePoint")
  const bedrock = chatBody(fleet, "bedrock")
  expect(bedrock.system).toEqual([{ text: "You answer from the glossary." }, { cachePoint: { type: "default" } }])
  expect(bedrock.messages).toEqual([
    {
      role: "user",
      content: [
        { text: "The glossary: lemma, stem, root." },
        { cachePoint: { type: "default" } },
        { text: "What is a lemma?" }
      ]
    }
  ])
  expect(JSON.stringify(bedrock)).not.toMatch(/cache_control|ephemeral/)
}

const bedrockAnswer = {
  kind: "text",
  text: "A headword.",
  usage: { inputTokens: 1_200, cacheWriteTokens: 1_000, outputTokens: 3 }
} as const

describe("prompt caching across a fallback from Anthropic to Claude on Bedrock", () => {
  for (const streamed of [false, true])
    it.effect(`each provider gets its own markers (${streamed ? "streamed" : "plain"})`, () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* fleetOrchestrator({ activeProvider: "anthropic", extraYaml: fallbackYaml })
        fleet.anthropic.script({ kind: "error", fault: "auth" })
        fleet.bedrock.script(bedrockAnswer)
        yield* Effect.gen(function* () {
          const llm = yield* LLMOrchestrator
          if (streamed) {
            const events = yield* Stream.runCollect(llm.sendStreamingRequest(request))
            const finish = [...events].at(-1)
            expect(finish?._tag === "Finish" ? [finish.provider, finish.usage.cacheWriteTokens] : []).toEqual([
              "bedrock",
              1_000
            ])
          } else {
            const response = yield* llm.sendRequest(request)
            expect(response.attempts.map((a) => `${a.provider}:${a.outcome}`)).toEqual([
              "anthropic:error",
              "bedrock:success"
            ])
            expect(response.usage.cacheWriteTokens).toBe(1_000)
          }
        }).pipe(Effect.provide(layer))
        expectOwnMarkers(fleet)
      })
    )

  it("through the Promise facade too", async () => {
    const fleet = await startSimulatorFleet()
    try {
      const dir = tempDir()
      const llm = await createOrchestrator(
        writeConfig(
          fleet,
          { activeProvider: "anthropic", extraYaml: fallbackYaml, costLogPath: join(dir, "costs.jsonl") },
          dir
        )
      )
      try {
        fleet.anthropic.script({ kind: "error", fault: "auth" })
        fleet.bedrock.script(bedrockAnswer)
        const response = await llm.sendRequest(request)
        expect(response.provider).toBe("bedrock")
        expectOwnMarkers(fleet)
      } finally {
        await llm.close()
      }
    } finally {
      await fleet.close()
    }
  })
})
