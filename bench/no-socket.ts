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
 * `--stream`: the same for `pnpm bench`'s 200-delta stream (the simulator's whole answer replayed as one
 * body, as its burst arrives), each of our arms consumed as `pnpm bench` does (`Stream.runForEach` in
 * the arm's `ManagedRuntime`); an A/A arm (the orchestrator with the log, twice) shows the noise.
 *
 * `npx pnpm@12.21.0 exec node bench/no-socket.ts [openai|anthropic] [rounds] [perRound] [--stream]`
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { Effect } from "effect"
import { adapterArm, type BenchProvider, orchestratorArm, rawArm, type SimulatorUrls } from "./arms.ts"
import { startSimulatorProcess, streamChunks } from "./simulator-server.ts"
import { fmt, median, shuffledRounds } from "./stats.ts"

const streamed = process.argv.includes("--stream")
const args = process.argv.slice(2).filter((arg) => arg !== "--stream")
const provider = (args[0] ?? "openai") as BenchProvider
const rounds = Number(args[1] ?? 20)
const perRound = Number(args[2] ?? (streamed ? 50 : 1_000))

interface Recorded {
  readonly status: number
  readonly headers: Array<[string, string]>
  readonly body: string
}

/**
 * One answer of the simulator (plain, or the stream's whole body), as the raw SDK received it. SDK
 * clients take `globalThis.fetch` when they are made: every arm is made after the `fetch` it is to use
 * is in place.
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
    const raw = rawArm(provider, urls)
    await (streamed ? raw.stream() : raw.plain())
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
  // A replayed stream that lost deltas would time less work: each one is checked.
  const whole = (stream: () => Promise<{ readonly deltas: number }>) => async () => {
    const { deltas } = await stream()
    if (deltas !== streamChunks) throw new Error(`expected ${streamChunks} deltas, got ${deltas}`)
  }
  const arms: Record<string, () => Promise<unknown>> = streamed
    ? {
        "raw SDK": whole(raw.stream),
        "provider adapter alone": whole(adapter.stream),
        "orchestrator, cost off": whole(orchestrators.off.stream),
        "orchestrator, cost in memory": whole(orchestrators.memory.stream),
        "orchestrator, cost + JSONL log": whole(orchestrators.log.stream),
        "the same again (A/A)": whole(orchestrators.log.stream)
      }
    : {
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
    for (const name of names) for (let i = 0; i < perRound * 2; i++) await arms[name]!()
    const timeUs = async (task: () => Promise<unknown>, times: number) => {
      const start = performance.now()
      for (let i = 0; i < times; i++) await task()
      return ((performance.now() - start) * 1000) / times
    }
    // Per round and arm: plain calls, the mean of a block of `perRound`; streams, the median of
    // `perRound` streams run one per arm in a fresh shuffled order each time, as `pnpm bench` takes
    // medians (a stream that pays the log's batched write, about one in seven, does not move it).
    const perArm: Record<string, Array<number>> = Object.fromEntries(names.map((name) => [name, []]))
    for (let round = 0; round < rounds; round++) {
      const measured = streamed
        ? await shuffledRounds(names, perRound, (name) => timeUs(arms[name]!, 1))
        : await shuffledRounds(names, 1, (name) => timeUs(arms[name]!, perRound))
      for (const name of names) perArm[name]!.push(median(measured[name]!))
    }
    const rawUs = median(perArm["raw SDK"]!)
    const unit = streamed ? "us/stream" : "us/request"
    console.log(
      `${provider}, no sockets${streamed ? `, ${streamChunks}-delta streams` : ""}: ${rounds} rounds x ${perRound}, Node ${process.version}`
    )
    console.log(
      `${"arm".padEnd(36)} ${unit.padStart(10)} ${"vs raw".padStart(8)}${streamed ? ` ${"per delta".padStart(9)}` : ""}`
    )
    for (const name of names) {
      const us = median(perArm[name]!)
      const perDelta = streamed ? ` ${fmt((us - rawUs) / streamChunks, 2).padStart(9)}` : ""
      console.log(`${name.padEnd(36)} ${fmt(us).padStart(10)} ${fmt(us - rawUs).padStart(8)}${perDelta}`)
    }
  } finally {
    globalThis.fetch = realFetch
    for (const arm of Object.values(orchestrators)) await arm.dispose()
    await adapter.dispose()
    fs.rmSync(logDir, { recursive: true, force: true })
  }
}

await main()
