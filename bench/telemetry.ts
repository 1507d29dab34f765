/**
 * What telemetry costs a request (issue 21: off, no change beyond noise; on, the overhead measured).
 * Four arms on the same simulator process (bench/simulator-server.ts): the raw SDK for reference; the
 * orchestrator with cost tracking and the JSONL log and telemetry off (the default); the same with the
 * `telemetry:` section on and exporting spans and metrics by OTLP/HTTP to a collector stand-in in its
 * own process (it reads and drops each export, answering 200), sampling every request; and the same
 * with Prometheus metrics only (no spans). Each round runs the arms in a shuffled order; quoted values
 * are medians of per-round values, ratios are per round then the median.
 *
 * - 64 concurrent: requests per second and client CPU per request (this process only).
 * - sequential: median latency per request; each arm's extra microseconds over telemetry off.
 *
 * At the end the collector must have received spans (one per request and one per attempt) and metrics,
 * or the bench fails: an exporter that silently stopped would otherwise look free.
 *
 * `npx pnpm@12.21.0 exec node bench/telemetry.ts [openai|anthropic] [--quick]`. Prints a table, then as
 * the last stdout line one JSON object (progress goes to stderr).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { type Arm, type BenchProvider, orchestratorArm, rawArm } from "./arms.ts"
import { startCollector } from "./collector.ts"
import { startSimulatorProcess } from "./simulator-server.ts"
import { fmt, measureConcurrent, median, runConcurrent, shuffledRounds, timeSequential } from "./stats.ts"

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const provider = (args.find((arg) => !arg.startsWith("--")) ?? "openai") as BenchProvider

const plan = quick
  ? { warmup: 400, concurrent: { rounds: 4, perRound: 640 }, sequential: { rounds: 4, perRound: 60 } }
  : { warmup: 2_000, concurrent: { rounds: 12, perRound: 3_000 }, sequential: { rounds: 12, perRound: 200 } }

const log = (line: string) => process.stderr.write(`${line}\n`)
const arms = [
  "raw SDK",
  "telemetry off",
  "telemetry on (OTLP spans + metrics)",
  "telemetry on (Prometheus only)"
] as const
type ArmName = (typeof arms)[number]

const main = async () => {
  const started = performance.now()
  log(`telemetry bench (${quick ? "quick" : "full"}, ${provider}), Node ${process.version}, ${os.cpus().length} cores`)
  const [collector, simulators] = await Promise.all([startCollector(), startSimulatorProcess()])
  const directory = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-orchestrator-bench-telemetry-"))
  try {
    const dirs = ["off", "otlp", "prometheus"].map((name) => {
      const dir = nodePath.join(directory, name)
      fs.mkdirSync(dir)
      return dir
    })
    const raw = rawArm(provider, simulators.urls)
    const off = await orchestratorArm(provider, simulators.urls, dirs[0]!)
    const otlp = await orchestratorArm(provider, simulators.urls, dirs[1]!, {
      extraYaml: `telemetry:\n  otlp:\n    endpoint: ${collector.url}\n    export_interval: 1s\n`
    })
    const prometheus = await orchestratorArm(provider, simulators.urls, dirs[2]!, {
      extraYaml: "telemetry:\n  prometheus: { port: 0 }\n"
    })
    const tasks: Record<ArmName, Arm["plain"]> = {
      "raw SDK": raw.plain,
      "telemetry off": off.plain,
      "telemetry on (OTLP spans + metrics)": otlp.plain,
      "telemetry on (Prometheus only)": prometheus.plain
    }
    let c64: Record<ArmName, Array<{ rps: number; cpuUs: number }>>
    let sequential: Record<ArmName, Array<number>>
    let otlpRequests = 0
    const counted = (arm: ArmName, requests: number) => {
      if (arm === "telemetry on (OTLP spans + metrics)") otlpRequests += requests
    }
    try {
      log("warm-up")
      for (const arm of arms) {
        await runConcurrent(plan.warmup, 8, tasks[arm])
        counted(arm, plan.warmup)
      }
      log(`64 concurrent: ${plan.concurrent.rounds} rounds x ${plan.concurrent.perRound}`)
      c64 = await shuffledRounds(arms, plan.concurrent.rounds, async (arm) => {
        const measured = await measureConcurrent(plan.concurrent.perRound, 64, tasks[arm])
        counted(arm, plan.concurrent.perRound)
        return measured
      })
      log(`sequential: ${plan.sequential.rounds} rounds x ${plan.sequential.perRound}`)
      sequential = await shuffledRounds(arms, plan.sequential.rounds, async (arm) => {
        const times = await timeSequential(plan.sequential.perRound, tasks[arm])
        counted(arm, plan.sequential.perRound)
        return median(times)
      })
    } finally {
      await off.dispose()
      await otlp.dispose() // flushes the last spans and metrics
      await prometheus.dispose()
    }

    // The OTLP arm exported what it claims: a request span and an attempt span per request, and metrics.
    const received = await collector.counts()
    if (received.spans !== 2 * otlpRequests || received.metricExports === 0)
      throw new Error(
        `the OTLP arm sent ${otlpRequests} requests; the collector got ${received.spans} spans (expected ${2 * otlpRequests}) and ${received.metricExports} metric exports`
      )

    const perRound = <T>(arm: ArmName, pick: (value: T) => number, values: Record<ArmName, Array<T>>) =>
      values[arm].map(pick)
    const rpsRatio = (a: ArmName, b: ArmName) => {
      const top = perRound(a, (v: { rps: number }) => v.rps, c64)
      const bottom = perRound(b, (v: { rps: number }) => v.rps, c64)
      return median(top.map((value, i) => value / bottom[i]!))
    }
    const extraSequential = (arm: ArmName) =>
      median(sequential[arm].map((value, i) => (value - sequential["telemetry off"][i]!) * 1000))
    const extraCpu = (arm: ArmName) => median(c64[arm].map((value, i) => value.cpuUs - c64["telemetry off"][i]!.cpuUs))
    const summary = {
      provider,
      mode: quick ? "quick" : "full",
      node: process.version,
      cores: os.cpus().length,
      rps: Object.fromEntries(arms.map((arm) => [arm, median(perRound(arm, (v: { rps: number }) => v.rps, c64))])),
      cpu_us_per_request: Object.fromEntries(
        arms.map((arm) => [arm, median(perRound(arm, (v: { cpuUs: number }) => v.cpuUs, c64))])
      ),
      sequential_us: Object.fromEntries(arms.map((arm) => [arm, median(sequential[arm]) * 1000])),
      throughput_ratio_off_vs_raw: rpsRatio("telemetry off", "raw SDK"),
      throughput_ratio_otlp_vs_off: rpsRatio("telemetry on (OTLP spans + metrics)", "telemetry off"),
      throughput_ratio_prometheus_vs_off: rpsRatio("telemetry on (Prometheus only)", "telemetry off"),
      sequential_extra_us_otlp: extraSequential("telemetry on (OTLP spans + metrics)"),
      sequential_extra_us_prometheus: extraSequential("telemetry on (Prometheus only)"),
      cpu_extra_us_otlp: extraCpu("telemetry on (OTLP spans + metrics)"),
      cpu_extra_us_prometheus: extraCpu("telemetry on (Prometheus only)"),
      spans_exported: received.spans,
      seconds: Number(((performance.now() - started) / 1000).toFixed(1))
    }
    const widths = [36, 12, 14, 16]
    const line = (cells: ReadonlyArray<string>) =>
      `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`
    console.log(
      `telemetry off / on (${provider}): Node ${process.version}, ${summary.cores} cores, ${summary.mode} run; simulators and the collector in other processes`
    )
    console.log("")
    console.log(line(["arm (median of rounds)", "c64 req/s", "CPU us/req", "sequential us"]))
    console.log(line(widths.map((w) => "-".repeat(w))))
    for (const arm of arms)
      console.log(
        line([
          arm,
          fmt(summary.rps[arm]!, 0),
          fmt(summary.cpu_us_per_request[arm]!, 0),
          fmt(summary.sequential_us[arm]!, 0)
        ])
      )
    console.log("")
    console.log(
      `throughput ratio OTLP / off ${fmt(summary.throughput_ratio_otlp_vs_off, 3)}, Prometheus / off ${fmt(summary.throughput_ratio_prometheus_vs_off, 3)}; off / raw ${fmt(summary.throughput_ratio_off_vs_raw, 3)}`
    )
    console.log(
      `extra over telemetry off: OTLP ${fmt(summary.sequential_extra_us_otlp, 1)} us per sequential request, ${fmt(summary.cpu_extra_us_otlp, 1)} us client CPU per request at 64 concurrent; ` +
        `Prometheus ${fmt(summary.sequential_extra_us_prometheus, 1)} us, ${fmt(summary.cpu_extra_us_prometheus, 1)} us; ${received.spans} spans exported; took ${summary.seconds} s`
    )
    console.log(JSON.stringify(summary, (_, value) => (typeof value === "number" ? Number(value.toFixed(3)) : value)))
  } finally {
    collector.stop()
    await simulators.stop()
    fs.rmSync(directory, { recursive: true, force: true })
  }
}

await main()
