/**
 * Where the client's time goes: CPU-profiles (V8 sampling profiler, through node:inspector) a loop of
 * raw-SDK calls and the same loop through the orchestrator, then prints self time per request grouped
 * by owner (our packages by file:function, Effect, the vendor SDK, Node internals, GC) and the
 * difference between the two.
 *
 * `npx pnpm@12.21.0 exec node bench/profile.ts [openai|anthropic] [plain|stream|c64] [requests]` (c64: plain
 * requests, 64 in flight, where the 64-concurrent throughput ratio is lost)
 * Writes the raw .cpuprofile files to $TMPDIR for a look in Chrome DevTools.
 */
import * as fs from "node:fs"
import { Session } from "node:inspector/promises"
import * as os from "node:os"
import * as nodePath from "node:path"
import { type Arm, adapterArm, type BenchProvider, orchestratorArm, rawArm } from "./arms.ts"
import { startCollector } from "./collector.ts"
import { startSimulatorProcess } from "./simulator-server.ts"
import { runConcurrent } from "./stats.ts"

const provider = (process.argv[2] ?? "openai") as BenchProvider
const mode = (process.argv[3] ?? "plain") as "plain" | "stream" | "c64"
const requests = Number(process.argv[4] ?? (mode === "stream" ? 500 : mode === "c64" ? 20_000 : 5_000))
/**
 * `prometheus`: the orchestrator with telemetry on, metrics only; `otlp`: spans and metrics exported by
 * OTLP/HTTP to a collector stand-in (bench/collector.ts) every second.
 */
type ArmName = "raw" | "adapter" | "orchestrator" | "prometheus" | "otlp"
const baseline = (process.argv[5] ?? "raw") as ArmName
const subject = (process.argv[6] ?? "orchestrator") as ArmName

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly hitCount?: number
}
interface Profile {
  readonly nodes: ReadonlyArray<ProfileNode>
  readonly startTime: number
  readonly endTime: number
  readonly samples: ReadonlyArray<number>
  readonly timeDeltas: ReadonlyArray<number>
}

const owner = (url: string, functionName: string): string => {
  if (url === "") return functionName === "(garbage collector)" ? "gc" : `v8 ${functionName || "(native)"}`
  const packageMatch = /\/packages\/([^/]+)\/src\/(.+)$/.exec(url)
  if (packageMatch) return `ours ${packageMatch[1]}/${packageMatch[2]}`
  if (url.includes("/bench/")) return "bench harness"
  if (url.includes("/effect/dist/")) return "effect"
  if (url.includes("/openai/")) return "openai sdk"
  if (url.includes("@anthropic-ai")) return "anthropic sdk"
  if (url.startsWith("node:")) return "node"
  return url.replace(/^.*node_modules\//, "")
}

/** Microseconds of self time per request, by owner and by our functions. */
const summarise = (profile: Profile, count: number) => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const byOwner = new Map<string, number>()
  const byFunction = new Map<string, number>()
  for (let i = 0; i < profile.samples.length; i++) {
    const node = byId.get(profile.samples[i]!)!
    const us = profile.timeDeltas[i] ?? 0
    const { url, functionName, lineNumber } = node.callFrame
    const who = owner(url, functionName)
    if (who === "v8 (idle)" || who === "v8 (program)") continue
    byOwner.set(who, (byOwner.get(who) ?? 0) + us)
    const key = who.startsWith("ours")
      ? `${who.slice(5)}:${functionName || "(anonymous)"}:${lineNumber + 1}`
      : `${who} ${functionName || "(anonymous)"}:${lineNumber + 1}${who === "effect" || who === "node" ? ` ${url.split("/").pop()}` : ""}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + us)
  }
  const perRequest = (map: Map<string, number>) =>
    new Map([...map].map(([key, us]) => [key, us / count] as const).sort((a, b) => b[1] - a[1]))
  return { owners: perRequest(byOwner), functions: perRequest(byFunction) }
}

const profileLoop = async (session: Session, label: string, arm: Arm) => {
  const task = mode === "stream" ? arm.stream : arm.plain
  const concurrency = mode === "c64" ? 64 : 1
  await runConcurrent(Math.min(requests, 1_000), concurrency, task) // warm-up (JIT)
  await session.post("Profiler.setSamplingInterval", { interval: 50 })
  await session.post("Profiler.start")
  const start = performance.now()
  await runConcurrent(requests, concurrency, task)
  const elapsedMs = performance.now() - start
  const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile }
  const file = nodePath.join(os.tmpdir(), `llm-bench-${provider}-${mode}-${label}.cpuprofile`)
  fs.writeFileSync(file, JSON.stringify(profile))
  return { ...summarise(profile, requests), wallUsPerRequest: (elapsedMs * 1000) / requests, file }
}

const collectors: Array<{ stop: () => void }> = []
const telemetryYaml = async (name: ArmName): Promise<string> => {
  if (name === "prometheus") return "telemetry:\n  prometheus: { port: 0 }\n"
  if (name !== "otlp") return ""
  const collector = await startCollector()
  collectors.push(collector)
  return `telemetry:\n  otlp:\n    endpoint: ${collector.url}\n    export_interval: 1s\n`
}

const main = async () => {
  const { urls, stop } = await startSimulatorProcess()
  const logDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-orchestrator-profile-"))
  const session = new Session()
  session.connect()
  await session.post("Profiler.enable")
  try {
    const disposers: Array<() => Promise<void>> = []
    const make = async (name: ArmName): Promise<Arm> => {
      if (name === "raw") return rawArm(provider, urls)
      const arm =
        name === "adapter"
          ? await adapterArm(provider, urls)
          : await orchestratorArm(provider, urls, logDir, { extraYaml: await telemetryYaml(name) })
      disposers.push(arm.dispose)
      return arm
    }
    const raw = await profileLoop(session, baseline, await make(baseline))
    const ours = await profileLoop(session, subject, await make(subject))
    for (const dispose of disposers) await dispose()
    const print = (title: string, map: Map<string, number>, limit: number) => {
      console.log(title)
      for (const [key, us] of [...map].slice(0, limit)) console.log(`  ${us.toFixed(2).padStart(8)} us  ${key}`)
    }
    console.log(`${provider} ${mode}, ${requests} requests, self time per request (sampling profiler, 50 us)`)
    console.log(
      `wall per request: ${baseline} ${raw.wallUsPerRequest.toFixed(0)} us, ${subject} ${ours.wallUsPerRequest.toFixed(0)} us`
    )
    const total = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0)
    console.log(
      `CPU sampled per request: ${baseline} ${total(raw.owners).toFixed(0)} us, ${subject} ${total(ours.owners).toFixed(0)} us`
    )
    const delta = new Map<string, number>()
    for (const key of new Set([...raw.owners.keys(), ...ours.owners.keys()]))
      delta.set(key, (ours.owners.get(key) ?? 0) - (raw.owners.get(key) ?? 0))
    print(`by owner, ${subject} minus ${baseline}:`, new Map([...delta].sort((a, b) => b[1] - a[1])), 20)
    const functionDelta = new Map<string, number>()
    for (const key of new Set([...raw.functions.keys(), ...ours.functions.keys()]))
      functionDelta.set(key, (ours.functions.get(key) ?? 0) - (raw.functions.get(key) ?? 0))
    print(`by function, ${subject} minus ${baseline}:`, new Map([...functionDelta].sort((a, b) => b[1] - a[1])), 40)
    print(
      `${subject}, our code only:`,
      new Map([...ours.functions].filter(([key]) => /^(core|cost|providers|llm-orchestrator)\//.test(key))),
      25
    )
    console.log(`profiles: ${raw.file} ${ours.file}`)
  } finally {
    session.disconnect()
    for (const collector of collectors) collector.stop()
    await stop()
    fs.rmSync(logDir, { recursive: true, force: true })
  }
}

await main()
