/**
 * Cost sinks (docs/ARCHITECTURE.md, "Attempts and cost records"): every record goes to the JSONL log
 * and to each sink given to `CostTracking.layer`, in order; `flush` flushes them all and fails with the
 * first failure; closing the layer closes them. A ledger or a tracing exporter plugs in here.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { CostRecord } from "@llm-orchestrator/core"
import { CostLogError, CostSink, CostTracker, CostTracking, readCostLog } from "@llm-orchestrator/cost"
import { Effect, Exit, Layer, Scope } from "effect"

const record = (index: number): CostRecord => ({
  timestamp: "2026-12-03T00:00:00.000Z",
  requestId: `req-${index}`,
  provider: "openai",
  model: "gpt-4o-mini",
  usage: { inputTokens: 10, outputTokens: 5, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  cost: undefined,
  latencyMs: 1,
  outcome: "success",
  attempt: 1,
  stream: false,
  metadata: {}
})

/** A sink keeping what it got; its flush fails while `failing` is set; `events` logs its life. */
const memorySink = (name: string) => {
  const state = { records: [] as Array<CostRecord>, flushes: 0, failing: false, events: [] as Array<string> }
  const layer = Layer.effect(
    CostSink,
    Effect.acquireRelease(
      Effect.sync(() => {
        state.events.push(`open ${name}`)
        return CostSink.of({
          name,
          offer: (r) => void state.records.push(r),
          flush: Effect.suspend(() => {
            state.flushes++
            return state.failing
              ? Effect.fail(
                  new CostLogError({ path: name, bufferedRecords: 1, lostRecords: 0, message: `${name} is down` })
                )
              : Effect.void
          }),
          health: Effect.succeed(undefined)
        })
      }),
      () => Effect.sync(() => void state.events.push(`close ${name} after ${state.records.length}`))
    )
  )
  return { state, layer }
}

/** A sink that reports health of its own. */
const ledgerHealthy = CostSink.of({
  name: "ledger",
  offer: () => {},
  flush: Effect.void,
  health: Effect.succeed({
    path: "ledger",
    writtenRecords: 7,
    bufferedRecords: 0,
    lostRecords: 0,
    lastError: undefined
  })
})

const tempLog = () => nodePath.join(fs.mkdtempSync(nodePath.join(os.tmpdir(), "llm-sinks-")), "costs.jsonl")

describe("cost sinks", () => {
  it.effect("every record reaches the log and each sink, in order; flush flushes all; the scope closes them", () =>
    Effect.gen(function* () {
      const path = tempLog()
      const a = memorySink("a")
      const b = memorySink("b")
      const scope = yield* Scope.make()
      const context = yield* Layer.buildWithScope(
        CostTracking.layer({ enabled: true, prices: {}, logPath: path }, { sinks: [a.layer, b.layer] }),
        scope
      )
      const tracker = yield* CostTracker.pipe(Effect.provide(context))
      for (const i of [1, 2, 3]) yield* tracker.record(record(i))
      yield* tracker.flush
      expect([a.state.flushes, b.state.flushes]).toEqual([1, 1])
      expect(a.state.records.map((r) => r.requestId)).toEqual(["req-1", "req-2", "req-3"])
      expect(b.state.records).toEqual(a.state.records)
      expect((yield* readCostLog(path)).state.map((r) => r.requestId)).toEqual(["req-1", "req-2", "req-3"])
      // The log is the first sink: its health is the tracker's log health.
      expect((yield* tracker.logHealth)?.writtenRecords).toBe(3)
      yield* Scope.close(scope, Exit.void)
      expect([...a.state.events, ...b.state.events]).toEqual(["open a", "close a after 3", "open b", "close b after 3"])
    })
  )

  it.effect("a sink that cannot flush fails the flush with its error; the other sinks are flushed anyway", () =>
    Effect.gen(function* () {
      const path = tempLog()
      const down = memorySink("ledger")
      const after = memorySink("after")
      down.state.failing = true
      const failure = yield* Effect.gen(function* () {
        const tracker = yield* CostTracker
        yield* tracker.record(record(1))
        return yield* Effect.flip(tracker.flush)
      }).pipe(
        Effect.provide(
          CostTracking.layer({ enabled: true, prices: {}, logPath: path }, { sinks: [down.layer, after.layer] })
        )
      )
      expect([failure._tag, failure.message]).toEqual(["CostLogError", "ledger is down"])
      expect(after.state.flushes).toBe(1)
      expect((yield* readCostLog(path)).state).toHaveLength(1)
    })
  )

  it.effect("without a log_path, another sink's health is not reported as the log's", () =>
    Effect.gen(function* () {
      const health = yield* CostTracker.use((tracker) => tracker.logHealth).pipe(
        Effect.provide(
          CostTracking.layer({ enabled: true, prices: {} }, { sinks: [Layer.succeed(CostSink, ledgerHealthy)] })
        )
      )
      expect(health).toBeUndefined()
    })
  )

  it.effect("with cost tracking off no sink is opened", () =>
    Effect.gen(function* () {
      const sink = memorySink("never")
      yield* CostTracker.use((tracker) => tracker.record(record(1))).pipe(
        Effect.provide(CostTracking.layer({ enabled: false, prices: {} }, { sinks: [sink.layer] }))
      )
      expect([sink.state.events, sink.state.records]).toEqual([[], []])
    })
  )
})
