/**
 * Which layer of the stack costs what, by taking pieces away: the raw SDK, the raw SDK wrapped in one
 * Effect (the floor of any Effect-based wrapper), the provider adapter alone, and the orchestrator with
 * cost tracking off, in memory only, and with the JSONL log. Same simulator process, each round runs
 * the arms in a shuffled order, medians of per-round medians.
 *
 * `c64` mode runs plain requests 64 at a time and reports throughput and client CPU per request (what
 * bounds throughput on a 2-core machine shared with the simulator).
 *
 * `npx pnpm@12.21.0 exec node bench/ablation.ts [openai|anthropic] [plain|stream|c64] [rounds] [perRound]`
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { Effect } from "effect"
import {
  adapterArm,
  type BenchProvider,
  orchestratorArm,
  rawArm,
  type SimulatorUrls,
  type StreamTiming
} from "./arms.ts"
import { startSimulatorProcess } from "./simulator-server.ts"
import { median, runConcurrent, shuffled, timeSequential } from "./stats.ts"

const provider = (process.argv[2] ?? "openai") as BenchProvider
const mode = (process.argv[3] ?? "plain") as "plain" | "stream" | "c64"
const rounds = Number(process.argv[4] ?? 20)
const perRound = Number(process.argv[5] ?? (mode === "plain" ? 200 : mode === "c64" ? 1_280 : 20))

const main = async () => {
  const { urls, stop } = await startSimulatorProcess()
  const logDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-orchestrator-ablation-"))
  try {
    const raw = rawArm(provider, urls)
    const adapter = await adapterArm(provider, urls)
    // Its own log file: writers of one path are shared, and the first one's fsync policy would apply.
    fs.mkdirSync(nodePath.join(logDir, "no-fsync"))
    const orchestrators = {
      "orchestrator, cost off": await orchestratorArm(provider, urls, logDir, { cost: "off" }),
      "orchestrator, cost in memory": await orchestratorArm(provider, urls, logDir, { cost: "memory" }),
      "orchestrator, cost + JSONL log": await orchestratorArm(provider, urls, logDir, { cost: "log" }),
      "orchestrator, log with fsync: none": await orchestratorArm(provider, urls, nodePath.join(logDir, "no-fsync"), {
        cost: "log-fsync-none"
      })
    }
    try {
      await measure(urls, raw, adapter, orchestrators)
    } finally {
      for (const arm of Object.values(orchestrators)) await arm.dispose()
      await adapter.dispose()
    }
  } finally {
    await stop()
    fs.rmSync(logDir, { recursive: true, force: true })
  }
}

type Orchestrators = Record<string, Awaited<ReturnType<typeof orchestratorArm>>>

const measure = async (
  urls: SimulatorUrls,
  raw: ReturnType<typeof rawArm>,
  adapter: Awaited<ReturnType<typeof adapterArm>>,
  orchestrators: Orchestrators
) => {
  const rawWithSignal = rawArm(provider, urls, { withSignal: true })
  const plainArms: Record<string, () => Promise<unknown>> = {
    "raw SDK": raw.plain,
    "raw SDK with an AbortSignal": rawWithSignal.plain,
    "raw SDK in one Effect.tryPromise": () => Effect.runPromise(Effect.tryPromise(raw.plain)),
    "provider adapter alone": adapter.plain,
    ...Object.fromEntries(Object.entries(orchestrators).map(([name, arm]) => [name, arm.plain]))
  }
  const streamArms: Record<string, () => Promise<unknown>> = {
    "raw SDK": raw.stream,
    "raw SDK with an AbortSignal": rawWithSignal.stream,
    "provider adapter alone": adapter.stream,
    ...Object.fromEntries(Object.entries(orchestrators).map(([name, arm]) => [name, arm.stream]))
  }
  const arms = Object.entries(mode === "stream" ? streamArms : plainArms)
  if (mode === "c64") return await throughputAt64(arms)
  for (const [, task] of arms) for (let i = 0; i < perRound * 3; i++) await task() // warm-up
  const medians = new Map<string, Array<number>>(arms.map(([name]) => [name, []]))
  const cpus = new Map<string, Array<number>>(arms.map(([name]) => [name, []]))
  const ttfts = new Map<string, Array<number>>(arms.map(([name]) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    const order = shuffled(arms)
    for (let k = 0; k < arms.length; k++) {
      const [name, task] = order[k]!
      const firstText: Array<number> = []
      const timed = async () => {
        const result = await task()
        if (mode === "stream") firstText.push((result as StreamTiming).ttftMs)
      }
      const cpuBefore = process.cpuUsage()
      medians.get(name)!.push(median(await timeSequential(perRound, timed)))
      const cpu = process.cpuUsage(cpuBefore)
      cpus.get(name)!.push((cpu.user + cpu.system) / perRound)
      if (mode === "stream") ttfts.get(name)!.push(median(firstText))
    }
  }
  const rawMedians = medians.get("raw SDK")!
  console.log(`${provider} ${mode}: ${rounds} rounds x ${perRound}, Node ${process.version}`)
  const rawTtfts = ttfts.get("raw SDK")!
  const vsRaw = (values: ReadonlyArray<number>, base: ReadonlyArray<number>, scale = 1000) =>
    median(values.map((v, i) => (v - base[i]!) * scale))
  const rawCpus = cpus.get("raw SDK")!
  const columns = [
    "median us",
    "vs raw us",
    "CPU us",
    "vs raw us",
    ...(mode === "stream" ? ["TTFT us", "vs raw us"] : [])
  ]
  console.log(`${"arm".padEnd(36)} ${columns.map((c) => c.padStart(10)).join(" ")}`)
  for (const [name, values] of medians) {
    const cpu = cpus.get(name)!
    const cells = [
      (median(values) * 1000).toFixed(0),
      vsRaw(values, rawMedians).toFixed(1),
      median(cpu).toFixed(0),
      vsRaw(cpu, rawCpus, 1).toFixed(1)
    ]
    const firstText = ttfts.get(name)!
    if (mode === "stream") cells.push((median(firstText) * 1000).toFixed(0), vsRaw(firstText, rawTtfts).toFixed(1))
    console.log(`${name.padEnd(36)} ${cells.map((c) => c.padStart(10)).join(" ")}`)
  }
}

/** Requests per second and client CPU per request with 64 in flight, per arm, the arms shuffled every round. */
const throughputAt64 = async (arms: ReadonlyArray<[string, () => Promise<unknown>]>) => {
  for (const [, task] of arms) await runConcurrent(perRound, 64, task) // warm-up
  const rps = new Map<string, Array<number>>(arms.map(([name]) => [name, []]))
  const cpu = new Map<string, Array<number>>(arms.map(([name]) => [name, []]))
  for (let round = 0; round < rounds; round++) {
    const order = shuffled(arms)
    for (let k = 0; k < arms.length; k++) {
      const [name, task] = order[k]!
      const cpuBefore = process.cpuUsage()
      const start = performance.now()
      await runConcurrent(perRound, 64, task)
      const seconds = (performance.now() - start) / 1000
      const used = process.cpuUsage(cpuBefore)
      rps.get(name)!.push(perRound / seconds)
      cpu.get(name)!.push((used.user + used.system) / perRound)
    }
  }
  const rawRps = median(rps.get("raw SDK")!)
  const rawCpu = median(cpu.get("raw SDK")!)
  console.log(`${provider} 64 concurrent: ${rounds} rounds x ${perRound}, Node ${process.version}`)
  console.log(
    `${"arm".padEnd(36)} ${["req/s", "ratio", "CPU us/req", "vs raw us"].map((c) => c.padStart(10)).join(" ")}`
  )
  for (const [name] of arms) {
    const r = median(rps.get(name)!)
    const c = median(cpu.get(name)!)
    const cells = [r.toFixed(0), (r / rawRps).toFixed(3), c.toFixed(0), (c - rawCpu).toFixed(1)]
    console.log(`${name.padEnd(36)} ${cells.map((x) => x.padStart(10)).join(" ")}`)
  }
}

await main()
