/** Shared wiring for the end-to-end tests: the simulator fleet, a config file for it, the real layers. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { type CostRecord, parseConfig } from "@llm-orchestrator/core"
import { type FleetConfigOptions, type SimulatorFleet, simulatorFleet } from "@llm-orchestrator/testing"
import { Effect } from "effect"
import { layerFromConfig } from "llm-orchestrator"

export const tempDir = (prefix = "llm-orchestrator-test-") => mkdtempSync(join(tmpdir(), prefix))

/** Retries fast in tests: the schedule's shape is tested on the TestClock in core. */
export const fastRetry = "retry:\n  max_attempts: 3\n  initial_delay: 10ms\n  max_delay: 50ms"

/** The fleet, its config (with a cost log in a temp dir), and the orchestrator layer built from it. */
export const fleetOrchestrator = (options: FleetConfigOptions = {}) =>
  Effect.gen(function* () {
    const fleet = yield* simulatorFleet()
    const logPath = join(tempDir(), "costs.jsonl")
    const yaml = fleet.configYaml({ costLogPath: logPath, extraYaml: fastRetry, ...options })
    const config = yield* parseConfig(yaml)
    return { fleet, logPath, config, layer: layerFromConfig(config) }
  })

export const readLog = (path: string): Array<CostRecord> =>
  readFileSync(path, "utf8")
    .split("\n")
    .filter((line) => line.length > 0)
    .map((line) => JSON.parse(line) as CostRecord)

export const writeConfig = (fleet: SimulatorFleet, options: FleetConfigOptions = {}, dir = tempDir()) => {
  const path = join(dir, "config.yaml")
  writeFileSync(path, fleet.configYaml({ extraYaml: fastRetry, ...options }))
  return path
}

export const user = (content: string) => ({ messages: [{ role: "user" as const, content }] })
