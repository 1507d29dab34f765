/**
 * Interrupting requests and streams at random points, through every way a user can stop one: Effect
 * fiber interruption of `sendRequest` and of a stream consumer, a consumer that stops pulling, the
 * Promise facade's AbortSignal, and `break` out of the facade's AsyncIterable. Each must abort the HTTP
 * request at once (the simulator sees the connection close), bill a cut stream exactly once, and leave
 * no socket or timer behind. The cut points come from a seeded PRNG; the seed is printed.
 */
import { join } from "node:path"
import type { CostRecord, StreamEvent } from "@llm-orchestrator/core"
import type { FleetProvider, Simulator, SimulatorFleet } from "@llm-orchestrator/testing"
import { Cause, Deferred, Effect, Exit, Fiber, ManagedRuntime, Stream } from "effect"
import { createOrchestrator, LLMOrchestrator, layerFromConfig } from "llm-orchestrator"
import { describe, expect, it } from "vitest"
import {
  activeModels,
  baselineCensus,
  expectNoLeaks,
  guardUnhandledRejections,
  parseReliabilityConfig,
  providers,
  seededRandom,
  sleep,
  testSeed,
  waitForRequest,
  withFleet
} from "./reliability-support.ts"
import { readLog, tempDir } from "./support.ts"

const random = seededRandom(testSeed("interruption"))
guardUnhandledRejections()

const words = "one two three four five six seven eight nine ten eleven twelve".split(" ").map((w) => `${w} `)

/** The last request of `sim` must see its connection closed within 200 ms. */
const expectAborted = async (sim: Simulator) => {
  const request = sim.requests.at(-1)
  expect(request).toBeDefined()
  await sim.waitForAbort(request!, 200)
}

/** Providers that report usage while streaming (so a cut stream bills real counts, not an estimate). */
const reportsUsageMidStream: Record<FleetProvider, boolean> = {
  openai: false, // include_usage: only the last chunk
  bedrock: false, // the final metadata event
  anthropic: true, // message_start
  gemini: true, // usageMetadata on every chunk
  vertex: true
}

type CutMethod = "stream-take" | "fiber-interrupt" | "facade-break" | "facade-signal"
const cutMethods: ReadonlyArray<CutMethod> = ["stream-take", "fiber-interrupt", "facade-break", "facade-signal"]

/** Both APIs over one fleet: an Effect runtime and a Promise facade, each with its own cost log. */
const orchestrators = async (fleet: SimulatorFleet, provider: FleetProvider) => {
  const dir = tempDir("llm-orchestrator-interruption-")
  const effectLog = join(dir, "effect-costs.jsonl")
  const facadeLog = join(dir, "facade-costs.jsonl")
  const options = { activeProvider: provider, timeout: "10s", noFallback: true }
  const runtime = ManagedRuntime.make(
    layerFromConfig(await parseReliabilityConfig(fleet, { ...options, costLogPath: effectLog }))
  )
  const facade = await createOrchestrator(await parseReliabilityConfig(fleet, { ...options, costLogPath: facadeLog }))
  return { runtime, facade, effectLog, facadeLog }
}

/** Consumes `events` until `take` text deltas arrived, then stops it the way `method` says. */
const cutStreamAfter = async (
  method: CutMethod,
  take: number,
  { runtime, facade }: Awaited<ReturnType<typeof orchestrators>>,
  request: { messages: Array<{ role: "user"; content: string }> }
): Promise<Array<string>> => {
  const texts: Array<string> = []
  switch (method) {
    case "stream-take":
      // The consumer simply stops pulling after `take` deltas.
      await runtime.runPromise(
        LLMOrchestrator.use((llm) =>
          llm.sendStreamingRequest(request).pipe(
            Stream.filter((e): e is Extract<StreamEvent, { _tag: "TextDelta" }> => e._tag === "TextDelta"),
            Stream.take(take),
            Stream.runForEach((e) => Effect.sync(() => texts.push(e.text)))
          )
        )
      )
      return texts
    case "fiber-interrupt": {
      // A forked consumer interrupted from outside once it has seen `take` deltas.
      const program = Effect.gen(function* () {
        const enough = yield* Deferred.make<void>()
        const consumer = yield* LLMOrchestrator.use((llm) =>
          Stream.runForEach(llm.sendStreamingRequest(request), (e) =>
            e._tag === "TextDelta"
              ? Effect.suspend(() => {
                  texts.push(e.text)
                  return texts.length === take ? Deferred.succeed(enough, undefined) : Effect.void
                })
              : Effect.void
          )
        ).pipe(Effect.forkChild)
        yield* Deferred.await(enough)
        yield* Fiber.interrupt(consumer)
      })
      await runtime.runPromise(program)
      return texts
    }
    case "facade-break":
      for await (const text of facade.sendStreamingRequest(request)) {
        texts.push(text)
        if (texts.length === take) break
      }
      return texts
    case "facade-signal": {
      const controller = new AbortController()
      const iterate = async () => {
        for await (const text of facade.sendStreamingRequest(request, { signal: controller.signal })) {
          texts.push(text)
          if (texts.length === take) controller.abort()
        }
      }
      // Aborting ends the iteration with a typed error, never as if the answer were complete.
      await expect(iterate()).rejects.toMatchObject({ _tag: "RequestAbortedError" })
      return texts
    }
  }
}

describe("a stream cut at a random point", () => {
  for (const provider of providers) {
    it(`${provider}: aborts the HTTP request, bills the cut stream once, leaks nothing`, async () => {
      const before = await baselineCensus()
      const rounds = cutMethods.map((method) => ({ method, take: random.int(1, words.length - 2) }))
      await withFleet(async (fleet) => {
        const sim = fleet[provider]
        const both = await orchestrators(fleet, provider)
        const expected: Array<{ method: CutMethod; take: number; prompt: string; inputTokens: number }> = []
        try {
          for (const [index, { method, take }] of rounds.entries()) {
            // A distinct input-token count per round ties each cost line to its round.
            const inputTokens = 1000 + index * 111
            sim.scriptModel(activeModels[provider], {
              kind: "text",
              text: words.join(""),
              chunks: words,
              chunkDelayMs: 20,
              usage: { inputTokens, outputTokens: 60 }
            })
            const prompt = `round ${index}: ${"count slowly ".repeat(index + 1)}`
            const texts = await cutStreamAfter(method, take, both, { messages: [{ role: "user", content: prompt }] })
            expect({ method, texts }).toEqual({ method, texts: words.slice(0, take) })
            await expectAborted(sim)
            expected.push({ method, take, prompt, inputTokens })
          }
        } finally {
          await both.facade.close()
          await both.runtime.dispose()
        }
        const streamRequests = sim.requests.filter((r) => r.kind === "stream")
        expect(streamRequests).toHaveLength(rounds.length)
        expect(streamRequests.every((r) => r.abortedAt !== undefined)).toBe(true)

        const records: Array<CostRecord> = [...readLog(both.effectLog), ...readLog(both.facadeLog)]
        // Exactly one line per cut stream: none lost, none duplicated.
        expect(records).toHaveLength(rounds.length)
        expect(new Set(records.map((r) => r.requestId)).size).toBe(rounds.length)
        for (const round of expected) {
          const inLog = round.method.startsWith("facade") ? readLog(both.facadeLog) : readLog(both.effectLog)
          const record = reportsUsageMidStream[provider]
            ? inLog.find((r) => r.usage.inputTokens === round.inputTokens)
            : inLog.find((r) => r.usage.inputTokens === Math.ceil(round.prompt.length / 4))
          expect(record, `${round.method} after ${round.take} deltas`).toBeDefined()
          expect(record).toMatchObject({ provider, outcome: "interrupted", stream: true, attempt: 1 })
          const delivered = words.slice(0, round.take).join("").length
          if (reportsUsageMidStream[provider]) {
            expect(record!.usageEstimated).toBeUndefined()
            // Anthropic's message_start says 1 output token; Gemini's chunks carry a growing share of 60.
            expect(record!.usage.outputTokens).toBeGreaterThanOrEqual(
              provider === "anthropic" ? 1 : Math.floor((60 * round.take) / words.length)
            )
            expect(record!.usage.outputTokens).toBeLessThan(60)
          } else {
            // No usage before the end: estimated from the text delivered (at least what the consumer got).
            expect(record!.usageEstimated).toBe(true)
            expect(record!.usage.outputTokens).toBeGreaterThanOrEqual(Math.ceil(delivered / 4))
            expect(record!.usage.outputTokens).toBeLessThanOrEqual(Math.ceil(words.join("").length / 4))
          }
          expect(record!.cost?.total).toBeGreaterThan(0)
        }
      })
      await expectNoLeaks(before)
    })
  }
})

describe("a request interrupted at a random point", () => {
  for (const provider of providers) {
    it(`${provider}: fiber interruption and AbortSignal abort sendRequest at once; nothing is billed`, async () => {
      const before = await baselineCensus()
      await withFleet(async (fleet) => {
        const sim = fleet[provider]
        const both = await orchestrators(fleet, provider)
        try {
          // Effect: interrupt the fiber while the provider has not answered yet. Its answer is due in 5 s:
          // an interrupt that waited for the call would let it complete, and the simulator would see no abort.
          sim.scriptModel(activeModels[provider], { kind: "text", text: "too late", firstByteDelayMs: 5000 })
          const fiber = both.runtime.runFork(
            LLMOrchestrator.use((llm) => llm.sendRequest({ messages: [{ role: "user", content: "wait" }] }))
          )
          await waitForRequest(sim.requests, 0)
          await sleep(random.int(0, 40))
          // The fiber ends as interrupted, not with an answer or an error.
          await both.runtime.runPromise(Fiber.interrupt(fiber))
          const exit = await both.runtime.runPromise(Fiber.await(fiber))
          expect(Exit.isFailure(exit) && Cause.hasInterruptsOnly(exit.cause)).toBe(true)
          await expectAborted(sim)

          // Promise facade: the AbortSignal rejects the call and aborts the request.
          sim.scriptModel(activeModels[provider], { kind: "text", text: "too late", firstByteDelayMs: 5000 })
          const controller = new AbortController()
          const pending = both.facade.sendRequest(
            { messages: [{ role: "user", content: "wait" }] },
            { signal: controller.signal }
          )
          await waitForRequest(sim.requests, 1)
          await sleep(random.int(0, 40))
          controller.abort()
          await expect(pending).rejects.toMatchObject({ _tag: "RequestAbortedError" })
          await expectAborted(sim)

          // An interrupted stream that never produced text: aborted too.
          sim.scriptModel(activeModels[provider], { kind: "hang" })
          const streamFiber = both.runtime.runFork(
            LLMOrchestrator.use((llm) =>
              Stream.runDrain(llm.sendStreamingRequest({ messages: [{ role: "user", content: "wait" }] }))
            )
          )
          await waitForRequest(sim.requests, 2)
          await sleep(random.int(0, 40))
          await both.runtime.runPromise(Fiber.interrupt(streamFiber))
          await expectAborted(sim)

          // The same orchestrators still answer afterwards.
          const ok = await both.facade.sendRequest({ messages: [{ role: "user", content: "still there?" }] })
          expect(ok.provider).toBe(provider)
        } finally {
          await both.facade.close()
          await both.runtime.dispose()
        }
        expect(sim.requests.filter((r) => r.kind !== "models").map((r) => r.abortedAt !== undefined)).toEqual([
          true,
          true,
          true,
          false
        ])
        // Only the answered request consumed tokens.
        expect(readLog(both.effectLog)).toEqual([])
        expect(readLog(both.facadeLog).map((r) => r.outcome)).toEqual(["success"])
      })
      await expectNoLeaks(before)
    })
  }

  it("anthropic: a stream interrupted after message_start (input billed) but before any text is billed once", async () => {
    const before = await baselineCensus()
    await withFleet(async (fleet) => {
      const sim = fleet.anthropic
      const both = await orchestrators(fleet, "anthropic")
      try {
        sim.scriptModel(activeModels.anthropic, {
          kind: "stream-fault",
          text: "never sent",
          afterChunks: 0,
          fault: "hang",
          usage: { inputTokens: 777, outputTokens: 5 }
        })
        const fiber = both.runtime.runFork(
          LLMOrchestrator.use((llm) =>
            Stream.runDrain(llm.sendStreamingRequest({ messages: [{ role: "user", content: "start" }] }))
          )
        )
        await waitForRequest(sim.requests, 0)
        await sleep(50 + random.int(0, 40)) // message_start is on the wire by now
        await both.runtime.runPromise(Fiber.interrupt(fiber))
        await expectAborted(sim)
      } finally {
        await both.facade.close()
        await both.runtime.dispose()
      }
      const records = readLog(both.effectLog)
      expect(records).toHaveLength(1)
      expect(records[0]).toMatchObject({
        provider: "anthropic",
        outcome: "interrupted",
        stream: true,
        usage: { inputTokens: 777, outputTokens: 1 }
      })
    })
    await expectNoLeaks(before)
  })
})
