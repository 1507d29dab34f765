/**
 * Where a 64-concurrent request's CPU goes, thread by thread: the client's main thread, V8's GC
 * workers, libuv's thread pool (the log's fsync), and the simulator process, read from
 * `/proc/<pid>/task/<tid>/stat` around each arm (Linux only). A CPU profile (bench/profile.ts) samples
 * the main thread only, with its own overhead, one arm after the other; this reads every thread's
 * kernel accounting, arms shuffled every round. On this machine the raw SDK on our transport keeps the
 * main thread busy nearly all of its wall time, so main-thread CPU per request is what the
 * 64-concurrent throughput ratio follows.
 *
 * Arms: the raw SDK on `fetch`, the raw SDK on our transport, the orchestrator with cost tracking in
 * memory, and with the JSONL log.
 *
 * `npx pnpm@12.21.0 exec node bench/threads.ts [openai|anthropic] [rounds] [requests per round]`
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { type BenchProvider, orchestratorArm, rawArm } from "./arms.ts"
import { startSimulatorProcess } from "./simulator-server.ts"
import { fmt, runConcurrent, shuffled } from "./stats.ts"

const provider = (process.argv[2] ?? "openai") as BenchProvider
const rounds = Number(process.argv[3] ?? 4)
const perRound = Number(process.argv[4] ?? 6_000)
/** Microseconds per clock tick: `/proc` counts CPU time in ticks of 1/100 s (CLK_TCK) on Linux. */
const usPerTick = 10_000

/** CPU microseconds so far per thread of `pid`, by thread name ("main" for the process's own thread). */
const cpuByThread = (pid: number): Map<string, number> => {
  const byName = new Map<string, number>()
  for (const tid of fs.readdirSync(`/proc/${pid}/task`)) {
    try {
      const name = tid === String(pid) ? "main" : fs.readFileSync(`/proc/${pid}/task/${tid}/comm`, "utf8").trim()
      // Fields after the command name: utime and stime are the 12th and 13th.
      const fields = fs.readFileSync(`/proc/${pid}/task/${tid}/stat`, "utf8").split(") ")[1]!.split(" ")
      const group = name.replace(/[0-9]+$/, "")
      byName.set(group, (byName.get(group) ?? 0) + (Number(fields[11]) + Number(fields[12])) * usPerTick)
    } catch {
      // The thread ended between the listing and the read.
    }
  }
  return byName
}

const { urls, stop } = await startSimulatorProcess()
const simulatorPid = (urls as typeof urls & { pid: number }).pid
const logDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-orchestrator-threads-"))
try {
  const arms: Record<string, { plain: () => Promise<unknown>; dispose?: () => Promise<void> }> = {
    "raw SDK on fetch": rawArm(provider, urls),
    "raw SDK on our transport": rawArm(provider, urls, { transport: "ours" }),
    "orchestrator, cost in memory": await orchestratorArm(provider, urls, logDir, { cost: "memory" }),
    "orchestrator, JSONL log": await orchestratorArm(provider, urls, logDir)
  }
  const names = Object.keys(arms)
  for (const name of names) await runConcurrent(perRound / 2, 64, arms[name]!.plain)
  const cpu = new Map(names.map((name) => [name, new Map<string, number>()]))
  const wallUs = new Map(names.map((name) => [name, 0]))
  for (let round = 0; round < rounds; round++)
    for (const name of shuffled(names)) {
      const client = cpuByThread(process.pid)
      const simulator = cpuByThread(simulatorPid)
      const start = performance.now()
      await runConcurrent(perRound, 64, arms[name]!.plain)
      wallUs.set(name, wallUs.get(name)! + (performance.now() - start) * 1000)
      const into = cpu.get(name)!
      for (const [thread, us] of cpuByThread(process.pid))
        into.set(`client: ${thread}`, (into.get(`client: ${thread}`) ?? 0) + us - (client.get(thread) ?? 0))
      let simulatorUs = 0
      for (const [thread, us] of cpuByThread(simulatorPid)) simulatorUs += us - (simulator.get(thread) ?? 0)
      into.set("simulator process", (into.get("simulator process") ?? 0) + simulatorUs)
    }
  const requests = rounds * perRound
  console.log(`${provider}, 64 concurrent, ${rounds} rounds x ${perRound}, Node ${process.version}; us per request`)
  for (const name of names) {
    console.log(`${name}: wall ${fmt(wallUs.get(name)! / requests)}`)
    for (const [thread, us] of [...cpu.get(name)!].sort((a, b) => b[1] - a[1]))
      if (us / requests >= 0.5) console.log(`  ${fmt(us / requests).padStart(7)}  ${thread}`)
  }
  for (const arm of Object.values(arms)) await arm.dispose?.()
} finally {
  await stop()
  fs.rmSync(logDir, { recursive: true, force: true })
}
