/**
 * Where the client's time goes: CPU-profiles (V8 sampling profiler, through node:inspector) a loop of
 * raw-SDK calls and the same loop through the orchestrator, then prints self time per request grouped
 * by owner (our packages by file:function, Effect, the vendor SDK, Node internals, GC) and the
 * difference between the two.
 *
 * `npx pnpm@12.21.0 exec node bench/profile.ts [openai|anthropic] [plain|stream|c64] [requests]` (c64: plain
 * requests, 64 in flight, where the 64-concurrent throughput ratio is lost)
 * Writes the raw .cpuprofile files to $TMPDIR for a look in Chrome DevTools.
 *
 * `--alloc` (anywhere in the arguments): bytes allocated per request instead of CPU, by the same owners
 * and functions, from V8's sampling heap profiler counting the objects garbage collection already
 * freed too (every 512 bytes); what a request makes the collector work for.
 */
import * as fs from "node:fs"
import { Session } from "node:inspector/promises"
import * as os from "node:os"
import * as nodePath from "node:path"
import { type Arm, adapterArm, type BenchProvider, orchestratorArm, rawArm } from "./arms.ts"
import { startCollector } from "./collector.ts"
import { startSimulatorProcess } from "./simulator-server.ts"
import { runConcurrent } from "./stats.ts"

const alloc = process.argv.includes("--alloc")
const args = process.argv.slice(2).filter((arg) => arg !== "--alloc")
const provider = (args[0] ?? "openai") as BenchProvider
const mode = (args[1] ?? "plain") as "plain" | "stream" | "c64"
const requests = Number(args[2] ?? (mode === "stream" ? 500 : mode === "c64" ? 20_000 : 5_000))
/**
 * `raw-ours`: the raw SDK on the transport our adapters give it (providers/src/kit/transport.ts), to
 * see our layer apart from the transport; `prometheus`: the orchestrator with telemetry on, metrics only; `otlp`: spans and metrics exported by
 * OTLP/HTTP to a collector stand-in (bench/collector.ts) every second.
 */
type ArmName = "raw" | "raw-ours" | "adapter" | "orchestrator" | "prometheus" | "otlp"
const baseline = (args[3] ?? "raw") as ArmName
const subject = (args[4] ?? "orchestrator") as ArmName
const unit = alloc ? "B" : "us"

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

interface HeapProfileNode {
  readonly callFrame: ProfileNode["callFrame"]
  readonly selfSize: number
  readonly children: ReadonlyArray<HeapProfileNode>
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

/** Sums `amount` (us of self time, or bytes) per request, by owner and by function. */
const tally = (count: number) => {
  const byOwner = new Map<string, number>()
  const byFunction = new Map<string, number>()
  const add = (callFrame: ProfileNode["callFrame"], amount: number) => {
    const { url, functionName, lineNumber } = callFrame
    const who = owner(url, functionName)
    if (who === "v8 (idle)" || who === "v8 (program)") return
    byOwner.set(who, (byOwner.get(who) ?? 0) + amount)
    const key = who.startsWith("ours")
      ? `${who.slice(5)}:${functionName || "(anonymous)"}:${lineNumber + 1}`
      : `${who} ${functionName || "(anonymous)"}:${lineNumber + 1}${who === "effect" || who === "node" ? ` ${url.split("/").pop()}` : ""}`
    byFunction.set(key, (byFunction.get(key) ?? 0) + amount)
  }
  const perRequest = (map: Map<string, number>) =>
    new Map([...map].map(([key, amount]) => [key, amount / count] as const).sort((a, b) => b[1] - a[1]))
  return { add, result: () => ({ owners: perRequest(byOwner), functions: perRequest(byFunction) }) }
}

/** Microseconds of self time per request, by owner and by function. */
const summarise = (profile: Profile, count: number) => {
  const byId = new Map(profile.nodes.map((node) => [node.id, node]))
  const { add, result } = tally(count)
  for (let i = 0; i < profile.samples.length; i++)
    add(byId.get(profile.samples[i]!)!.callFrame, profile.timeDeltas[i] ?? 0)
  return result()
}

/** Bytes allocated per request, by owner and by function (the allocating frame). */
const summariseHeap = (head: HeapProfileNode, count: number) => {
  const { add, result } = tally(count)
  const visit = (node: HeapProfileNode) => {
    if (node.selfSize > 0) add(node.callFrame, node.selfSize)
    for (const child of node.children) visit(child)
  }
  visit(head)
  return result()
}

const profileLoop = async (session: Session, label: string, arm: Arm) => {
  const task = mode === "stream" ? arm.stream : arm.plain
  const concurrency = mode === "c64" ? 64 : 1
  await runConcurrent(Math.min(requests, 1_000), concurrency, task) // warm-up (JIT)
  if (alloc) {
    await session.post("HeapProfiler.startSampling", {
      samplingInterval: 512,
      includeObjectsCollectedByMajorGC: true,
      includeObjectsCollectedByMinorGC: true
    })
  } else {
    await session.post("Profiler.setSamplingInterval", { interval: 50 })
    await session.post("Profiler.start")
  }
  const start = performance.now()
  await runConcurrent(requests, concurrency, task)
  const elapsedMs = performance.now() - start
  const wallUsPerRequest = (elapsedMs * 1000) / requests
  if (alloc) {
    const { profile } = (await session.post("HeapProfiler.stopSampling")) as unknown as {
      profile: { head: HeapProfileNode }
    }
    const file = nodePath.join(os.tmpdir(), `llm-bench-${provider}-${mode}-${label}.heapprofile`)
    fs.writeFileSync(file, JSON.stringify(profile))
    return { ...summariseHeap(profile.head, requests), wallUsPerRequest, file }
  }
  const { profile } = (await session.post("Profiler.stop")) as unknown as { profile: Profile }
  const file = nodePath.join(os.tmpdir(), `llm-bench-${provider}-${mode}-${label}.cpuprofile`)
  fs.writeFileSync(file, JSON.stringify(profile))
  return { ...summarise(profile, requests), wallUsPerRequest, file }
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
  await session.post(alloc ? "HeapProfiler.enable" : "Profiler.enable")
  try {
    const disposers: Array<() => Promise<void>> = []
    const make = async (name: ArmName): Promise<Arm> => {
      if (name === "raw") return rawArm(provider, urls)
      if (name === "raw-ours") return rawArm(provider, urls, { transport: "ours" })
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
      for (const [key, amount] of [...map].slice(0, limit))
        console.log(`  ${amount.toFixed(alloc ? 0 : 2).padStart(8)} ${unit}  ${key}`)
    }
    console.log(
      alloc
        ? `${provider} ${mode}, ${requests} requests, bytes allocated per request (sampling heap profiler, 512 B)`
        : `${provider} ${mode}, ${requests} requests, self time per request (sampling profiler, 50 us)`
    )
    console.log(
      `wall per request: ${baseline} ${raw.wallUsPerRequest.toFixed(0)} us, ${subject} ${ours.wallUsPerRequest.toFixed(0)} us`
    )
    const total = (map: Map<string, number>) => [...map.values()].reduce((a, b) => a + b, 0)
    console.log(
      `${alloc ? "allocated" : "CPU sampled"} per request: ${baseline} ${total(raw.owners).toFixed(0)} ${unit}, ${subject} ${total(ours.owners).toFixed(0)} ${unit}`
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
