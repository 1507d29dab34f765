/**
 * The ledger wired into the orchestrator (`createOrchestrator(config, { costSinks })` and
 * `layerFromConfig(config, { costSinks })`): real SDK calls against the simulators produce one row per
 * cost record, equal field by field (costs included) to the JSONL cost log's records of the same calls.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "@effect/vitest"
import { readCostLog } from "@llm-orchestrator/cost"
import { simulatorFleet } from "@llm-orchestrator/testing"
import { Effect } from "effect"
import { createOrchestrator, LLMOrchestrator, layerFromConfig, parseConfig } from "llm-orchestrator"
import { PgLedgerSink } from "../src/index.ts"
import { type Row, recordOfRow, startPostgres, type TestPostgres } from "./support.ts"

let pg: TestPostgres

beforeAll(async () => {
  pg = await startPostgres()
})
afterAll(() => pg?.close())

const tempDir = () => fs.mkdtempSync(nodePath.join(os.tmpdir(), "ledger-e2e-"))
const oneTry = "retry:\n  max_attempts: 1"

const rowsOf = (table: string) =>
  Effect.promise(() => pg.query<Row>(`SELECT * FROM public.${table}`)).pipe(Effect.map((rows) => rows.map(recordOfRow)))

const byKey = <R extends { readonly requestId: string; readonly attempt: number }>(records: ReadonlyArray<R>) =>
  [...records].sort((a, b) => a.requestId.localeCompare(b.requestId) || a.attempt - b.attempt)

describe("the ledger behind the orchestrator", () => {
  it.live(
    "Promise facade: a request and a stream through the OpenAI SDK are rows equal to the cost log's records",
    () =>
      Effect.gen(function* () {
        const fleet = yield* simulatorFleet()
        const directory = tempDir()
        const logPath = nodePath.join(directory, "costs.jsonl")
        const config = yield* parseConfig(fleet.configYaml({ costLogPath: logPath, extraYaml: oneTry }))
        fleet.openai.script(
          { kind: "text", text: "Hello.", usage: { inputTokens: 1_200, outputTokens: 40, cacheReadTokens: 200 } },
          { kind: "text", text: "A haiku, streamed.", usage: { inputTokens: 300, outputTokens: 17 } }
        )
        const table = "facade_costs"
        const spillPath = nodePath.join(directory, "spill.jsonl")
        const llm = yield* Effect.promise(() =>
          createOrchestrator(config, { costSinks: [PgLedgerSink.layer({ url: pg.url(), table, spillPath })] })
        )
        const response = yield* Effect.promise(() =>
          llm.sendRequest({ messages: [{ role: "user", content: "Hello" }], metadata: { tenant: "acme" } })
        )
        let streamed = ""
        yield* Effect.promise(async () => {
          for await (const text of llm.sendStreamingRequest({ messages: [{ role: "user", content: "A haiku" }] }))
            streamed += text
        })
        // close() drains every sink: no flush needed before reading the table.
        yield* Effect.promise(() => llm.close())
        expect(streamed).toBe("A haiku, streamed.")
        const logged = (yield* readCostLog(logPath)).state
        expect(logged).toHaveLength(2)
        const rows = yield* rowsOf(table)
        expect(byKey(rows)).toEqual(byKey(logged))
        // The costs are the SDK calls' own, not zeros: gpt-4o-mini at $0.15 / $0.60 per Mtok, cached input $0.075.
        const first = rows.find((row) => row.metadata.tenant === "acme")
        expect(first?.cost?.total).toBe(response.cost?.total)
        expect(first?.cost?.total).toBeCloseTo((1_000 * 0.15 + 200 * 0.075 + 40 * 0.6) / 1e6, 12)
        expect(rows.find((row) => row.stream)?.usage.outputTokens).toBe(17)
        expect(fs.existsSync(spillPath)).toBe(false)
      }).pipe(Effect.scoped)
  )

  it.live("Effect layers: Anthropic, Gemini and Bedrock calls are rows equal to the cost log's records", () =>
    Effect.gen(function* () {
      const fleet = yield* simulatorFleet()
      const table = "layer_costs"
      for (const provider of ["anthropic", "gemini", "bedrock"] as const) {
        const directory = tempDir()
        const logPath = nodePath.join(directory, "costs.jsonl")
        const config = yield* parseConfig(
          fleet.configYaml({ activeProvider: provider, costLogPath: logPath, extraYaml: oneTry })
        )
        fleet[provider].script({
          kind: "text",
          text: `Hello from ${provider}.`,
          usage: { inputTokens: 2_000, outputTokens: 120, cacheReadTokens: provider === "gemini" ? 0 : 500 }
        })
        const ledger = PgLedgerSink.layer({ url: pg.url(), table, spillPath: nodePath.join(directory, "spill.jsonl") })
        const response = yield* LLMOrchestrator.use((llm) =>
          llm.sendRequest({ messages: [{ role: "user", content: "Hello" }], metadata: { provider } })
        ).pipe(Effect.provide(layerFromConfig(config, { costSinks: [ledger] })))
        expect(response.content).toBe(`Hello from ${provider}.`)
        expect(response.cost?.total).toBeGreaterThan(0)
        // The layer closed (Effect.provide scopes it): both sinks are drained.
        const logged = (yield* readCostLog(logPath)).state
        expect(logged).toHaveLength(1)
        const rows = (yield* rowsOf(table)).filter((row) => row.metadata.provider === provider)
        expect(rows).toEqual(logged)
        expect(rows[0]?.cost?.total).toBe(response.cost?.total)
      }
    }).pipe(Effect.scoped)
  )
})
