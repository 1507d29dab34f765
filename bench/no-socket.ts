/**
 * Our overhead over the raw SDK without sockets: the real vendor SDK (raw, and under our adapter and
 * the orchestrator) over an in-memory `fetch` that replays one answer the simulator gave, one
 * event-loop turn later. What is left is CPU on the main thread, ours and the SDK's, which this 2-core
 * machine measures to a few microseconds where the socket benches (`pnpm bench`, bench/ablation.ts)
 * move by 20-40 us between runs. It cannot show what sockets add (GC and cache pressure between I/O
 * callbacks, the fsync thread): compare with bench/ablation.ts for that.
 *
 * Arms, shuffled every round, medians of per-round means: the raw SDK; the raw SDK in one
 * `Effect.tryPromise` (the floor of any Effect wrapper); the adapter alone; the orchestrator with cost
 * tracking off, in memory, with the JSONL log (each run with `Effect.runPromise`); and the last one
 * run through its `ManagedRuntime`, as `pnpm bench` runs it.
 *
 * `npx pnpm@12.21.0 exec node bench/no-socket.ts [openai|anthropic] [rounds] [perRound]`
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { Effect } from "effect"
import { adapterArm, type BenchProvider, orchestratorArm, rawArm, type SimulatorUrls } from "./arms.ts"
import { startSimulatorProcess } from "./simulator-server.ts"
import { fmt, median, shuffled } from "./stats.ts"

const provider = (process.argv[2] ?? "openai") as BenchProvider
const rounds = Number(process.argv[3] ?? 20)
const perRound = Number(process.argv[4] ?? 1_000)

interface Recorded {
  readonly status: number
  readonly headers: Array<[string, string]>
  readonly body: string
}

/**
 * One plain answer of the simulator, as the raw SDK received it. SDK clients take `globalThis.fetch`
 * when they are made: every arm is made after the `fetch` it is to use is in place.
 */
const recordAnswer = async (urls: SimulatorUrls): Promise<Recorded> => {
  const realFetch = globalThis.fetch
  let recorded: Recorded | undefined
  globalThis.fetch = async (input, init) => {
    const response = await realFetch(input, init)
    recorded = { status: response.status, headers: [...response.headers], body: await response.clone().text() }
    return response
  }
  try {
    await rawArm(provider, urls).plain()
  } finally {
    globalThis.fetch = realFetch
  }
  return recorded!
}

/** `fetch` answering `recorded` after one event-loop turn, as a socket read would; honours an aborted signal. */
const replaying =
  (recorded: Recorded): typeof fetch =>
  async (_input, init) => {
    await new Promise((resolve) => setImmediate(resolve))
    if (init?.signal?.aborted) throw new DOMException("This operation was aborted", "AbortError")
    return new Response(recorded.body, { status: recorded.status, headers: recorded.headers })
  }

const main = async () => {
  const { urls, stop } = await startSimulatorProcess()
  const logDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-orchestrator-no-socket-"))
  const recorded = await recordAnswer(urls)
  await stop()
  const realFetch = globalThis.fetch
  globalThis.fetch = replaying(recorded)
  const raw = rawArm(provider, urls)
  const adapter = await adapterArm(provider, urls)
  const orchestrators = {
    off: await orchestratorArm(provider, urls, logDir, { cost: "off" }),
    memory: await orchestratorArm(provider, urls, logDir, { cost: "memory" }),
    log: await orchestratorArm(provider, urls, logDir, { cost: "log" })
  }
  const arms: Record<string, () => Promise<unknown>> = {
    "raw SDK": raw.plain,
    "raw SDK in one Effect.tryPromise": () => Effect.runPromise(Effect.tryPromise(raw.plain)),
    "provider adapter alone": adapter.plainDirect,
    "orchestrator, cost off": orchestrators.off.plainDirect,
    "orchestrator, cost in memory": orchestrators.memory.plainDirect,
    "orchestrator, cost + JSONL log": orchestrators.log.plainDirect,
    "the same through ManagedRuntime": orchestrators.log.plain
  }
  try {
    const names = Object.keys(arms)
    const means: Record<string, Array<number>> = Object.fromEntries(names.map((name) => [name, []]))
    for (const name of names) for (let i = 0; i < perRound * 2; i++) await arms[name]!()
    for (let round = 0; round < rounds; round++) {
      const order = shuffled(names)
      for (const name of order) {
        const task = arms[name]!
        const start = performance.now()
        for (let i = 0; i < perRound; i++) await task()
        means[name]!.push(((performance.now() - start) * 1000) / perRound)
      }
    }
    const rawUs = median(means["raw SDK"]!)
    console.log(`${provider}, no sockets: ${rounds} rounds x ${perRound}, Node ${process.version}`)
    console.log(`${"arm".padEnd(36)} ${"us/request".padStart(10)} ${"vs raw".padStart(8)}`)
    for (const name of names) {
      const us = median(means[name]!)
      console.log(`${name.padEnd(36)} ${fmt(us).padStart(10)} ${fmt(us - rawUs).padStart(8)}`)
    }
  } finally {
    globalThis.fetch = realFetch
    for (const arm of Object.values(orchestrators)) await arm.dispose()
    await adapter.dispose()
    fs.rmSync(logDir, { recursive: true, force: true })
  }
}

await main()
