/** The simulator fleet, the orchestrator built from its config (with a cost log), and our layer over it. */
import { mkdtempSync, readFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { CostRecord } from "@llm-orchestrator/core"
import { OrchestratorLanguageModel } from "@llm-orchestrator/effect-ai"
import { type FleetConfigOptions, simulatorFleet } from "@llm-orchestrator/testing"
import { Effect, Layer } from "effect"
import { layerFromConfig, parseConfig } from "llm-orchestrator"

/** One try per model, short waits: the chain's moves are what these tests look at, not its schedule. */
export const oneTry = "retry:\n  max_attempts: 1\n  initial_delay: 10ms\n  max_delay: 50ms"

export const fleetLanguageModel = (options: FleetConfigOptions = {}) =>
  Effect.gen(function* () {
    const fleet = yield* simulatorFleet()
    const logPath = join(mkdtempSync(join(tmpdir(), "effect-ai-test-")), "costs.jsonl")
    const config = yield* parseConfig(fleet.configYaml({ costLogPath: logPath, extraYaml: oneTry, ...options }))
    // The LanguageModel and the orchestrator under it, both visible to the program.
    const layer = OrchestratorLanguageModel.layer().pipe(Layer.provideMerge(layerFromConfig(config)))
    return { fleet, logPath, layer }
  })

/** The cost log's records (read after the layer closed, which flushes it). */
export const readLog = (path: string): Array<CostRecord> =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as CostRecord)

/** Each fleet provider's active model (the fleet config's default). */
export const activeModels = {
  openai: "gpt-4o-mini",
  anthropic: "claude-sonnet-4-6",
  gemini: "gemini-2.5-flash",
  vertex: "gemini-2.5-flash",
  bedrock: "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
} as const
