/**
 * Shared by the reliability tests (interruption, secrets, hostile responses): a seeded PRNG whose seed
 * is printed so a failing run can be replayed, a resource census for leak checks, the fleet config
 * with per-provider extras, and a guard that fails a test file on any unhandled rejection.
 */
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import {
  type FleetConfigOptions,
  type FleetProvider,
  type SimulatorFleet,
  startSimulatorFleet
} from "@llm-orchestrator/testing"
import { Effect } from "effect"
import { parseConfig } from "llm-orchestrator"
import { afterAll, beforeAll, expect } from "vitest"
import { fastRetry, tempDir } from "./support.ts"

export const providers: ReadonlyArray<FleetProvider> = ["openai", "anthropic", "gemini", "bedrock", "vertex"]

/** Each provider's active model in the fleet config, the one scripted replies target. */
export const activeModels: Record<FleetProvider, string> = {
  openai: "gpt-4o-mini",
  anthropic: "claude-sonnet-4-6",
  gemini: "gemini-2.5-flash",
  bedrock: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
  vertex: "gemini-2.5-flash"
}

/** mulberry32: small, fast, and the same sequence for the same seed on every platform. */
export const seededRandom = (seed: number) => {
  let state = seed >>> 0
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
  return {
    next,
    /** An integer in [min, max]. */
    int: (min: number, max: number) => min + Math.floor(next() * (max - min + 1)),
    pick: <A>(items: ReadonlyArray<A>): A => items[Math.floor(next() * items.length)]!
  }
}

/** The seed from `RELIABILITY_SEED` (to replay a failure) or a fresh one, printed either way. */
export const testSeed = (suite: string): number => {
  const fromEnv = Number.parseInt(process.env.RELIABILITY_SEED ?? "", 10)
  const seed = Number.isFinite(fromEnv) ? fromEnv : Math.floor(Math.random() * 2 ** 31)
  console.log(`${suite}: seed ${seed} (replay with RELIABILITY_SEED=${seed})`)
  return seed
}

// ---- Leaks ------------------------------------------------------------------------------------------

const watched = ["TCPSocketWrap", "TCPServerWrap", "Timeout", "Immediate"] as const

export type ResourceCensus = Record<(typeof watched)[number], number>

export const resourceCensus = (): ResourceCensus => {
  const census: ResourceCensus = { TCPSocketWrap: 0, TCPServerWrap: 0, Timeout: 0, Immediate: 0 }
  for (const resource of process.getActiveResourcesInfo())
    if ((watched as ReadonlyArray<string>).includes(resource)) census[resource as keyof ResourceCensus]++
  return census
}

/**
 * The census to compare against: the lowest count of each kind over 300 ms, taken once per test file
 * (every test closes what it opened, so one baseline serves all). The runner keeps a timer alive for
 * the first ~200 ms of each test; a single look would count it and hide a leaked timer.
 */
let baseline: Promise<ResourceCensus> | undefined
export const baselineCensus = (): Promise<ResourceCensus> => {
  baseline ??= (async () => {
    const census = resourceCensus()
    for (let sample = 0; sample < 30; sample++) {
      await new Promise((resolve) => setTimeout(resolve, 10))
      const next = resourceCensus()
      for (const kind of watched) census[kind] = Math.min(census[kind], next[kind])
    }
    return census
  })()
  return baseline
}

/**
 * Waits (up to `withinMs`) until no more sockets, servers or timers are alive than in `before`:
 * closed sockets leave the list a few ticks after `close()`. Fails with both censuses otherwise.
 */
export const expectNoLeaks = async (before: ResourceCensus, withinMs = 2000): Promise<void> => {
  const deadline = Date.now() + withinMs
  let now = resourceCensus()
  const grown = (c: ResourceCensus) => watched.filter((k) => k !== "Immediate" && c[k] > before[k])
  while (grown(now).length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20))
    now = resourceCensus()
  }
  expect({ leaked: grown(now), now }).toEqual({ leaked: [], now: expect.anything() })
}

// ---- Unhandled rejections ---------------------------------------------------------------------------

/** Records every unhandled rejection while the file's tests run; the file fails if there was one. */
export const guardUnhandledRejections = (): { readonly seen: Array<unknown> } => {
  const seen: Array<unknown> = []
  const listener = (reason: unknown) => void seen.push(reason)
  beforeAll(() => void process.on("unhandledRejection", listener))
  afterAll(() => {
    process.off("unhandledRejection", listener)
    expect(seen).toEqual([])
  })
  return { seen }
}

// ---- Config -----------------------------------------------------------------------------------------

export interface ReliabilityConfigOptions extends FleetConfigOptions {
  /** `timeout` for every provider (e.g. "5s"), so the per-attempt and stream idle timers are live. */
  readonly timeout?: string
  /** Extra `providers.bedrock` keys, e.g. a session_token line. */
  readonly bedrockExtra?: string
  /** Drops `fallback_models` so a fault ends the request (no chain to run down). */
  readonly noFallback?: boolean
}

/** The fleet's YAML with the reliability tests' extras spliced into the provider sections. */
export const reliabilityYaml = (fleet: SimulatorFleet, options: ReliabilityConfigOptions = {}): string => {
  let yaml = fleet.configYaml({ extraYaml: fastRetry, ...options })
  if (options.timeout !== undefined)
    yaml = yaml.replace(/^( {4}base_url: .*)$/gm, `$1\n    timeout: ${JSON.stringify(options.timeout)}`)
  if (options.bedrockExtra !== undefined)
    yaml = yaml.replace(/^( {4}secret_access_key: .*)$/m, `$1\n${options.bedrockExtra}`)
  if (options.noFallback) yaml = yaml.replace(/^ {4}fallback_models: .*\n/gm, "")
  return yaml
}

export const writeReliabilityConfig = (
  fleet: SimulatorFleet,
  options: ReliabilityConfigOptions = {},
  dir = tempDir("llm-orchestrator-reliability-")
) => {
  const path = join(dir, "config.yaml")
  writeFileSync(path, reliabilityYaml(fleet, options))
  return path
}

export const parseReliabilityConfig = (fleet: SimulatorFleet, options: ReliabilityConfigOptions = {}) =>
  Effect.runPromise(parseConfig(reliabilityYaml(fleet, options)))

/** Starts a fleet, runs `body`, closes the fleet whatever happens. */
export const withFleet = async <A>(body: (fleet: SimulatorFleet) => Promise<A>): Promise<A> => {
  const fleet = await startSimulatorFleet()
  try {
    return await body(fleet)
  } finally {
    await fleet.close()
  }
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms))

/** Resolves once `sim` has recorded more than `count` requests (the call reached the wire). */
export const waitForRequest = async (
  requests: ReadonlyArray<unknown>,
  count: number,
  withinMs = 2000
): Promise<void> => {
  const deadline = Date.now() + withinMs
  while (requests.length <= count) {
    if (Date.now() > deadline) throw new Error(`no request reached the simulator within ${withinMs} ms`)
    await sleep(2)
  }
}
