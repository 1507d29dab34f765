/**
 * The seed's three usage patterns and the Promise facade, through config files, the real SDKs and the
 * simulators: switching provider is a config edit; discovery lists the simulator's models; the cost
 * comparison loop gives per-model costs.
 */
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { defaultAnthropicModels, startSimulatorFleet } from "@llm-orchestrator/testing"
import { Effect } from "effect"
import { createOrchestrator, LLMOrchestrator } from "llm-orchestrator"
import { waitForRequest } from "./reliability-support.ts"
import { readLog, tempDir, user, writeConfig } from "./support.ts"

describe("seed usage patterns", () => {
  it("switching active_provider in the config file and reloading changes the provider, with no code change", async () => {
    const fleet = await startSimulatorFleet()
    try {
      const dir = tempDir()
      const path = writeConfig(fleet, { activeProvider: "openai" }, dir)
      // The application code: the same three lines before and after the migration.
      const ask = async () => {
        const llm = await createOrchestrator(path)
        try {
          return await llm.sendRequest(user("Which provider are you?"))
        } finally {
          await llm.close()
        }
      }
      expect((await ask()).provider).toBe("openai")
      writeConfig(fleet, { activeProvider: "anthropic" }, dir)
      const after = await ask()
      expect(after.provider).toBe("anthropic")
      expect(after.content).toContain("anthropic")
      expect(fleet.anthropic.requests.filter((r) => r.kind === "generate")).toHaveLength(1)
    } finally {
      await fleet.close()
    }
  })

  it.live('getAvailableModels("anthropic") lists the simulator\'s models through all pages', () =>
    Effect.gen(function* () {
      const fleet = yield* Effect.acquireRelease(
        Effect.promise(() => startSimulatorFleet()),
        (f) => Effect.promise(() => f.close())
      )
      const path = writeConfig(fleet)
      const models = yield* LLMOrchestrator.use((llm) => llm.getAvailableModels("anthropic")).pipe(
        Effect.provide(LLMOrchestrator.layerFromFile(path))
      )
      const expected = defaultAnthropicModels.filter((m) => m.chat !== false).map((m) => m.id)
      expect(models.map((m) => m.id)).toEqual(expected)
      expect(models.every((m) => m.provider === "anthropic")).toBe(true)
      expect(models.find((m) => m.id === "claude-sonnet-4-6")?.price).toMatchObject({ input: 3, output: 15 })
    }).pipe(Effect.scoped)
  )

  it("the cost-comparison loop over three configs gives each model's cost", async () => {
    const fleet = await startSimulatorFleet()
    try {
      const candidates = [
        { activeProvider: "openai", activeModel: "gpt-4o-mini", input: 0.15, output: 0.6 },
        { activeProvider: "anthropic", activeModel: "claude-haiku-4-5-20251001", input: 1, output: 5 },
        { activeProvider: "gemini", activeModel: "gemini-2.5-flash", input: 0.3, output: 2.5 }
      ] as const
      const costs: Record<string, number | undefined> = {}
      for (const candidate of candidates) {
        fleet[candidate.activeProvider].scriptModel(candidate.activeModel, {
          kind: "text",
          text: "a comparable answer",
          usage: { inputTokens: 2000, outputTokens: 500 }
        })
        const dir = tempDir()
        const path = writeConfig(fleet, { ...candidate, costLogPath: join(dir, "costs.jsonl") }, dir)
        const llm = await createOrchestrator(path)
        const response = await llm.sendRequest(user("Summarise our refund policy."))
        costs[candidate.activeModel] = response.cost?.total
        expect(await llm.getSessionCost()).toBeCloseTo(response.cost!.total, 12)
        await llm.close()
        expect(readLog(join(dir, "costs.jsonl"))).toHaveLength(1)
      }
      for (const c of candidates) expect(costs[c.activeModel]).toBeCloseTo((2000 * c.input + 500 * c.output) / 1e6, 12)
    } finally {
      await fleet.close()
    }
  })
})

describe("Promise facade", () => {
  it("streams text as an AsyncIterable; breaking out of the loop aborts the HTTP request", async () => {
    const fleet = await startSimulatorFleet()
    try {
      const path = writeConfig(fleet)
      const llm = await createOrchestrator(path)
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "text", text: "a b c d e f g h", chunkDelayMs: 30 })
      const chunks: Array<string> = []
      for await (const text of llm.sendStreamingRequest(user("count"))) {
        if (text) chunks.push(text)
        if (chunks.length === 2) break
      }
      expect(chunks).toEqual(["a ", "b "])
      const request = fleet.openai.requests.at(-1)!
      await fleet.openai.waitForAbort(request, 200)
      // The whole stream, with its Finish event, still works afterwards.
      const events = []
      for await (const event of llm.streamEvents(user("again"))) events.push(event)
      expect(events.at(-1)?._tag).toBe("Finish")
      await llm.close()
    } finally {
      await fleet.close()
    }
  })

  it("an AbortSignal cancels a request at once; errors are thrown typed; close flushes the cost log", async () => {
    const fleet = await startSimulatorFleet()
    try {
      const dir = tempDir()
      const path = writeConfig(fleet, { costLogPath: join(dir, "costs.jsonl") }, dir)
      const llm = await createOrchestrator(path)
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "hang" })
      const controller = new AbortController()
      const pending = llm.sendRequest(user("wait"), { signal: controller.signal })
      await waitForRequest(fleet.openai.requests, 0)
      controller.abort()
      await expect(pending).rejects.toMatchObject({ _tag: "RequestAbortedError" })
      await fleet.openai.waitForAbort(fleet.openai.requests.at(-1)!, 200)
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "error", fault: "invalid-request" })
      await expect(llm.sendRequest(user("bad"))).rejects.toMatchObject({ _tag: "InvalidRequestError", status: 400 })
      await llm.sendRequest(user("ok"))
      await llm.close()
      expect(readLog(join(dir, "costs.jsonl"))).toHaveLength(1)
    } finally {
      await fleet.close()
    }
  })

  it("a bad config path fails createOrchestrator with a ConfigError", async () => {
    const missing = join(tempDir(), "nope.yaml")
    await expect(createOrchestrator(missing)).rejects.toMatchObject({ _tag: "ConfigError" })
  })
})
