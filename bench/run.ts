/**
 * `pnpm bench` (`pnpm bench -- --quick` for a run of about 150 s): the orchestrator's overhead over the raw vendor
 * SDKs (docs/ARCHITECTURE.md, "Benchmarks"). The simulators run in a child process (bench/simulator-server.ts) so this
 * process, the client, is measured alone. Every scenario warms up, then alternates raw SDK and
 * orchestrator (call by call for sequential calls and streams, round by round for the concurrent,
 * spread-out stream and failover runs; each arm goes first half the time) and quotes medians of
 * per-round values.
 *
 * Prints a table, then as the last stdout line one JSON object (progress goes to stderr).
 */
import { spawnSync } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import {
  type Arm,
  type BenchProvider,
  checkArms,
  type OrchestratorArm,
  orchestratorArm,
  rawArm,
  type StreamTiming
} from "./arms.ts"
import { effectAiArm, vercelArm } from "./peers.ts"
import {
  benchModels,
  type SimulatorUrls,
  slowChunkMs,
  slowFirstByteMs,
  spreadChunkMs,
  startSimulatorProcess,
  streamChunks
} from "./simulator-server.ts"
import { fmt, median, quantile, runConcurrent, settleAndCollect, timeSequential } from "./stats.ts"

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const here = import.meta.dirname

// The heap scenario needs a real gc(); re-run this script with --expose-gc when started without it.
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) {
  const child = spawnSync(process.execPath, ["--expose-gc", ...process.execArgv, import.meta.filename, ...args], {
    stdio: "inherit"
  })
  process.exit(child.status ?? 1)
}
const collect = gc!

const plan = quick
  ? {
      warmup: 200,
      sequential: { rounds: 8, perRound: 80 },
      // Rounds of 640 (~0.15 s each) put anthropic's ratio anywhere in 0.88-1.08 across quick runs
      // (a GC pause or a JIT step weighs on a short round); 6 x 1,500 gave 0.98-1.09 in four runs.
      concurrent: { rounds: 6, perRound: 1_500, concurrency: 64 },
      // 8 rounds of 25 put one provider's per-chunk figure anywhere in 0.53-1.30 us over nine quick runs
      // of one code (the full run: 15 x 30); 12 x 30 costs about 20 s more, most of it effect/ai's streams.
      stream: { warmup: 100, rounds: 12, perRound: 30 },
      spread: { rounds: 4, atOnce: 16 },
      failover: { rounds: 4, perRound: 15 },
      heap: { total: 10_000, baselineAt: 2_000, every: 1_000 }
    }
  : {
      warmup: 2_000,
      sequential: { rounds: 30, perRound: 200 },
      concurrent: { rounds: 10, perRound: 3_000, concurrency: 64 },
      stream: { warmup: 100, rounds: 15, perRound: 30 },
      spread: { rounds: 10, atOnce: 16 },
      failover: { rounds: 10, perRound: 50 },
      heap: { total: 100_000, baselineAt: 10_000, every: 10_000 }
    }

type Details = Record<string, Record<string, unknown>>

const log = (line: string) => process.stderr.write(`${line}\n`)
const us = (ms: number) => ms * 1000

// ---- Price lookup (bench/price-lookup.ts, in its own process before anything else runs) -------------

const priceLookup = () => {
  const result = spawnSync(process.execPath, [nodePath.join(here, "price-lookup.ts")], { encoding: "utf8" })
  const text = result.stdout ?? ""
  const number = (pattern: RegExp) => {
    const match = pattern.exec(text)
    if (!match) return Number.NaN
    return match[2] === "us" ? Number(match[1]) * 1000 : Number(match[1])
  }
  return {
    coldNs: number(/cold lookup[^:]*: ([\d.]+) (us|ns)/),
    memoNs: number(/memoised costOf[^:]*: ([\d.]+) (ns)\/op/),
    ok: result.status === 0
  }
}

// ---- Scenarios ---------------------------------------------------------------------------------------

/** Runs `measure` for raw and orchestrator in alternating order each round. */
const interleaved = async <T>(
  rounds: number,
  measure: (side: "raw" | "orch") => Promise<T>
): Promise<{ raw: Array<T>; orch: Array<T> }> => {
  const raw: Array<T> = []
  const orch: Array<T> = []
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      raw.push(await measure("raw"))
      orch.push(await measure("orch"))
    } else {
      orch.push(await measure("orch"))
      raw.push(await measure("raw"))
    }
  }
  return { raw, orch }
}

/**
 * Sequential calls alternate request by request (raw, orch, orch, raw, ...: each arm goes first half
 * the time), so a slow patch of the machine lands on both arms alike; each round compares the medians
 * of its own requests.
 */
const alternating = async <T>(
  perRound: number,
  raw: () => Promise<T>,
  orch: () => Promise<T>
): Promise<{ raw: Array<T & { ms: number }>; orch: Array<T & { ms: number }> }> => {
  const samples = { raw: [] as Array<T & { ms: number }>, orch: [] as Array<T & { ms: number }> }
  const timed = async (side: "raw" | "orch") => {
    const start = performance.now()
    const value = await (side === "raw" ? raw() : orch())
    samples[side].push({ ...value, ms: performance.now() - start })
  }
  for (let i = 0; i < perRound; i++) {
    const rawFirst = i % 2 === 0
    await timed(rawFirst ? "raw" : "orch")
    await timed(rawFirst ? "orch" : "raw")
  }
  return samples
}

const sequential = async (raw: Arm, orch: Pick<Arm, "plain">) => {
  const { rounds, perRound } = plan.sequential
  const rawMedians: Array<number> = []
  const orchMedians: Array<number> = []
  for (let round = 0; round < rounds; round++) {
    const samples = await alternating(
      perRound,
      () => raw.plain().then(() => ({})),
      () => orch.plain().then(() => ({}))
    )
    rawMedians.push(median(samples.raw.map((s) => s.ms)))
    orchMedians.push(median(samples.orch.map((s) => s.ms)))
  }
  const overheads = rawMedians.map((rawMedian, i) => us(orchMedians[i]! - rawMedian))
  return {
    raw_median_us: us(median(rawMedians)),
    orch_median_us: us(median(orchMedians)),
    overhead_us_p50: median(overheads),
    overhead_us_p90: quantile(overheads, 0.9)
  }
}

const concurrent = async (raw: Arm, orch: Pick<Arm, "plain">) => {
  const { rounds, perRound, concurrency } = plan.concurrent
  const result = await interleaved(rounds, async (side) => {
    const task = side === "raw" ? raw.plain : orch.plain
    const cpuBefore = process.cpuUsage()
    const start = performance.now()
    await runConcurrent(perRound, concurrency, task)
    const elapsedMs = performance.now() - start
    const cpu = process.cpuUsage(cpuBefore)
    return { rps: perRound / (elapsedMs / 1000), cpuUsPerRequest: (cpu.user + cpu.system) / perRound }
  })
  const ratios = result.raw.map((r, i) => result.orch[i]!.rps / r.rps)
  return {
    raw_rps: median(result.raw.map((r) => r.rps)),
    orch_rps: median(result.orch.map((r) => r.rps)),
    throughput_ratio: median(ratios),
    raw_cpu_us_per_request: median(result.raw.map((r) => r.cpuUsPerRequest)),
    orch_cpu_us_per_request: median(result.orch.map((r) => r.cpuUsPerRequest))
  }
}

/**
 * Streams of `streamChunks` deltas, raw and orchestrator alternating: time to the first delta and the
 * total, per round; the per-chunk overhead is the orchestrator's total minus the raw one over the deltas.
 * `kind` picks the text stream or the tool-call stream (one call, its arguments in as many deltas; it
 * also reports the time to the call's start, its id and name, which comes before the first delta).
 */
const streaming = async <Kind extends "stream" | "toolStream">(raw: Arm, orch: Pick<Arm, Kind>, kind: Kind) => {
  const { rounds, perRound } = plan.stream
  const result = { raw: [] as Array<StreamTiming>, orch: [] as Array<StreamTiming> }
  for (let round = 0; round < rounds; round++) {
    const samples = await alternating(perRound, raw[kind], orch[kind])
    for (const side of ["raw", "orch"] as const)
      result[side].push({
        ttftMs: median(samples[side].map((t) => t.ttftMs)),
        totalMs: median(samples[side].map((t) => t.totalMs)),
        deltas: streamChunks,
        ...(kind === "toolStream" ? { callStartMs: median(samples[side].map((t) => t.callStartMs!)) } : {})
      })
  }
  const callStart =
    kind === "toolStream"
      ? {
          raw_call_start_us: us(median(result.raw.map((r) => r.callStartMs!))),
          orch_call_start_us: us(median(result.orch.map((r) => r.callStartMs!))),
          call_start_overhead_us: median(result.raw.map((r, i) => us(result.orch[i]!.callStartMs! - r.callStartMs!)))
        }
      : {}
  const ttftOverheads = result.raw.map((r, i) => us(result.orch[i]!.ttftMs - r.ttftMs))
  const chunkOverheads = result.raw.map((r, i) => us(result.orch[i]!.totalMs - r.totalMs) / streamChunks)
  return {
    chunks: streamChunks,
    raw_ttft_us: us(median(result.raw.map((r) => r.ttftMs))),
    orch_ttft_us: us(median(result.orch.map((r) => r.ttftMs))),
    ttft_overhead_us: median(ttftOverheads),
    ...callStart,
    raw_total_us: us(median(result.raw.map((r) => r.totalMs))),
    orch_total_us: us(median(result.orch.map((r) => r.totalMs))),
    chunk_overhead_us: median(chunkOverheads)
  }
}

/**
 * Streams whose deltas come `spreadChunkMs` apart (the `spread` model), `atOnce` streams at a time: each
 * delta is its own network read, as when a model streams tokens while it makes them, so whatever a
 * stream costs per read is paid on every delta (`streaming`'s bursts pay much of it once per burst).
 * The time is the model's here; the measure is the client's CPU time (`process.cpuUsage`, every thread)
 * per delta, raw and orchestrator in alternate rounds.
 */
const spreadStreams = async (raw: Pick<Arm, "stream">, orch: Pick<Arm, "stream">) => {
  const { rounds, atOnce } = plan.spread
  const cpuPerDelta = async (arm: Pick<Arm, "stream">) => {
    const before = process.cpuUsage()
    const streams = await Promise.all(Array.from({ length: atOnce }, () => arm.stream()))
    const cpu = process.cpuUsage(before)
    if (streams.some((s) => s.deltas !== streamChunks))
      throw new Error(`spread-out streams: expected ${streamChunks} deltas each`)
    return (cpu.user + cpu.system) / (atOnce * streamChunks)
  }
  await interleaved(1, (side) => cpuPerDelta(side === "raw" ? raw : orch))
  const result = await interleaved(rounds, (side) => cpuPerDelta(side === "raw" ? raw : orch))
  return {
    streams_at_once: atOnce,
    chunk_gap_ms: spreadChunkMs,
    raw_cpu_us_per_chunk: median(result.raw),
    orch_cpu_us_per_chunk: median(result.orch),
    cpu_overhead_us_per_chunk: median(result.raw.map((r, i) => result.orch[i]! - r))
  }
}

const failover = async (raw: Arm, orch: OrchestratorArm, failing: OrchestratorArm) => {
  const { rounds, perRound } = plan.failover
  const rawMedians: Array<number> = []
  const directMedians: Array<number> = []
  const failoverMedians: Array<number> = []
  const arms = [
    { task: raw.plain, into: rawMedians },
    { task: orch.plain, into: directMedians },
    { task: failing.failover, into: failoverMedians }
  ]
  for (let round = 0; round < rounds; round++) {
    // Rotate the order of the three arms every round.
    for (let k = 0; k < arms.length; k++) {
      const arm = arms[(round + k) % arms.length]!
      arm.into.push(median(await timeSequential(perRound, arm.task)))
    }
  }
  return {
    raw_direct_ms: median(rawMedians),
    orch_direct_ms: median(directMedians),
    orch_failover_ms: median(failoverMedians),
    failover_extra_ms: median(failoverMedians.map((f, i) => f - rawMedians[i]!)),
    failover_extra_vs_orch_direct_ms: median(failoverMedians.map((f, i) => f - directMedians[i]!))
  }
}

/** Heap after N non-streamed requests (64 in flight), sampled after a forced gc at every checkpoint. */
const heap = async (orch: OrchestratorArm) => {
  const { total, baselineAt, every } = plan.heap
  const samples: Array<{ requests: number; heapMb: number }> = []
  let done = 0
  while (done < total) {
    await runConcurrent(every, 64, orch.plain)
    done += every
    await settleAndCollect(collect)
    samples.push({ requests: done, heapMb: process.memoryUsage().heapUsed / 2 ** 20 })
    log(`  heap after ${done.toLocaleString("en")} requests: ${fmt(samples.at(-1)!.heapMb, 2)} MB`)
  }
  const baseline = samples.find((s) => s.requests === baselineAt)!
  const last = samples.at(-1)!
  const growthMb = last.heapMb - baseline.heapMb
  // Least-squares slope over the samples from the baseline on: less sensitive to where one GC landed.
  const steady = samples.filter((s) => s.requests >= baselineAt)
  const meanX = steady.reduce((sum, s) => sum + s.requests, 0) / steady.length
  const meanY = steady.reduce((sum, s) => sum + s.heapMb, 0) / steady.length
  const slopeMbPerRequest =
    steady.reduce((sum, s) => sum + (s.requests - meanX) * (s.heapMb - meanY), 0) /
    steady.reduce((sum, s) => sum + (s.requests - meanX) ** 2, 0)
  return {
    requests: total,
    baseline_at: baselineAt,
    growth_mb: growthMb,
    slope_kb_per_1k_requests: slopeMbPerRequest * 1024 * 1000,
    // Quick runs stop at 10k: the fitted slope, scaled to the 90k requests between 10k and 100k.
    growth_mb_scaled_to_100k: slopeMbPerRequest * 90_000,
    samples_mb: samples.map((s) => Number(s.heapMb.toFixed(2)))
  }
}

/**
 * The peers (bench/peers.ts) on the OpenAI simulator, each measured against the same raw SDK exactly as
 * the orchestrator is: sequential overhead, the 64-concurrent ratio, TTFT and per-chunk overhead.
 */
const peerArms = {
  vercel: { label: "Vercel AI SDK", make: vercelArm },
  effect_ai: { label: "effect/ai", make: effectAiArm }
}
type PeerName = keyof typeof peerArms

const peers = async (raw: Arm, rawSpread: Arm, urls: SimulatorUrls) => {
  const results = {} as Record<PeerName, Details>
  for (const name of Object.keys(peerArms) as Array<PeerName>) {
    const peer = peerArms[name].make(urls)
    const peerSpread = peerArms[name].make(urls, benchModels.openai.spread)
    try {
      const check = await peer.stream()
      if (check.deltas !== streamChunks)
        throw new Error(`peer ${name}: expected ${streamChunks} deltas, got ${check.deltas}`)
      log(`openai: peer ${name}: warm-up, sequential, 64 concurrent, streams, spread-out streams`)
      await runConcurrent(plan.warmup, 8, peer.plain)
      for (let i = 0; i < plan.stream.warmup; i++) await Promise.all([raw.stream(), peer.stream()])
      results[name] = {
        sequential: await sequential(raw, peer),
        concurrent_64: await concurrent(raw, peer),
        stream: await streaming(raw, peer, "stream"),
        spread_stream: await spreadStreams(rawSpread, peerSpread)
      }
    } finally {
      await peer.dispose()
      await peerSpread.dispose()
    }
  }
  return results
}

/**
 * Heap held per request in flight and per open stream, raw SDK and ours, `count` at once: the slow
 * model answers after `slowFirstByteMs`, its deltas `slowChunkMs` apart. Plain requests are read while
 * every one waits for its answer, streams while every one is mid-stream; the heap is read after a gc,
 * minus the idle heap read (also after a gc) just before they start. No request may end before the read.
 */
const inFlightHeap = async (arms: { raw: Arm; orch: Arm }, count: number) => {
  const held = async (arm: Arm, kind: "plain" | "stream") => {
    await settleAndCollect(collect)
    const idle = process.memoryUsage().heapUsed
    let ended = 0
    const calls = Array.from({ length: count }, () =>
      (kind === "plain" ? arm.plain() : arm.stream()).then(() => ended++)
    )
    // Plain: all sent, none answered. Streams: answers began at slowFirstByteMs, 50 deltas ago.
    await new Promise((resolve) =>
      setTimeout(resolve, kind === "plain" ? slowFirstByteMs * 0.66 : slowFirstByteMs + 50 * slowChunkMs)
    )
    collect()
    collect()
    const heldBytes = process.memoryUsage().heapUsed - idle
    if (ended > 0)
      throw new Error(`in-flight heap: ${ended} of ${count} ${kind} requests ended before the heap was read`)
    await Promise.all(calls)
    return heldBytes / count / 1024
  }
  const out: Record<string, number> = {}
  for (const side of ["raw", "orch"] as const) {
    out[`${side}_kb_per_request`] = await held(arms[side], "plain")
    out[`${side}_kb_per_stream`] = await held(arms[side], "stream")
  }
  return out
}

// ---- Main --------------------------------------------------------------------------------------------

const main = async () => {
  const started = performance.now()
  log(`llm-orchestrator bench (${quick ? "quick" : "full"}), Node ${process.version}, ${os.cpus().length} cores`)
  const price = priceLookup()
  log(`price lookup: cold ${fmt(price.coldNs / 1000, 2)} us, memoised ${fmt(price.memoNs, 1)} ns`)

  const { urls, stop } = await startSimulatorProcess()
  const logDir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-orchestrator-bench-"))
  const providers: Array<BenchProvider> = ["openai", "anthropic"]
  const details: Details = {}
  let heapResult: Awaited<ReturnType<typeof heap>> | undefined
  let peerResults: Awaited<ReturnType<typeof peers>> | undefined
  let inFlight: Record<"c64" | "c1000", Record<string, number>> | undefined
  try {
    for (const provider of providers) {
      const raw = rawArm(provider, urls)
      const orch = await orchestratorArm(provider, urls, logDir)
      const failing = await orchestratorArm(provider, urls, logDir, { failover: true })
      const spreadModel = { model: benchModels[provider].spread }
      const orchSpread = await orchestratorArm(provider, urls, logDir, spreadModel)
      try {
        await checkArms(provider, raw, orch, failing)
        log(`${provider}: warm-up`)
        await runConcurrent(plan.warmup, 8, raw.plain)
        await runConcurrent(plan.warmup, 8, orch.plain)
        await runConcurrent(plan.warmup / 4, 8, failing.failover)
        for (let i = 0; i < plan.stream.warmup; i++) await Promise.all([raw.stream(), orch.stream()])
        for (let i = 0; i < plan.stream.warmup; i++) await Promise.all([raw.toolStream(), orch.toolStream()])
        log(`${provider}: sequential`)
        const seq = await sequential(raw, orch)
        log(`${provider}: 64 concurrent`)
        const c64 = await concurrent(raw, orch)
        log(`${provider}: streams of ${streamChunks} chunks`)
        const stream = await streaming(raw, orch, "stream")
        log(`${provider}: tool-call streams of ${streamChunks} argument deltas`)
        const toolStream = await streaming(raw, orch, "toolStream")
        log(`${provider}: spread-out streams (deltas ${spreadChunkMs} ms apart, ${plan.spread.atOnce} at once)`)
        const rawSpread = rawArm(provider, urls, spreadModel)
        const spread = await spreadStreams(rawSpread, orchSpread)
        log(`${provider}: failover`)
        const fail = await failover(raw, orch, failing)
        // Our layer alone: the orchestrator against the raw SDK given the same transport as our adapters.
        log(`${provider}: our layer alone (the raw SDK on our transport): sequential, 64 concurrent, streams`)
        const rawOnOurs = rawArm(provider, urls, { transport: "ours" })
        await runConcurrent(plan.warmup, 8, rawOnOurs.plain)
        for (let i = 0; i < plan.stream.warmup; i++) await rawOnOurs.stream()
        const layer = {
          sequential: await sequential(rawOnOurs, orch),
          concurrent_64: await concurrent(rawOnOurs, orch),
          stream: await streaming(rawOnOurs, orch, "stream"),
          spread_stream: await spreadStreams(rawArm(provider, urls, { ...spreadModel, transport: "ours" }), orchSpread)
        }
        details[provider] = {
          sequential: seq,
          concurrent_64: c64,
          stream,
          layer_sequential: layer.sequential,
          layer_concurrent_64: layer.concurrent_64,
          layer_stream: layer.stream,
          spread_stream: spread,
          layer_spread_stream: layer.spread_stream,
          // chunk_overhead_us here is per arguments delta; the requirement: no more than the text stream's per chunk.
          tool_stream: {
            ...toolStream,
            chunk_overhead_minus_text_us: toolStream.chunk_overhead_us - stream.chunk_overhead_us
          },
          failover: fail
        }
        if (provider === "openai") {
          log(`${provider}: heap over ${plan.heap.total.toLocaleString("en")} requests`)
          heapResult = await heap(orch)
          log(`${provider}: heap per request in flight and per open stream, 64 and 1,000 at once`)
          const slow = {
            raw: rawArm(provider, urls, { model: benchModels.openai.slow }),
            orch: await orchestratorArm(provider, urls, logDir, { model: benchModels.openai.slow })
          }
          try {
            inFlight = { c64: await inFlightHeap(slow, 64), c1000: await inFlightHeap(slow, 1_000) }
          } finally {
            await slow.orch.dispose()
          }
          peerResults = await peers(raw, rawSpread, urls)
        }
      } finally {
        await orch.dispose()
        await failing.dispose()
        await orchSpread.dispose()
      }
    }
  } finally {
    await stop()
    fs.rmSync(logDir, { recursive: true, force: true })
  }

  // Headline numbers: the worse of the two providers.
  const pick = (section: string, key: string) =>
    providers.map((p) => (details[p]![section] as Record<string, number>)[key] ?? Number.NaN)
  const worstHigh = (section: string, key: string) => Math.max(...pick(section, key))
  const worstLow = (section: string, key: string) => Math.min(...pick(section, key))
  const heapGrowth = quick ? heapResult!.growth_mb_scaled_to_100k : heapResult!.growth_mb
  const summary = {
    overhead_us_p50: worstHigh("sequential", "overhead_us_p50"),
    overhead_us_p90: worstHigh("sequential", "overhead_us_p90"),
    throughput_ratio_c64: worstLow("concurrent_64", "throughput_ratio"),
    stream_chunk_overhead_us: worstHigh("stream", "chunk_overhead_us"),
    ttft_overhead_us: worstHigh("stream", "ttft_overhead_us"),
    tool_stream_delta_overhead_us: worstHigh("tool_stream", "chunk_overhead_us"),
    tool_stream_first_delta_overhead_us: worstHigh("tool_stream", "ttft_overhead_us"),
    failover_extra_ms: worstHigh("failover", "failover_extra_ms"),
    layer_overhead_us_p50: worstHigh("layer_sequential", "overhead_us_p50"),
    layer_throughput_ratio_c64: worstLow("layer_concurrent_64", "throughput_ratio"),
    layer_ttft_overhead_us: worstHigh("layer_stream", "ttft_overhead_us"),
    layer_stream_chunk_overhead_us: worstHigh("layer_stream", "chunk_overhead_us"),
    spread_stream_cpu_overhead_us_per_chunk: worstHigh("spread_stream", "cpu_overhead_us_per_chunk"),
    layer_spread_stream_cpu_overhead_us_per_chunk: worstHigh("layer_spread_stream", "cpu_overhead_us_per_chunk"),
    heap_growth_mb_100k: heapGrowth,
    heap_kb_per_request_c64: inFlight!.c64.orch_kb_per_request!,
    heap_kb_per_request_c1000: inFlight!.c1000.orch_kb_per_request!,
    heap_kb_per_stream_c64: inFlight!.c64.orch_kb_per_stream!,
    heap_kb_per_stream_c1000: inFlight!.c1000.orch_kb_per_stream!,
    ...peerSummary(peerResults!),
    price_lookup_us: price.coldNs / 1000,
    price_lookup_memo_ns: price.memoNs,
    node: process.version,
    cores: os.cpus().length,
    mode: quick ? "quick" : "full",
    headline: "worst of openai and anthropic",
    heap: { ...heapResult!, scaled: quick, provider: "openai" },
    heap_in_flight: inFlight,
    providers: details,
    peers: peerResults,
    seconds: Number(((performance.now() - started) / 1000).toFixed(1))
  }
  printTable(summary, details)
  printPeerTable(details.openai!, peerResults!)
  console.log(JSON.stringify(summary, (_, value) => (typeof value === "number" ? Number(value.toFixed(3)) : value)))
}

/** One markdown table row: the first cell left-aligned, the others right-aligned, padded to `widths`. */
const tableRow = (cells: ReadonlyArray<string>, widths: ReadonlyArray<number>) =>
  `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`

const printTable = (summary: Record<string, unknown> & { heap: Record<string, unknown> }, details: Details) => {
  const widths = [53, 12, 12, 17]
  const lines: Array<string> = []
  lines.push(
    `llm-orchestrator vs raw vendor SDKs: Node ${summary.node}, ${summary.cores} cores, ${summary.mode} run, simulators in a separate process`
  )
  lines.push("")
  lines.push(tableRow(["measure (median of per-round medians)", "openai", "anthropic", "target"], widths))
  lines.push(
    tableRow(
      widths.map((w) => "-".repeat(w)),
      widths
    )
  )
  const get = (p: string, section: string, key: string) =>
    (details[p]![section] as Record<string, number>)[key] ?? Number.NaN
  const add = (label: string, section: string, key: string, digits: number, target: string) =>
    lines.push(
      tableRow(
        [label, fmt(get("openai", section, key), digits), fmt(get("anthropic", section, key), digits), target],
        widths
      )
    )
  add("raw SDK request, sequential (us)", "sequential", "raw_median_us", 0, "")
  add("orchestrator request, sequential (us)", "sequential", "orch_median_us", 0, "")
  add("overhead per request p50 (us)", "sequential", "overhead_us_p50", 1, "<= 20")
  add("overhead per request p90 of rounds (us)", "sequential", "overhead_us_p90", 1, "")
  add("raw SDK at 64 concurrent (req/s)", "concurrent_64", "raw_rps", 0, "")
  add("orchestrator at 64 concurrent (req/s)", "concurrent_64", "orch_rps", 0, "")
  add("throughput ratio orchestrator/raw", "concurrent_64", "throughput_ratio", 3, ">= 0.95")
  add("client CPU per request, raw (us)", "concurrent_64", "raw_cpu_us_per_request", 0, "")
  add("client CPU per request, orchestrator (us)", "concurrent_64", "orch_cpu_us_per_request", 0, "")
  add(`raw TTFT, ${streamChunks}-chunk stream (us)`, "stream", "raw_ttft_us", 0, "")
  add("TTFT overhead (us)", "stream", "ttft_overhead_us", 1, "<= 100")
  add(`raw stream total (us)`, "stream", "raw_total_us", 0, "")
  add(`orchestrator stream total (us)`, "stream", "orch_total_us", 0, "")
  add("per-chunk overhead (us)", "stream", "chunk_overhead_us", 2, "<= 1")
  add("tool-call stream: raw time to call start (us)", "tool_stream", "raw_call_start_us", 0, "")
  add("tool-call stream: time to call start overhead (us)", "tool_stream", "call_start_overhead_us", 1, "")
  add("tool-call stream: raw time to first delta (us)", "tool_stream", "raw_ttft_us", 0, "")
  add("tool-call stream: time to first delta overhead (us)", "tool_stream", "ttft_overhead_us", 1, "")
  add("tool-call stream: raw total (us)", "tool_stream", "raw_total_us", 0, "")
  add("tool-call stream: orchestrator total (us)", "tool_stream", "orch_total_us", 0, "")
  add("tool-call stream: per-delta overhead (us)", "tool_stream", "chunk_overhead_us", 2, "<= text per-chunk")
  add("tool-call stream: per-delta minus text per-chunk (us)", "tool_stream", "chunk_overhead_minus_text_us", 2, "<= 0")
  add("spread-out streams: raw CPU per chunk (us)", "spread_stream", "raw_cpu_us_per_chunk", 2, "")
  add("spread-out streams: orchestrator CPU per chunk (us)", "spread_stream", "orch_cpu_us_per_chunk", 2, "")
  add("spread-out streams: CPU per chunk over raw (us)", "spread_stream", "cpu_overhead_us_per_chunk", 2, "")
  add("raw direct call to the 2nd model (ms)", "failover", "raw_direct_ms", 3, "")
  add("orchestrator failover 503 -> 2nd (ms)", "failover", "orch_failover_ms", 3, "")
  add("failover extra vs raw direct (ms)", "failover", "failover_extra_ms", 3, "")
  add("failover extra vs orchestrator direct (ms)", "failover", "failover_extra_vs_orch_direct_ms", 3, "")
  add("layer alone (raw SDK on our transport), p50 (us)", "layer_sequential", "overhead_us_p50", 1, "")
  add("layer alone: throughput ratio at 64 concurrent", "layer_concurrent_64", "throughput_ratio", 3, "")
  add("layer alone: TTFT overhead (us)", "layer_stream", "ttft_overhead_us", 1, "")
  add("layer alone: per-chunk overhead (us)", "layer_stream", "chunk_overhead_us", 2, "")
  add("layer alone: spread-out streams, CPU per chunk (us)", "layer_spread_stream", "cpu_overhead_us_per_chunk", 2, "")
  const heapInfo = summary.heap
  lines.push("")
  lines.push(
    `spread-out streams: ${fmt(plan.spread.atOnce, 0)} at once, deltas ${spreadChunkMs} ms apart; CPU of every thread of this process`
  )
  lines.push(
    `heap (openai, non-streamed, 64 in flight): ${fmt(heapInfo.growth_mb as number, 2)} MB growth from ${Number(heapInfo.baseline_at).toLocaleString("en")} to ${Number(heapInfo.requests).toLocaleString("en")} requests` +
      ` (fitted slope ${fmt(heapInfo.slope_kb_per_1k_requests as number, 1)} KB per 1k requests)` +
      (heapInfo.scaled
        ? ` (quick run; slope scaled to 10k -> 100k: ${fmt(heapInfo.growth_mb_scaled_to_100k as number, 2)} MB)`
        : "") +
      `; samples MB: ${(heapInfo.samples_mb as Array<number>).join(", ")}`
  )
  const inFlight = summary.heap_in_flight as Record<"c64" | "c1000", Record<string, number>>
  for (const [label, at] of [
    ["64", inFlight.c64],
    ["1,000", inFlight.c1000]
  ] as const)
    lines.push(
      `heap (openai) with ${label} at once, raw -> orchestrator: per request in flight ${fmt(at.raw_kb_per_request!, 1)} -> ${fmt(at.orch_kb_per_request!, 1)} KB, per open stream ${fmt(at.raw_kb_per_stream!, 1)} -> ${fmt(at.orch_kb_per_stream!, 1)} KB`
    )
  lines.push(
    `price lookup: cold (catalogue search) ${fmt(summary.price_lookup_us as number, 2)} us, memoised costOf ${fmt(summary.price_lookup_memo_ns as number, 1)} ns`
  )
  lines.push(`headline JSON: worst of the two providers; took ${summary.seconds} s`)
  console.log(lines.join("\n"))
}

/** The headline figures of each peer, as `peer_<name>_<figure>`, beside ours (the worse provider's). */
const peerSummary = (results: Record<PeerName, Details>) => {
  const out: Record<string, number> = {}
  for (const [name, result] of Object.entries(results)) {
    const get = (section: string, key: string) => (result[section] as Record<string, number>)[key]!
    out[`peer_${name}_overhead_us_p50`] = get("sequential", "overhead_us_p50")
    out[`peer_${name}_throughput_ratio_c64`] = get("concurrent_64", "throughput_ratio")
    out[`peer_${name}_cpu_us_per_request_c64`] = get("concurrent_64", "orch_cpu_us_per_request")
    out[`peer_${name}_ttft_overhead_us`] = get("stream", "ttft_overhead_us")
    out[`peer_${name}_stream_chunk_overhead_us`] = get("stream", "chunk_overhead_us")
    out[`peer_${name}_spread_stream_cpu_overhead_us_per_chunk`] = get("spread_stream", "cpu_overhead_us_per_chunk")
  }
  return out
}

const printPeerTable = (ours: Record<string, unknown>, results: Record<PeerName, Details>) => {
  const columns: Array<{ name: string; result: Record<string, unknown> }> = [
    { name: "llm-orchestrator", result: ours },
    ...Object.entries(results).map(([name, result]) => ({
      name: peerArms[name as PeerName].label,
      result
    }))
  ]
  const widths = [48, ...columns.map(() => 16)]
  const row = (cells: ReadonlyArray<string>) => tableRow(cells, widths)
  const lines = ["", "peers on openai, each against the same raw SDK in this run (medians of per-round medians):", ""]
  lines.push(row(["measure", ...columns.map((c) => c.name)]))
  lines.push(row(widths.map((w) => "-".repeat(w))))
  const add = (label: string, section: string, key: string, digits: number) =>
    lines.push(
      row([label, ...columns.map((c) => fmt((c.result[section] as Record<string, number>)[key] ?? Number.NaN, digits))])
    )
  add("overhead per request p50 (us)", "sequential", "overhead_us_p50", 1)
  add("throughput at 64 concurrent, x raw", "concurrent_64", "throughput_ratio", 3)
  add("client CPU per request at 64 concurrent (us)", "concurrent_64", "orch_cpu_us_per_request", 0)
  add("raw SDK client CPU per request, same rounds (us)", "concurrent_64", "raw_cpu_us_per_request", 0)
  add("TTFT overhead (us)", "stream", "ttft_overhead_us", 1)
  add("per-chunk overhead (us)", "stream", "chunk_overhead_us", 2)
  add("spread-out streams: CPU per chunk over raw (us)", "spread_stream", "cpu_overhead_us_per_chunk", 2)
  add("raw SDK client CPU per chunk, same rounds (us)", "spread_stream", "raw_cpu_us_per_chunk", 2)
  console.log(lines.join("\n"))
}

await main()
