/**
 * 1,000 concurrent requests through the orchestrator (real SDKs, the five simulators) with a seeded
 * random mix of faults: 429 with and without Retry-After, 503/529, dropped connections, mid-stream
 * errors, malformed frames, hangs (per-attempt and idle timeouts), and successes, streamed and not.
 * Every request must end with a response or a typed LLMError in time; the cost log must have exactly
 * one line per token-consuming attempt and sum to the session cost; nothing may stay open.
 * Seeds: LOAD_SEEDS=7,8,9 to choose (each printed with the command that reruns it). Each reply is drawn
 * from a generator of its own, derived from the seed, the request's index and the attempt's number
 * within that request, so a seed gives every request the same faults whatever order the 1,000
 * concurrent attempts reach the simulators in.
 */
import { describe, expect, it } from "@effect/vitest"
import { isLLMError, type LLMError } from "@llm-orchestrator/core"
import { type Reply, simulatorFleet } from "@llm-orchestrator/testing"
import { Cause, Effect, Exit, Stream } from "effect"
import { LLMOrchestrator, layerFromConfig, parseConfig } from "llm-orchestrator"
import { readLog, tempDir } from "./support.ts"

const seeds = (process.env.LOAD_SEEDS ?? "11,12,13,14,15").split(",").map(Number)
const REQUESTS = Number(process.env.LOAD_REQUESTS ?? 1000)

/** mulberry32: a tiny seeded PRNG, so a run can be replayed from its printed seed. */
const prng = (seed: number) => () => {
  seed = (seed + 0x6d2b79f5) | 0
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed)
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296
}

/** One generator per (seed, request index, attempt number): replies do not depend on arrival order. */
const replyRandom = (seed: number, index: number, attempt: number) =>
  prng(seed ^ Math.imul(index + 1, 0x9e3779b1) ^ Math.imul(attempt, 0x85ebca6b))

/** The faults of one run: the request's index comes from its text (`request N`), attempts are counted. */
const faultMix = (seed: number) => {
  const attemptsByRequest = new Map<number, number>()
  return (_model: string, call: { readonly rawBody: string }): Reply => {
    const index = Number(/request (\d+)/.exec(call.rawBody)?.[1] ?? -1)
    const attempt = (attemptsByRequest.get(index) ?? 0) + 1
    attemptsByRequest.set(index, attempt)
    return drawReply(replyRandom(seed, index, attempt))
  }
}

const drawReply = (random: () => number): Reply => {
  const r = random()
  const afterChunks = 1 + Math.floor(random() * 3)
  const text = "alpha beta gamma delta epsilon zeta"
  if (r < 0.4) return { kind: "text", text, chunks: 3 + Math.floor(random() * 5) }
  if (r < 0.5) return { kind: "error", fault: "rate-limit", retryAfterSeconds: 0.02 }
  if (r < 0.55) return { kind: "error", fault: "rate-limit", retryAfterSeconds: 120 }
  if (r < 0.6) return { kind: "error", fault: "rate-limit" }
  if (r < 0.65) return { kind: "error", fault: "overloaded" }
  if (r < 0.7) return { kind: "error", fault: "unavailable" }
  if (r < 0.8) return { kind: "stream-fault", text, afterChunks, fault: "error-event", errorFault: "overloaded" }
  if (r < 0.85) return { kind: "stream-fault", text, afterChunks, fault: "drop" }
  if (r < 0.93) return { kind: "stream-fault", text, afterChunks, fault: "malformed" }
  if (r < 0.97) return { kind: "hang" }
  return { kind: "stream-fault", text, afterChunks, fault: "hang" }
}

const resourceCounts = () => {
  const counts: Record<string, number> = {}
  for (const kind of process.getActiveResourcesInfo()) counts[kind] = (counts[kind] ?? 0) + 1
  return counts
}

type Outcome =
  | { readonly kind: "response"; readonly streamed: boolean }
  | { readonly kind: "error"; readonly error: LLMError; readonly streamed: boolean; readonly afterText: boolean }
  | { readonly kind: "defect"; readonly cause: string }
  | { readonly kind: "hung" }

describe("faults under load", () => {
  it("a seed gives each request the same faults whatever order its attempts arrive in", () => {
    const calls = Array.from({ length: 40 }, (_, i) => ({ rawBody: JSON.stringify({ content: `request ${i % 20}` }) }))
    const repliesOf = (order: ReadonlyArray<{ readonly rawBody: string }>) => {
      const mix = faultMix(12)
      const seen = new Map<string, Reply>()
      const count = new Map<string, number>()
      for (const call of order) {
        const n = (count.get(call.rawBody) ?? 0) + 1
        count.set(call.rawBody, n)
        seen.set(`${call.rawBody}#${n}`, mix("m", call))
      }
      return seen
    }
    const forward = repliesOf(calls)
    const backward = repliesOf([...calls].reverse())
    expect(forward.size).toBe(40)
    for (const [key, reply] of forward) expect(backward.get(key)).toEqual(reply)
    // Not one reply for all: the 40 draws cover several kinds of fault.
    expect(new Set([...forward.values()].map((reply) => reply.kind)).size).toBeGreaterThan(2)
  })

  for (const seed of seeds) {
    it.live(`${REQUESTS} concurrent requests, seed ${seed}`, () =>
      Effect.gen(function* () {
        console.log(
          `load test seed ${seed} (rerun: LOAD_SEEDS=${seed} npx -y pnpm@12.21.0 vitest run test/load-faults.test.ts)`
        )
        const before = resourceCounts()
        let unhandled = 0
        const onUnhandled = () => void unhandled++
        process.on("unhandledRejection", onUnhandled)
        const logPath = `${tempDir()}/costs.jsonl`
        const run = yield* Effect.scoped(
          Effect.gen(function* () {
            const fleet = yield* simulatorFleet({ defaultReply: faultMix(seed) })
            const parsed = yield* parseConfig(
              fleet.configYaml({
                costLogPath: logPath,
                extraYaml: [
                  "retry: { max_attempts: 2, initial_delay: 5ms, max_delay: 20ms, max_retry_after: 1s }",
                  "fallback:",
                  "  chain:",
                  "    - { provider: anthropic, model: claude-haiku-4-5-20251001 }",
                  "    - { provider: gemini, model: gemini-2.5-flash }",
                  "    - { provider: bedrock, model: amazon.nova-lite-v1:0 }"
                ].join("\n")
              })
            )
            // A per-attempt timeout that turns hangs into TimeoutErrors, yet is long enough that a
            // loaded 2-core machine (simulators in this same process) does not time out honest calls.
            const config = {
              ...parsed,
              providers: Object.fromEntries(
                Object.entries(parsed.providers).map(([id, p]) => [
                  id,
                  { ...p, settings: { ...p.settings, timeoutMs: 2000 } }
                ])
              )
            }
            const one = (i: number): Effect.Effect<Outcome, never, LLMOrchestrator> => {
              const streamed = i % 2 === 0
              let sawText = false
              const request = {
                messages: [{ role: "user" as const, content: `request ${i}` }],
                metadata: { n: String(i % 7) }
              }
              const run: Effect.Effect<unknown, LLMError, LLMOrchestrator> = streamed
                ? LLMOrchestrator.use((llm) =>
                    Stream.runForEach(llm.sendStreamingRequest(request), (e) =>
                      Effect.sync(() => {
                        if (e._tag === "TextDelta") sawText = true
                      })
                    )
                  )
                : LLMOrchestrator.use((llm) => llm.sendRequest(request))
              return run.pipe(
                Effect.exit,
                Effect.map((exit): Outcome => {
                  if (Exit.isSuccess(exit)) return { kind: "response", streamed }
                  const error = Cause.findErrorOption(exit.cause)
                  if (error._tag === "Some" && isLLMError(error.value))
                    return { kind: "error", error: error.value, streamed, afterText: sawText }
                  return { kind: "defect", cause: Cause.pretty(exit.cause) }
                }),
                // Worst case: 5 models x 2 tries x (2 s timeout + retry wait), well below this deadline.
                Effect.timeoutOrElse({
                  duration: "40 seconds",
                  orElse: () =>
                    Effect.sync(() => {
                      if (process.env.LOAD_DEBUG) {
                        const seen = Object.values(fleet)
                          .filter((sim): sim is typeof fleet.openai => typeof sim === "object" && "requests" in sim)
                          .flatMap((sim) =>
                            sim.requests
                              .filter((r) => r.rawBody.includes(`request ${i}"`))
                              .map((r) => `${sim.protocol}:${r.kind}:${r.model}:${r.abortedAt ? "aborted" : "open"}`)
                          )
                        console.log(`hung ${i} streamed=${streamed}: ${seen.join(" | ")}`)
                      }
                      return { kind: "hung" } as const
                    })
                })
              )
            }
            return yield* Effect.gen(function* () {
              const results = yield* Effect.forEach(
                Array.from({ length: REQUESTS }, (_, i) => i),
                one,
                { concurrency: "unbounded" }
              )
              return { results, sessionCost: yield* LLMOrchestrator.use((llm) => llm.getSessionCost) }
            }).pipe(Effect.provide(layerFromConfig(config)))
          })
        )
        const { results: outcomes, sessionCost } = run
        process.off("unhandledRejection", onUnhandled)

        const defects = outcomes.filter((o) => o.kind === "defect")
        expect(defects, JSON.stringify(defects.slice(0, 3))).toHaveLength(0)
        expect(outcomes.filter((o) => o.kind === "hung")).toHaveLength(0)
        expect(unhandled).toBe(0)
        const responses = outcomes.filter((o) => o.kind === "response").length
        const errors = outcomes.filter((o): o is Extract<Outcome, { kind: "error" }> => o.kind === "error")
        if (process.env.LOAD_DEBUG) {
          const tally: Record<string, number> = {}
          for (const e of errors)
            tally[`${e.error._tag}:${e.error.provider}`] = (tally[`${e.error._tag}:${e.error.provider}`] ?? 0) + 1
          console.log("errors", JSON.stringify(tally), "sample", errors[0]?.error.message)
        }
        expect(responses + errors.length).toBe(REQUESTS)
        expect(responses).toBeGreaterThan(0)
        const cutStreams = errors.filter((e) => e.streamed && e.afterText).length
        expect(cutStreams).toBeGreaterThan(0)

        // One cost line per token-consuming attempt: every answer, and every stream cut after its first text.
        const log = readLog(logPath)
        expect(log).toHaveLength(responses + cutStreams)
        const keys = new Set(log.map((r) => `${r.requestId}#${r.attempt}`))
        expect(keys.size).toBe(log.length) // nothing recorded twice
        expect(log.filter((r) => r.outcome === "success")).toHaveLength(responses)
        const logged = log.reduce((sum, r) => sum + (r.cost?.total ?? 0), 0)
        expect(Math.abs(logged - sessionCost)).toBeLessThan(1e-9)
        const tags = new Set(errors.map((e) => e.error._tag))
        console.log(
          `seed ${seed}: ${responses} responses, ${errors.length} typed errors (${[...tags].join(", ")}), ${cutStreams} cut streams, ${log.length} cost lines`
        )

        // Nothing left open: sockets and timers back to where they were (the layer and fleet are closed).
        // Connections the kernel was still completing when they were aborted finish closing shortly.
        let after = resourceCounts()
        for (let i = 0; i < 50 && (after.TCPSocketWrap ?? 0) > (before.TCPSocketWrap ?? 0); i++) {
          yield* Effect.sleep("100 millis")
          after = resourceCounts()
        }
        for (const kind of ["TCPSocketWrap", "TCPServerWrap", "Timeout"])
          expect(after[kind] ?? 0, `${kind} left open: ${JSON.stringify({ before, after })}`).toBeLessThanOrEqual(
            before[kind] ?? 0
          )
      })
    )
  }
}, 120_000)
