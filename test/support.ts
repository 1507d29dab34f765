/** Shared wiring for the end-to-end tests: the simulator fleet, a config file for it, the real layers. */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { CostRecord } from "@llm-orchestrator/core"
import { type FleetConfigOptions, type SimulatorFleet, simulatorFleet } from "@llm-orchestrator/testing"
import { Clock, Duration, Effect } from "effect"
import { TestClock } from "effect/testing"
import { layerFromConfig, parseConfig } from "llm-orchestrator"

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

/**
 * The fiber's clock (the TestClock under `it.effect`) with every sleep asked of it written down, in
 * ms: provided to the code under test, it lets a test see that code waiting before moving time by hand.
 */
export const sleepRecordingClock = Clock.clockWith((inner) => {
  const sleeps: Array<number> = []
  const clock: Clock.Clock = {
    currentTimeMillisUnsafe: () => inner.currentTimeMillisUnsafe(),
    currentTimeMillis: inner.currentTimeMillis,
    currentTimeNanosUnsafe: () => inner.currentTimeNanosUnsafe(),
    currentTimeNanos: inner.currentTimeNanos,
    monotonicTimeNanosUnsafe: () => inner.monotonicTimeNanosUnsafe(),
    monotonicTimeNanos: inner.monotonicTimeNanos,
    sleep: (duration) =>
      Effect.suspend(() => {
        sleeps.push(Duration.toMillis(duration))
        return inner.sleep(duration)
      })
  }
  return Effect.succeed({ clock, sleeps })
})

/**
 * Under `it.effect`, waits on the live clock (real sockets need real time) until `done()` holds;
 * fails after `withinMs` of real time, a guard against a hang, not a measurement.
 */
export const untilLive = (what: string, done: () => boolean, withinMs = 20_000) =>
  TestClock.withLive(
    Effect.gen(function* () {
      const deadline = Date.now() + withinMs
      while (!done()) {
        if (Date.now() > deadline) return yield* Effect.die(new Error(`not within ${withinMs} ms: ${what}`))
        yield* Effect.sleep("2 millis")
      }
    })
  )
