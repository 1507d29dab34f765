/**
 * Issue 20's acceptance runs of the PostgreSQL ledger with real processes: four Node processes
 * (fixtures/ledger-worker.ts) each send 250 concurrent requests through the public API
 * (`createOrchestrator(config, { costSinks: [PgLedgerSink.layer(...)] })`) against one PostgreSQL and the
 * provider simulators of this process, over a fallback chain with faults: some attempts fail before
 * consuming tokens (503, 429, 529: no record), some after (content filters, billed, then the next
 * model). Every request ends with an answer, so each run knows exactly which records it must make.
 *
 * The truth is each worker's own: its JSONL cost log, its tracker's report and a witness sink that writes
 * each record synchronously as the tracker hands it over. The table is read through node-postgres
 * (support.ts), never through the sink's driver.
 *
 * 1. A clean run: rows = the attempts that consumed tokens, equal field by field to each worker's JSONL
 *    log, no (request_id, attempt) twice, SUM(cost_total) equal to the workers' costs to the last digit.
 * 2. PostgreSQL stopped for 10 s mid-run: no request fails; after the restart and close every record is
 *    a row or a line of the (shared) spill file; a next start replays what is left, without duplicates.
 * 3. SIGKILL of one worker mid-run: its rows are records it made; what it loses is at most what its sink
 *    held in memory (batchSize + maxQueuedRecords, + 1 being offered at the kill); its spill files hold
 *    whole lines only; the other three are complete.
 * 4. A shared budget (`cost_tracking.ledger.budgets` in each worker's config): each call costs exactly
 *    what it reserves, so the four together are admitted exactly as many calls as the budget holds; the
 *    rest are refused with BudgetExceededError and never reach the provider.
 */
import { type ChildProcess, spawn } from "node:child_process"
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { fileURLToPath } from "node:url"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import type { CostRecord } from "@llm-orchestrator/core"
import { readCostLog } from "@llm-orchestrator/cost"
import { fleetCredentials, type Reply, type SimulatorFleet, startSimulatorFleet } from "@llm-orchestrator/testing"
import { Context, Effect, Layer, Logger } from "effect"
import { CostSink } from "llm-orchestrator"
import { type PgLedgerOptions, PgLedgerSink } from "../src/index.ts"
import type { WitnessLine, WorkerReport, WorkerSpec } from "./fixtures/ledger-worker.ts"
import { type Row, recordOfRow, startPostgres, type TestPostgres } from "./support.ts"

const WORKERS = 4
const REQUESTS = 250

const workerScript = fileURLToPath(new URL("./fixtures/ledger-worker.ts", import.meta.url))
const root = fs.mkdtempSync(nodePath.join(os.tmpdir(), "ledger-processes-"))
// Children start faster with V8's code cache shared between them.
const env = { ...process.env, NODE_COMPILE_CACHE: nodePath.join(root, "compile-cache") }

let pg: TestPostgres
let fleet: SimulatorFleet
/** How long the first replies of a run are spread over (request i waits i / REQUESTS of it): the run's length. */
let spreadMs = 0
/** The budget run: every request answers on the first model, with the usage its reservation assumes. */
let budgetRun = false

beforeAll(async () => {
  const started = performance.now()
  ;[pg, fleet] = await Promise.all([
    startPostgres(),
    startSimulatorFleet({ defaultReply: (model, call) => reply(model, call.rawBody) })
  ])
  console.log(`PostgreSQL and simulators up in ${Math.round(performance.now() - started)} ms`)
}, 60_000)
afterAll(async () => {
  await fleet?.close()
  await pg?.close()
  fs.rmSync(root, { recursive: true, force: true })
})

// ---- The fault plan: what each model answers to request `index` of a worker ------------------------

const primary = "gpt-4o-mini"
const second = "claude-haiku-4-5-20251001"
const third = "gemini-2.5-flash"

/**
 * By `index % 6`, the first model answers: 0 the text; 1 503; 2 a content filter (billed); 3 429 then
 * the second model's content filter (billed); 4 overloaded; 5 content filters on the first two models.
 * The breaker never opens, so the chain goes first -> second -> third (a retry gets its model's answer again).
 */
const plan = (index: number): ReadonlyArray<"text" | "unavailable" | "rate-limit" | "overloaded" | "filter"> =>
  [
    ["text"],
    ["unavailable", "text"],
    ["filter", "text"],
    ["rate-limit", "filter", "text"],
    ["overloaded", "text"],
    ["filter", "filter", "text"]
  ][index % 6] as ReadonlyArray<"text" | "unavailable" | "rate-limit" | "overloaded" | "filter">

/** The records a request must make: one per attempt that consumed tokens (the answer and each content filter). */
const tokenAttempts = (index: number) => plan(index).filter((step) => step === "text" || step === "filter").length

const reply = (model: string, rawBody: string): Reply => {
  const match = /w(\d+) request (\d+)/.exec(rawBody)
  if (match === null) return { kind: "text", text: "not a worker's request" }
  const worker = Number(match[1])
  const index = Number(match[2])
  const position = model === primary ? 0 : model === second ? 1 : model === third ? 2 : -1
  if (budgetRun)
    return { kind: "text", text: `answer ${index}`, usage: { inputTokens: 40, outputTokens: 64 }, firstByteDelayMs: 30 }
  const step = plan(index)[position]
  // The first answer of request i comes i / REQUESTS of the spread late, so the run lasts that long.
  const firstByteDelayMs = position === 0 ? Math.round((spreadMs * index) / REQUESTS) : 0
  switch (step) {
    case "text":
      return {
        kind: "text",
        text: `answer ${index}`,
        chunks: 2,
        usage: { inputTokens: 1_000 + index, outputTokens: 20 + 7 * worker + (index % 13) },
        firstByteDelayMs
      }
    case "filter":
      return {
        kind: "error",
        fault: "content-filter",
        usage: { inputTokens: 500 + index, outputTokens: 3 + position },
        firstByteDelayMs
      }
    case undefined:
      return { kind: "error", fault: "invalid-request", message: `no step ${position} for request ${index}` }
    default:
      // At once: a retry gets this model's same answer, so a delayed failure would wait its delay again
      // on each of the four tries (the outage run then lasted four times its spread).
      return { kind: "error", fault: step }
  }
}

const configYaml = (logPath: string) =>
  [
    `active_provider: openai`,
    `active_model: "${primary}"`,
    "providers:",
    "  openai:",
    `    api_key: "${fleetCredentials.openai}"`,
    `    base_url: "${fleet.openai.url}/v1"`,
    "  anthropic:",
    `    api_key: "${fleetCredentials.anthropic}"`,
    `    base_url: "${fleet.anthropic.url}"`,
    "  gemini:",
    `    api_key: "${fleetCredentials.gemini}"`,
    `    base_url: "${fleet.gemini.url}"`,
    // Retries resend to the same model, which answers the same (the plan is per model), so they add no
    // record: they absorb what a loaded 2-core machine does to 1,000 sockets opened at once (connection
    // resets, SYN backlog overflows), which would otherwise end a request on a model the plan did not expect.
    "retry:",
    "  max_attempts: 4",
    "  initial_delay: 10ms",
    "  max_delay: 200ms",
    "circuit_breaker:",
    "  failure_threshold: 1000000000",
    "fallback:",
    "  on_content_filter: true",
    "  chain:",
    `    - { provider: anthropic, model: "${second}" }`,
    `    - { provider: gemini, model: "${third}" }`,
    "cost_tracking:",
    "  enabled: true",
    `  log_path: ${JSON.stringify(logPath)}`,
    ""
  ].join("\n")

// ---- Exact decimal sums (no floating point): numeric's own arithmetic, in BigInt -------------------

const scale = 40
/** A decimal (`0.00123`, `1.5e-7`, PostgreSQL's `0.001230000`) as an integer count of 1e-40. */
const scaled = (text: string): bigint => {
  const match = /^(-?)(\d+)(?:\.(\d+))?(?:e([+-]?\d+))?$/i.exec(text)
  if (match === null) throw new Error(`not a decimal: ${text}`)
  const fraction = match[3] ?? ""
  const exponent = Number(match[4] ?? 0) - fraction.length + scale
  if (exponent < 0) throw new Error(`more than ${scale} decimals: ${text}`)
  const value = BigInt(`${match[2]}${fraction}`) * 10n ** BigInt(exponent)
  return match[1] === "-" ? -value : value
}
const exactSum = (values: ReadonlyArray<number>): bigint =>
  values.reduce((sum, value) => sum + scaled(String(value)), 0n)
const decimalText = (value: bigint): string => {
  const digits = value.toString().padStart(scale + 1, "0")
  return `${digits.slice(0, -scale)}.${digits.slice(-scale)}`.replace(/\.?0+$/, "")
}

// ---- Workers --------------------------------------------------------------------------------------

interface Worker {
  readonly id: string
  readonly logPath: string
  readonly witnessPath: string
  readonly spillPath: string
  readonly child: ChildProcess
  /** Requests finished so far (`done N`). */
  done: number
  readonly ready: Promise<void>
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null; report: WorkerReport | undefined }>
  /** Milliseconds from the spawn to `ready` (orchestrator and ledger up), and to the last request's end. */
  readonly timings: { readyMs: number; doneMs: number }
  /** Every stdout line that is not progress: the Effect logger's lines (spill warnings, replays). */
  readonly logLines: Array<string>
  stderr: string
}

const startWorker = (
  run: string,
  index: number,
  ledger: (id: string) => Partial<PgLedgerOptions>,
  /** The config's own lines after `cost_tracking.log_path`; with them, the config names the ledger and no sink is added in code. */
  costYaml?: ReadonlyArray<string>
): Worker => {
  const id = `w${index}`
  const directory = nodePath.join(root, run, id)
  fs.mkdirSync(directory, { recursive: true })
  const logPath = nodePath.join(directory, "costs.jsonl")
  const witnessPath = nodePath.join(directory, "witness.jsonl")
  const options = { url: pg.url(), table: run, instanceId: id, ...ledger(id) }
  const spec: WorkerSpec = {
    worker: id,
    requests: REQUESTS,
    configYaml: configYaml(logPath) + (costYaml ?? []).map((line) => `  ${line}\n`).join(""),
    ...(costYaml === undefined ? { ledger: options } : {}),
    witnessPath
  }
  const child = spawn(process.execPath, [workerScript, JSON.stringify(spec)], {
    env,
    stdio: ["pipe", "pipe", "pipe"]
  })
  // A worker that died before reading its start line must not fail the test runner with EPIPE.
  child.stdin!.on("error", () => {})
  let report: WorkerReport | undefined
  let markReady = () => {}
  const spawned = performance.now()
  const worker: Worker = {
    id,
    logPath,
    witnessPath,
    spillPath: options.spillPath!,
    child,
    done: 0,
    ready: new Promise((resolve) => {
      markReady = resolve
    }),
    exit: new Promise((resolve) =>
      child.once("exit", (code, signal) => {
        markReady()
        resolve({ code, signal, report })
      })
    ),
    timings: { readyMs: 0, doneMs: 0 },
    logLines: [],
    stderr: ""
  }
  let buffered = ""
  child.stdout!.setEncoding("utf8").on("data", (chunk: string) => {
    buffered += chunk
    const lines = buffered.split("\n")
    buffered = lines.pop()!
    for (const line of lines) {
      const done = /^done (\d+)$/.exec(line)
      if (done) {
        worker.done = Math.max(worker.done, Number(done[1]))
        if (worker.done === REQUESTS) worker.timings.doneMs = Math.round(performance.now() - spawned)
      } else if (line === "ready") {
        worker.timings.readyMs = Math.round(performance.now() - spawned)
        markReady()
      } else if (line.startsWith("report ")) report = JSON.parse(line.slice("report ".length)) as WorkerReport
      else worker.logLines.push(line)
    }
  })
  child.stderr!.setEncoding("utf8").on("data", (chunk: string) => {
    worker.stderr += chunk
  })
  return worker
}

/** Starts the workers of a run and lets them send their requests together, once all are ready. */
const startRun = async (
  run: string,
  ledger: (id: string) => Partial<PgLedgerOptions>,
  costYaml?: ReadonlyArray<string>
): Promise<Array<Worker>> => {
  const workers = Array.from({ length: WORKERS }, (_, index) => startWorker(run, index, ledger, costYaml))
  await Promise.all(workers.map((worker) => worker.ready))
  for (const worker of workers) worker.child.stdin!.end("go\n")
  return workers
}

const until = async (condition: () => boolean | Promise<boolean>, what: string, seconds = 60) => {
  const deadline = Date.now() + seconds * 1000
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
}

/** Waits for a worker to end normally and returns its report. */
const finished = async (worker: Worker): Promise<WorkerReport> => {
  const { code, signal, report } = await worker.exit
  expect({ code, signal, stderr: worker.stderr.slice(0, 2_000) }).toEqual({ code: 0, signal: null, stderr: "" })
  expect(report).toBeDefined()
  return report!
}

const witnessOf = (worker: Worker): Array<WitnessLine> =>
  fs
    .readFileSync(worker.witnessPath, "utf8")
    .split("\n")
    .filter((line) => line !== "")
    .map((line) => JSON.parse(line) as WitnessLine)

const keyOf = (record: { readonly requestId: string; readonly attempt: number }) =>
  `${record.requestId}#${record.attempt}`

const byKey = <R extends { readonly requestId: string; readonly attempt: number }>(records: ReadonlyArray<R>) =>
  [...records].sort((a, b) => a.requestId.localeCompare(b.requestId) || a.attempt - b.attempt)

const rowsOf = async (table: string, worker?: string): Promise<Array<CostRecord>> =>
  (
    await pg.query<Row>(
      `SELECT * FROM public.${table}${worker === undefined ? "" : " WHERE metadata->>'worker' = $1"}`,
      worker === undefined ? [] : [worker]
    )
  ).map(recordOfRow)

const keyCounts = async (table: string) => {
  const [row] = await pg.query<{ rows: string; keys: string; total: string | null; unpriced: string }>(
    `SELECT count(*) AS rows, count(DISTINCT (request_id, attempt)) AS keys, sum(cost_total)::text AS total,
       count(*) FILTER (WHERE cost_total IS NULL) AS unpriced FROM public.${table}`
  )
  return { rows: Number(row!.rows), keys: Number(row!.keys), total: row!.total ?? "0", unpriced: Number(row!.unpriced) }
}

/** The records a worker must make: every request ends with an answer, so this is fixed by the plan. */
const expectedRecords = Array.from({ length: REQUESTS }, (_, index) => tokenAttempts(index)).reduce((a, b) => a + b, 0)

/** Every spill file of a spill path: the file itself and the claims of replays (`<path>.replay-*`). */
const spillFiles = (spillPath: string): Array<string> => {
  const directory = nodePath.dirname(spillPath)
  if (!fs.existsSync(directory)) return []
  return fs
    .readdirSync(directory)
    .filter((file) => file.startsWith(nodePath.basename(spillPath)))
    .map((file) => nodePath.join(directory, file))
}

/** A spill file's records; fails on anything but whole JSON lines (a torn line, a missing final newline). */
const wholeLines = (file: string): Array<CostRecord> => {
  const text = fs.readFileSync(file, "utf8")
  if (text === "") return []
  expect(text.endsWith("\n"), `${file} ends with a whole line`).toBe(true)
  return text
    .slice(0, -1)
    .split("\n")
    .map((line) => {
      expect(line.startsWith('{"timestamp"'), `a whole record line in ${file}: ${line.slice(0, 80)}`).toBe(true)
      return JSON.parse(line) as CostRecord
    })
}

/** A sink started after the run, as the next process would: it replays what is left in `spillPath`. */
const replayLeftovers = (table: string, spillPath: string) =>
  Effect.runPromise(
    Effect.scoped(
      Effect.gen(function* () {
        const logged: Array<string> = []
        const context = yield* Layer.build(
          PgLedgerSink.layer({ url: pg.url(), table, spillPath, instanceId: "replay" })
        ).pipe(Effect.provide(Logger.layer([Logger.make((options) => void logged.push(String(options.message)))])))
        yield* Context.get(context, CostSink).flush
        return logged
      })
    )
  )

/**
 * A worker that ran to its end: every request answered, its JSONL log holds exactly the records the
 * plan makes, the same as its witness and its tracker's count, and its rows are those records.
 */
const checkComplete = async (worker: Worker, report: WorkerReport, table: string) => {
  expect(report.failures).toEqual([])
  expect(report.ok).toBe(REQUESTS)
  const log = await Effect.runPromise(readCostLog(worker.logPath))
  expect(log.badLines).toBe(0)
  expect(log.state).toHaveLength(expectedRecords)
  expect(report.calls).toBe(expectedRecords)
  expect(report.unpricedCalls).toBe(0)
  expect(new Set(witnessOf(worker).map((line) => line.key))).toEqual(new Set(log.state.map(keyOf)))
  // Row by row on (request_id, attempt), every column: the table holds this worker's log, nothing else.
  expect(byKey(await rowsOf(table, worker.id))).toEqual(byKey(log.state))
  return log.state
}

/** SUM(cost_total) of the table against the workers' own costs: exact against their records, close to their reports. */
const checkCosts = async (
  table: string,
  witnesses: ReadonlyArray<ReadonlyArray<WitnessLine>>,
  reports: ReadonlyArray<WorkerReport>
) => {
  const counts = await keyCounts(table)
  expect(counts.unpriced).toBe(0)
  const recorded = exactSum(witnesses.flat().map((line) => line.cost!))
  expect(decimalText(scaled(counts.total))).toBe(decimalText(recorded))
  // The trackers add doubles: their reports equal the exact sum up to rounding.
  const reported = reports.reduce((sum, report) => sum + report.costUsd, 0)
  expect(Math.abs(Number(counts.total) - reported)).toBeLessThan(1e-9)
  return counts
}

const timingsOf = (workers: ReadonlyArray<Worker>) =>
  `ready ${workers.map((w) => w.timings.readyMs).join("/")} ms, requests done ${workers.map((w) => w.timings.doneMs).join("/")} ms after the spawn`

const range = (values: ReadonlyArray<number>) =>
  values.length === 0 ? "-" : `${Math.min(...values)}..${Math.max(...values)}`

const timed = () => {
  const started = performance.now()
  return () => Math.round(performance.now() - started)
}

describe(`the ledger shared by ${WORKERS} processes x ${REQUESTS} concurrent requests`, () => {
  it("a run with faults: one row per token-consuming attempt, as each worker's JSONL log has it, costs summing exactly", async () => {
    const elapsed = timed()
    const table = "run_clean"
    spreadMs = 3_000
    const spillPath = nodePath.join(root, table, "spill", "ledger.jsonl")
    const workers = await startRun(table, () => ({ spillPath }))
    const reports = await Promise.all(workers.map(finished))
    const logs: Array<ReadonlyArray<CostRecord>> = []
    for (const [index, worker] of workers.entries()) logs.push(await checkComplete(worker, reports[index]!, table))
    const counts = await checkCosts(table, workers.map(witnessOf), reports)
    expect(counts).toMatchObject({ rows: WORKERS * expectedRecords, keys: WORKERS * expectedRecords })
    // The plan's failures happened: billed content filters (errors with a row) and unbilled 5xx/429 (none).
    const all = logs.flat()
    expect(all.filter((record) => record.errorTag === "ContentFilteredError")).toHaveLength(
      WORKERS * (expectedRecords - REQUESTS)
    )
    expect(all.filter((record) => record.outcome === "success")).toHaveLength(WORKERS * REQUESTS)
    expect(spillFiles(spillPath)).toEqual([])
    console.log(
      `clean run: ${counts.rows} rows, SUM(cost_total) ${counts.total}, close ${reports.map((r) => r.closeMs).join("/")} ms, ${timingsOf(workers)}, ${elapsed()} ms`
    )
  }, 120_000)

  it("PostgreSQL stopped for 10 s mid-run: no request fails, every record ends in the table once", async () => {
    const elapsed = timed()
    const table = "run_outage"
    spreadMs = 18_000
    // One spill file for the four (the default path is per host, database and table): a small queue
    // sends the outage's records there, and whichever process writes first again replays all of them.
    const spillPath = nodePath.join(root, table, "spill", "ledger.jsonl")
    const workers = await startRun(table, () => ({ spillPath, maxQueuedRecords: 25 }))
    await until(
      async () =>
        workers.every((worker) => worker.done >= 30) && (await keyCounts(table).catch(() => ({ rows: 0 }))).rows > 0,
      "30 requests of every worker and some rows"
    )
    const atStop = workers.map((worker) => worker.done)
    await pg.stop()
    await new Promise((resolve) => setTimeout(resolve, 10_000))
    await pg.start()
    const atStart = workers.map((worker) => worker.done)
    const reports = await Promise.all(workers.map(finished))
    console.log(`outage: requests done at the stop ${atStop.join("/")}, at the restart ${atStart.join("/")}`)
    // The outage was inside every worker's run: requests finished on both sides of it.
    for (const [index, done] of atStart.entries()) {
      expect(atStop[index]).toBeLessThan(done)
      expect(done).toBeLessThan(REQUESTS)
    }
    const logs = new Map<string, ReadonlyArray<CostRecord>>()
    for (const worker of workers) {
      const log = await Effect.runPromise(readCostLog(worker.logPath))
      logs.set(worker.id, log.state)
    }
    // The outage went through the spill file: records were spilled and replayed by the workers.
    const lines = workers.flatMap((worker) => worker.logLines)
    expect(lines.some((line) => line.includes("written to the spill file"))).toBe(true)
    expect(lines.some((line) => /replayed \d+ record\(s\) from the spill file/.test(line))).toBe(true)
    // After the restart and close: each record is a row, or a line of a spill file (none expected: the
    // closes replayed them), never lost.
    const spilled = spillFiles(spillPath).flatMap(wholeLines)
    const rowKeys = new Set((await rowsOf(table)).map(keyOf))
    for (const log of logs.values())
      for (const record of log)
        expect(rowKeys.has(keyOf(record)) || spilled.some((line) => keyOf(line) === keyOf(record)), keyOf(record)).toBe(
          true
        )
    // A next start replays whatever is left: then the table is every worker's log, nothing twice.
    const replayLog = await replayLeftovers(table, spillPath)
    expect(replayLog.filter((line) => line.includes("torn or unreadable"))).toEqual([])
    expect(spillFiles(spillPath)).toEqual([])
    for (const [index, worker] of workers.entries()) await checkComplete(worker, reports[index]!, table)
    const counts = await checkCosts(table, workers.map(witnessOf), reports)
    expect(counts).toMatchObject({ rows: WORKERS * expectedRecords, keys: WORKERS * expectedRecords })
    console.log(
      `outage: ${spilled.length} record(s) left in the spill after close, ${counts.rows} rows, ${timingsOf(workers)}, ${elapsed()} ms`
    )
  }, 150_000)

  it("SIGKILL of one worker mid-run: it loses at most what its sink held in memory, its spill is whole lines", async () => {
    const elapsed = timed()
    const table = "run_kill"
    spreadMs = 5_000
    // A small batch and queue: the sink holds at most batchSize (the INSERT in flight) + maxQueuedRecords
    // records in memory, the rest goes to the spill file, so a kill also lands while spills and replays run.
    const batchSize = 20
    const maxQueuedRecords = 5
    const workers = await startRun(table, (id) => ({
      spillPath: nodePath.join(root, table, id, "spill", "ledger.jsonl"),
      batchSize,
      maxQueuedRecords,
      flushInterval: "100 millis"
    }))
    const victim = workers[1]!
    await until(() => victim.done >= REQUESTS / 3, `${REQUESTS / 3} requests of ${victim.id}`)
    const spillAtKill = spillFiles(victim.spillPath).map((file) => nodePath.basename(file))
    victim.child.kill("SIGKILL")
    const killedAt = Date.now()
    const doneAtKill = victim.done
    const { signal } = await victim.exit
    expect(signal).toBe("SIGKILL")
    expect(doneAtKill).toBeLessThan(REQUESTS)
    const survivors = workers.filter((worker) => worker !== victim)
    const reports = await Promise.all(survivors.map(finished))
    for (const [index, worker] of survivors.entries()) await checkComplete(worker, reports[index]!, table)

    // The victim: whatever spill files it left are whole JSON lines of records it made.
    const witness = witnessOf(victim)
    const offered = new Map(witness.map((line) => [line.key, line]))
    const left = spillFiles(victim.spillPath)
    const spilled = left.flatMap(wholeLines)
    for (const record of spilled) expect(offered.has(keyOf(record)), keyOf(record)).toBe(true)
    // Its rows (and its JSONL log) are records it made, each row equal to the log's line when the log has it.
    const log = await Effect.runPromise(readCostLog(victim.logPath))
    const logged = new Map(log.state.map((record) => [keyOf(record), record]))
    for (const key of logged.keys()) expect(offered.has(key), key).toBe(true)
    const before = await rowsOf(table, victim.id)
    for (const row of before) {
      expect(offered.has(keyOf(row)), keyOf(row)).toBe(true)
      if (logged.has(keyOf(row))) expect(row).toEqual(logged.get(keyOf(row)))
    }
    // The next start replays what it left; then what is missing is only what the sink held in memory.
    const replayLog = await replayLeftovers(table, victim.spillPath)
    expect(replayLog.filter((line) => line.includes("torn or unreadable"))).toEqual([])
    expect(spillFiles(victim.spillPath)).toEqual([])
    const rows = await rowsOf(table, victim.id)
    const rowKeys = new Set(rows.map(keyOf))
    for (const key of rowKeys) expect(offered.has(key), key).toBe(true)
    const lost = witness.filter((line) => !rowKeys.has(line.key))
    expect(lost.length).toBeLessThanOrEqual(batchSize + maxQueuedRecords + 1)
    const counts = await keyCounts(table)
    expect(counts.rows).toBe(counts.keys)
    expect(counts.rows).toBe(3 * expectedRecords + rows.length)
    const ages = lost.map((line) => killedAt - line.offeredAt)
    console.log(
      `kill: ${victim.id} killed after ${doneAtKill} requests with spill files [${spillAtKill.join(", ")}]; ` +
        `${witness.length} records made, ${before.length} rows at once, ${spilled.length} in its spill, ` +
        `${rows.length} rows after replay, ${lost.length} lost (offered ${range(ages)} ms before the kill; ` +
        `bound ${batchSize + maxQueuedRecords + 1}); JSONL log had ${log.state.length} (${before.filter((row) => !logged.has(keyOf(row))).length} rows not in it, ` +
        `its missing records offered ${range(witness.filter((line) => !logged.has(line.key)).map((line) => killedAt - line.offeredAt))} ms before the kill); ` +
        `${timingsOf(survivors)}; ${elapsed()} ms`
    )
  }, 120_000)

  it("a shared budget: the four together are admitted exactly the calls it holds, the others refused before sending", async () => {
    const elapsed = timed()
    const table = "run_budget"
    budgetRun = true
    // Input is free and every call bills the 64 output tokens reserved for it: reservation = cost = $128e-6.
    const callUsd = (64 * 2) / 1e6
    const admitted = 7
    const costYaml = [
      "reserve_output_tokens: 64",
      "prices:",
      `  ${primary}: { input: 0, output: 2 }`,
      "ledger:",
      `  url: ${JSON.stringify(pg.url())}`,
      `  table: ${table}`,
      "  budgets:",
      `    - { name: fleet, usd: ${callUsd * (admitted + 0.5)} }`
    ]
    const sentBefore = fleet.openai.requests.length
    try {
      const workers = await startRun(table, () => ({}), costYaml)
      const reports = await Promise.all(workers.map(finished))
      const ok = reports.reduce((sum, report) => sum + report.ok, 0)
      expect(ok).toBe(admitted)
      const failures = reports.flatMap((report) => report.failures)
      expect(failures).toHaveLength(WORKERS * REQUESTS - admitted)
      expect(new Set(failures.map((failure) => failure.tag))).toEqual(new Set(["BudgetExceededError"]))
      expect(failures[0]!.message).toMatch(/^shared budget "fleet" \(total\) of \$0\.000960 cannot cover this request/)
      // Nothing refused reached the provider; the budget's spent is the admitted calls' cost, no hold left.
      expect(fleet.openai.requests.slice(sentBefore).filter((request) => request.kind !== "models")).toHaveLength(
        admitted
      )
      const spent = reports.reduce((sum, report) => sum + report.costUsd, 0)
      expect(spent).toBeCloseTo(admitted * callUsd, 12)
      const [row] = await pg.query<{ spent: string }>(
        `SELECT spent_usd::text AS spent FROM public.${table}_budget_spent`
      )
      expect(Number(row!.spent)).toBeCloseTo(admitted * callUsd, 12)
      expect(await pg.query(`SELECT * FROM public.${table}_budget_holds`)).toEqual([])
      expect((await keyCounts(table)).rows).toBe(admitted)
      console.log(
        `budget: ${ok} admitted of ${WORKERS * REQUESTS} across ${reports.map((r) => r.ok).join("/")}, ${timingsOf(workers)}, ${elapsed()} ms`
      )
    } finally {
      budgetRun = false
    }
  }, 120_000)
})
