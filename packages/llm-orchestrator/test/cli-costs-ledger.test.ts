/**
 * `llm-orchestrator costs --ledger URL` against a real PostgreSQL 18 (the ledger tests' embedded server):
 * records written through the ledger sink print the same table and the same JSON as `costs` on a JSONL
 * log of the same records (the log's report is the reference), `--since` and `--by day`; a wrong
 * password is an error without the password; the usage errors; a missing ledger package. The spawned
 * runs are the CLI as a user runs it (the optional package loaded by `import()`); the in-process runs
 * are the same command where coverage sees it.
 */
import { writeFileSync } from "node:fs"
import { type CostRecord, CostSink } from "@llm-orchestrator/core"
import { encodeRecord } from "@llm-orchestrator/cost"
import { PgLedgerSink } from "@llm-orchestrator/ledger"
import { Context, Effect, Layer } from "effect"
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest"
import { makeRecord, password, startPostgres, type TestPostgres } from "../../ledger/test/support.ts"
import { runCli as runInProcess } from "../src/cli/app.ts"
import { describeError } from "../src/cli/failure.ts"
import { loadLedger } from "../src/ledger.ts"
import { cells, lines, runCli, tempDir } from "./cli-support.ts"

const capture = async (args: ReadonlyArray<string>) => {
  let stdout = ""
  let stderr = ""
  const out = vi.spyOn(process.stdout, "write").mockImplementation((chunk: string | Uint8Array) => {
    stdout += String(chunk)
    return true
  })
  const err = vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
    stderr += String(chunk)
    return true
  })
  try {
    const code = await Effect.runPromise(runInProcess(args))
    return { code, stdout, stderr }
  } finally {
    out.mockRestore()
    err.mockRestore()
  }
}

/** Over three UTC days, two providers, tags that overlap, one unpriced call, one with a web-search fee. */
const records: ReadonlyArray<CostRecord> = [
  makeRecord({ timestamp: "2026-04-01T09:00:00.000Z", metadata: { feature: "search" } }),
  makeRecord({
    timestamp: "2026-04-01T23:59:59.999Z",
    model: "gpt-5",
    metadata: { feature: "search", tenant: "acme" }
  }),
  makeRecord({ timestamp: "2026-04-02T00:00:00.000Z", metadata: {} }, true),
  makeRecord({
    timestamp: "2026-04-02T12:30:00.000Z",
    provider: "anthropic",
    model: "claude-sonnet-4-6",
    cost: undefined,
    metadata: { tenant: "acme" }
  }),
  makeRecord({ timestamp: "2026-04-03T08:00:00.000Z", metadata: { feature: "summary" } })
]

const table = "cli_costs"

describe("llm-orchestrator costs --ledger", { timeout: 60_000 }, () => {
  let pg: TestPostgres
  let dir: ReturnType<typeof tempDir>
  let log: string
  let url: string
  beforeAll(async () => {
    pg = await startPostgres()
    url = pg.url()
    dir = tempDir()
    log = `${dir.path}/costs.jsonl`
    writeFileSync(log, records.map(encodeRecord).join(""))
    await Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const context = yield* Layer.build(
            PgLedgerSink.layer({ url, table, spillPath: `${dir.path}/spill.jsonl`, flushInterval: "5 millis" })
          )
          const sink = Context.get(context, CostSink)
          for (const record of records) sink.offer(record)
          yield* sink.flush
        })
      )
    )
  }, 60_000)
  afterAll(async () => {
    await pg?.close()
    dir?.cleanup()
  })

  it("prints the JSONL log's table and its JSON plus byDay (a separate process)", async () => {
    const ledger = ["--ledger", url, "--ledger-table", table]
    const [fromLedger, fromLog] = await Promise.all([
      runCli(["costs", ...ledger, "--by", "tag"]),
      runCli(["costs", log, "--by", "tag"])
    ])
    expect(fromLedger.code, fromLedger.stderr).toBe(0)
    expect(fromLog.code, fromLog.stderr).toBe(0)
    expect(fromLedger.stdout).toBe(fromLog.stdout)
    expect(lines(fromLedger.stdout).length).toBeGreaterThan(3)
    const [json, logJson] = await Promise.all([
      runCli(["costs", ...ledger, "--json", "--since", "2026-04-02"]),
      runCli(["costs", log, "--json", "--since", "2026-04-02"])
    ])
    expect(json.code, json.stderr).toBe(0)
    const { byDay, ...report } = JSON.parse(json.stdout) as Record<string, unknown>
    expect(report).toEqual(JSON.parse(logJson.stdout))
    // The window: the records of 2 and 3 April, by the test's own count.
    expect(report.calls).toBe(3)
    expect(Object.keys(byDay as object)).toEqual(["2026-04-02", "2026-04-03"])
    expect(`${json.stdout}${json.stderr}`).not.toContain(password)
  })

  it("a wrong password: exit 1, the refusal, never either password (a separate process)", async () => {
    const wrong = "wrong-pw-for-the-cli-7"
    const run = await runCli(["costs", "--ledger", pg.url("postgres", wrong)])
    expect(run.code).toBe(1)
    expect(run.stdout).toBe("")
    expect(run.stderr).toContain(`ledger.url: PostgreSQL at 127.0.0.1:${pg.port} refused the login of user "postgres"`)
    expect(run.stderr).not.toContain(wrong)
    expect(run.stderr).not.toContain(password)
  })

  it("--by day: one row per UTC day with that day's calls, and the TOTAL row of the log's table", async () => {
    const byDay = await capture(["costs", "--ledger", url, "--ledger-table", table, "--by", "day"])
    expect(byDay.code, byDay.stderr).toBe(0)
    const rows = lines(byDay.stdout)
    expect(cells(rows[0]!).slice(0, 3)).toEqual(["DAY", "(UTC)", "CALLS"])
    // Between the header and the separator above TOTAL.
    const days = rows.slice(1, -2).map((row) => cells(row).slice(0, 2))
    expect(days).toEqual([
      ["2026-04-01", "2"],
      ["2026-04-02", "2"],
      ["2026-04-03", "1"]
    ])
    const fromLog = await capture(["costs", log])
    expect(cells(rows.at(-1)!)).toEqual(cells(lines(fromLog.stdout).at(-1)!))
    expect(rows.at(-1)!.startsWith("TOTAL")).toBe(true)
  })

  it("in process: the table by provider, model and tag, and the JSON, equal the log's", async () => {
    for (const by of ["provider", "model", "tag"]) {
      const fromLedger = await capture([
        "costs",
        "--ledger",
        url,
        "--ledger-table",
        table,
        "--ledger-schema",
        "public",
        "--by",
        by
      ])
      const fromLog = await capture(["costs", log, "--by", by])
      expect(fromLedger.code, fromLedger.stderr).toBe(0)
      expect(fromLedger.stdout, by).toBe(fromLog.stdout)
      expect(lines(fromLedger.stdout).length).toBeGreaterThan(3)
    }
    const json = await capture(["costs", "--ledger", url, "--ledger-table", table, "--json"])
    const { byDay: _, ...report } = JSON.parse(json.stdout) as Record<string, unknown>
    expect(report).toEqual(JSON.parse((await capture(["costs", log, "--json"])).stdout))
  })

  it("usage errors: a log and --ledger, --by day or --ledger-table without --ledger, --strict with --ledger", async () => {
    const cases: ReadonlyArray<[ReadonlyArray<string>, string]> = [
      [[log, "--ledger", url], "pass either a log file"],
      [[log, "--by", "day"], "--by day needs --ledger"],
      [[log, "--ledger-table", table], "--ledger-table needs --ledger"],
      [[log, "--ledger-schema", "public"], "--ledger-schema needs --ledger"],
      [["--ledger", url, "--strict"], "--strict is for a JSONL log"]
    ]
    for (const [args, message] of cases) {
      const run = await capture(["costs", ...args])
      expect(run.code, args.join(" ")).toBe(2)
      expect(run.stderr).toContain(message)
      expect(run.stdout).toBe("")
      expect(run.stderr).not.toContain(password)
    }
  })

  it("a missing table is a failure naming it", async () => {
    const run = await capture(["costs", "--ledger", url, "--ledger-table", "nothing_here"])
    expect(run.code).toBe(1)
    expect(run.stderr).toContain("ledger.table: public.nothing_here does not exist")
  })

  it("without @llm-orchestrator/ledger installed: a ConfigError saying to install it", async () => {
    const notFound = Object.assign(new Error("Cannot find package '@llm-orchestrator/ledger'"), {
      code: "ERR_MODULE_NOT_FOUND"
    })
    const error = await Effect.runPromise(Effect.flip(loadLedger("--ledger", () => Promise.reject(notFound))))
    expect(describeError(error)).toEqual({
      lines: [
        "--ledger: the `@llm-orchestrator/ledger` package is not installed: install it (npm install @llm-orchestrator/ledger) to keep costs in PostgreSQL"
      ],
      exitCode: 1
    })
    const broken = await Effect.runPromise(
      Effect.flip(loadLedger("--ledger", () => Promise.reject(new Error("bad build"))))
    )
    expect(broken.message).toContain("cannot be loaded (bad build)")
    // Installed (here, the workspace's), it loads.
    const loaded = await Effect.runPromise(loadLedger("--ledger"))
    expect(typeof loaded.PgLedgerReport.report).toBe("function")
  })
})
