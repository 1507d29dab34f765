/**
 * Every attempt and every request ends, through the real SDKs against the simulators: a stream that
 * sends only empty deltas (no progress) times out and falls back, a stream that keeps sending text
 * is never cut, the request deadline ends a chain that keeps failing, model listings that never end
 * stop at their cap, can be interrupted, and never hang a request that validates its model.
 */

import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { Attempt, StreamEvent } from "@llm-orchestrator/core"
import {
  type FleetProvider,
  fleetProviders,
  json,
  type Simulator,
  type SimulatorFleet,
  simulatorFleet
} from "@llm-orchestrator/testing"
import { Effect, Fiber, Stream } from "effect"
import { LLMOrchestrator, layerFromConfig, parseConfig } from "llm-orchestrator"
import { readLog, tempDir, user } from "./support.ts"

const attemptsOf = (attempts: ReadonlyArray<Attempt>) =>
  attempts.map((a) => `${a.provider}/${a.model}:${a.outcome}${a.errorTag ? `:${a.errorTag}` : ""}`)

/** The fleet's orchestrator: `provider` lines added to every provider, `extraYaml` at the top level. */
const orchestrator = (options: {
  readonly activeProvider?: FleetProvider
  readonly provider?: ReadonlyArray<string>
  /** Default: one try per model. */
  readonly extraYaml?: string
}) =>
  Effect.gen(function* () {
    const fleet = yield* simulatorFleet()
    const logPath = join(tempDir(), "costs.jsonl")
    const yaml = fleet
      .configYaml({
        ...(options.activeProvider ? { activeProvider: options.activeProvider } : {}),
        costLogPath: logPath,
        extraYaml: options.extraYaml ?? "retry:\n  max_attempts: 1"
      })
      .replace(/^( {4}base_url: .*)$/gm, `$1${(options.provider ?? []).map((line) => `\n    ${line}`).join("")}`)
    const config = yield* parseConfig(yaml)
    return { fleet, logPath, layer: layerFromConfig(config) }
  })

/** A plain request through the orchestrator `layer` builds. */
const ask = (layer: Effect.Success<ReturnType<typeof orchestrator>>["layer"]) =>
  LLMOrchestrator.use((llm) => llm.sendRequest(user("hi"))).pipe(Effect.provide(layer))

/** Collects a stream's text and its Finish, or its failure. */
const collect = (stream: Stream.Stream<StreamEvent, unknown>) =>
  Effect.gen(function* () {
    let text = ""
    let finish: (StreamEvent & { _tag: "Finish" }) | undefined
    const exit = yield* Effect.exit(
      Stream.runForEach(stream, (event) =>
        Effect.sync(() => {
          if (event._tag === "TextDelta") text += event.text
          else if (event._tag === "Finish") finish = event
        })
      )
    )
    return { text, finish, exit }
  })

const failureOf = (exit: { readonly _tag: string }) =>
  (exit as { cause?: { reasons?: ReadonlyArray<{ error?: unknown }> } }).cause?.reasons?.[0]?.error as
    | { _tag: string; message: string; timeoutMs?: number }
    | undefined

const emptyDeltas = (count: number) => Array.from({ length: count }, () => "")

describe("streams end: only text is progress", () => {
  it.live("empty deltas every 300 ms and no text: the 2 s timeout ends the attempt and the next model answers", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* orchestrator({ activeProvider: "anthropic", provider: ["timeout: 2s"] })
      // 40 empty deltas 300 ms apart: 12 s of a stream that says nothing.
      fleet.anthropic.scriptModel("claude-sonnet-4-6", {
        kind: "text",
        text: "",
        chunks: emptyDeltas(40),
        chunkDelayMs: 300
      })
      const { text, finish, exit } = yield* LLMOrchestrator.use((llm) =>
        collect(llm.sendStreamingRequest(user("hi")))
      ).pipe(Effect.provide(layer))
      expect(exit._tag).toBe("Success")
      expect(text).toContain("claude-haiku-4-5-20251001")
      expect(attemptsOf(finish!.attempts)).toEqual([
        "anthropic/claude-sonnet-4-6:error:TimeoutError",
        "anthropic/claude-haiku-4-5-20251001:success"
      ])
      const first = fleet.anthropic.requests.find((r) => r.model === "claude-sonnet-4-6")!
      yield* Effect.promise(() => fleet.anthropic.waitForAbort(first, 1000))
    }).pipe(Effect.scoped)
  )

  it.live(
    "empty deltas every 300 ms after the first text: the 2 s idle limit ends the stream with a TimeoutError",
    () =>
      Effect.gen(function* () {
        // `timeout: 2s` alone: the idle limit defaults to it when it is shorter than 60 s.
        const { fleet, layer } = yield* orchestrator({ provider: ["timeout: 2s"] })
        fleet.openai.scriptModel("gpt-4o-mini", {
          kind: "text",
          text: "Hello",
          chunks: ["Hello", ...emptyDeltas(40)],
          chunkDelayMs: 300
        })
        const { text, exit } = yield* LLMOrchestrator.use((llm) => collect(llm.sendStreamingRequest(user("hi")))).pipe(
          Effect.provide(layer)
        )
        expect(text).toBe("Hello")
        expect(exit._tag).toBe("Failure")
        expect(failureOf(exit)).toMatchObject({ _tag: "TimeoutError", timeoutMs: 2000 })
        expect(failureOf(exit)!.message).toContain("providers.openai.idle_timeout")
        yield* Effect.promise(() => fleet.openai.waitForAbort(fleet.openai.requests.at(-1)!, 1000))
      }).pipe(Effect.scoped)
  )

  it.live("text every 300 ms for 3 s with a 1 s idle limit completes: every text restarts the timer", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* orchestrator({ provider: ["timeout: 5s", "idle_timeout: 1s"] })
      const words = Array.from({ length: 11 }, (_, i) => `w${i} `)
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "text", text: words.join(""), chunks: words, chunkDelayMs: 300 })
      const { text, finish, exit } = yield* LLMOrchestrator.use((llm) =>
        collect(llm.sendStreamingRequest(user("hi")))
      ).pipe(Effect.provide(layer))
      expect(exit._tag).toBe("Success")
      expect(text).toBe(words.join(""))
      expect(attemptsOf(finish!.attempts)).toEqual(["openai/gpt-4o-mini:success"])
    }).pipe(Effect.scoped)
  )

  it.live("a stream that stalls after its text ends at an explicit idle_timeout, however long `timeout` is", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* orchestrator({ provider: ["timeout: 30s", "idle_timeout: 500ms"] })
      fleet.openai.scriptModel("gpt-4o-mini", {
        kind: "stream-fault",
        text: "one two three",
        afterChunks: 2,
        fault: "hang"
      })
      const { text, exit } = yield* LLMOrchestrator.use((llm) => collect(llm.sendStreamingRequest(user("hi")))).pipe(
        Effect.provide(layer)
      )
      expect(text).toBe("one two ")
      expect(failureOf(exit)).toMatchObject({ _tag: "TimeoutError", timeoutMs: 500 })
    }).pipe(Effect.scoped)
  )

  it.live("a usage-only first event (message_start) then a failure before any text falls back, billed once", () =>
    Effect.gen(function* () {
      const { fleet, layer, logPath } = yield* orchestrator({ activeProvider: "anthropic" })
      fleet.anthropic.scriptModel("claude-sonnet-4-6", {
        kind: "stream-fault",
        text: "never sent",
        afterChunks: 0,
        fault: "error-event",
        errorFault: "overloaded",
        usage: { inputTokens: 40 }
      })
      const { text, finish, exit } = yield* LLMOrchestrator.use((llm) =>
        collect(llm.sendStreamingRequest(user("hi")))
      ).pipe(Effect.provide(layer))
      expect(exit._tag).toBe("Success")
      expect(text).toContain("claude-haiku-4-5-20251001")
      expect(attemptsOf(finish!.attempts)).toEqual([
        "anthropic/claude-sonnet-4-6:error:ProviderUnavailableError",
        "anthropic/claude-haiku-4-5-20251001:success"
      ])
      const records = readLog(logPath)
      expect(records.map((r) => `${r.model}:${r.outcome}`)).toEqual([
        "claude-sonnet-4-6:error",
        "claude-haiku-4-5-20251001:success"
      ])
      expect(records[0]!.usage.inputTokens).toBe(40)
    }).pipe(Effect.scoped)
  )
})

describe("the request deadline", () => {
  it.live("a chain of models that keep answering 503 with backoff ends at request_timeout with a TimeoutError", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* orchestrator({
        extraYaml: "retry:\n  max_attempts: 100\n  initial_delay: 100ms\n  max_delay: 100ms\nrequest_timeout: 1s"
      })
      const unavailable = { kind: "error", fault: "unavailable" } as const
      fleet.openai.script(...Array.from({ length: 500 }, () => unavailable))
      const error = yield* Effect.flip(ask(layer))
      expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 1000 })
      expect(error.message).toContain("request_timeout")
      expect(error.message).toContain("ProviderUnavailableError")
      // Several tries happened, and none after the deadline (the one cut may still reach the simulator).
      const calls = () => fleet.openai.requests.filter((r) => r.kind !== "models").length
      yield* Effect.sleep("200 millis")
      const atDeadline = calls()
      expect(atDeadline).toBeGreaterThan(1)
      // Counted, not timed: each backoff is at least 80 ms (100 ms jittered by +-20 %, capped at 100 ms),
      // so a deadline kept at 1 s leaves room for at most 13 tries (at 0, 80, ..., 960 ms).
      expect(atDeadline).toBeLessThanOrEqual(Math.floor(1000 / 80) + 1)
      yield* Effect.sleep("500 millis")
      expect(calls()).toBe(atDeadline)
    }).pipe(Effect.scoped)
  )

  it.live("a stream whose every attempt hangs before its first text ends at request_timeout", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* orchestrator({ provider: ["timeout: 30s"], extraYaml: "request_timeout: 700ms" })
      fleet.openai.script({ kind: "hang" }, { kind: "hang" })
      const { exit } = yield* LLMOrchestrator.use((llm) => collect(llm.sendStreamingRequest(user("hi")))).pipe(
        Effect.provide(layer)
      )
      expect(failureOf(exit)).toMatchObject({ _tag: "TimeoutError", timeoutMs: 700 })
      expect(failureOf(exit)!.message).toContain("request_timeout")
      yield* Effect.promise(() => fleet.openai.waitForAbort(fleet.openai.requests.at(-1)!, 1000))
    }).pipe(Effect.scoped)
  )
})

describe("the request deadline, watched by the orchestrator where a provider call cannot see it", () => {
  it.live("discovery.validate's model lookup, whose listing never answers, ends at request_timeout", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* orchestrator({
        provider: ["timeout: 30s"],
        extraYaml: "retry:\n  max_attempts: 1\ndiscovery:\n  validate: true\nrequest_timeout: 600ms"
      })
      fleet.openai.setModelListing(() => undefined)
      const started = performance.now()
      const error = yield* Effect.flip(ask(layer))
      expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 600 })
      expect(error.message).toContain("request_timeout")
      expect(performance.now() - started).toBeLessThan(5_000)
      // Nothing was sent: the request was still checking its model.
      expect(fleet.openai.requests.map((r) => r.kind)).toEqual(["models"])
    }).pipe(Effect.scoped)
  )
})

describe("the request deadline, handed to each provider call", () => {
  // The built-in adapters honour the deadline themselves (no watchdog fiber): each provider's call is
  // cut at request_timeout, not at its own much longer timeout.
  for (const provider of fleetProviders)
    it.live(`${provider}: a call that never answers ends at request_timeout and its HTTP request is aborted`, () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* orchestrator({
          activeProvider: provider,
          provider: ["timeout: 30s"],
          extraYaml: "retry:\n  max_attempts: 1\nrequest_timeout: 500ms"
        })
        fleet[provider].script({ kind: "hang" })
        const started = performance.now()
        const error = yield* Effect.flip(ask(layer))
        expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 500 })
        expect(error.message).toBe(
          "the request did not complete within its 500 ms deadline (request_timeout), retries and fallbacks included; raise request_timeout, or set it to none"
        )
        expect(performance.now() - started).toBeLessThan(5_000)
        yield* Effect.promise(() => fleet[provider].waitForAbort(fleet[provider].requests.at(-1)!, 1000))
      }).pipe(Effect.scoped)
    )

  it.live(
    "a per-attempt timeout sooner than the deadline is the attempt's own TimeoutError, and the chain goes on",
    () =>
      Effect.gen(function* () {
        const { fleet, logPath, layer } = yield* orchestrator({
          provider: ["timeout: 300ms"],
          extraYaml: "retry:\n  max_attempts: 1\nrequest_timeout: 20s"
        })
        fleet.openai.scriptModel("gpt-4o-mini", { kind: "hang" })
        fleet.openai.scriptModel("gpt-4o", { kind: "text", text: "second" })
        const response = yield* ask(layer)
        expect(response.content).toBe("second")
        expect(attemptsOf(response.attempts)).toEqual([
          "openai/gpt-4o-mini:error:TimeoutError",
          "openai/gpt-4o:success"
        ])
        expect(readLog(logPath).map((r) => `${r.model}:${r.outcome}`)).toEqual(["gpt-4o:success"])
      }).pipe(Effect.scoped)
  )

  it.live("the same for a stream: its first text is due within the per-attempt timeout when that is sooner", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* orchestrator({
        provider: ["timeout: 300ms"],
        extraYaml: "retry:\n  max_attempts: 1\nrequest_timeout: 20s"
      })
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "hang" })
      fleet.openai.scriptModel("gpt-4o", { kind: "hang" })
      const { exit } = yield* LLMOrchestrator.use((llm) => collect(llm.sendStreamingRequest(user("hi")))).pipe(
        Effect.provide(layer)
      )
      expect(failureOf(exit)).toMatchObject({ _tag: "TimeoutError", timeoutMs: 300 })
      expect(failureOf(exit)!.message).toBe(
        "openai model gpt-4o sent no text within 300 ms (providers.openai.timeout); raise providers.openai.timeout if this model is that slow, or set it to none"
      )
    }).pipe(Effect.scoped)
  )

  it.live(
    "a call cut by the deadline after a fallback: the error names the attempts before it, nothing is billed for it",
    () =>
      Effect.gen(function* () {
        const { fleet, logPath, layer } = yield* orchestrator({
          provider: ["timeout: 30s"],
          extraYaml: "retry:\n  max_attempts: 1\nrequest_timeout: 600ms"
        })
        fleet.openai.scriptModel("gpt-4o-mini", { kind: "error", fault: "unavailable" })
        fleet.openai.scriptModel("gpt-4o", { kind: "hang" })
        const error = yield* Effect.flip(ask(layer))
        expect(error).toMatchObject({ _tag: "TimeoutError", provider: "openai", model: "gpt-4o-mini", timeoutMs: 600 })
        expect(error.message).toContain("(attempts so far: openai/gpt-4o-mini ProviderUnavailableError)")
        expect(fleet.openai.requests.filter((r) => r.kind !== "models").map((r) => r.model)).toEqual([
          "gpt-4o-mini",
          "gpt-4o"
        ])
        yield* Effect.promise(() => fleet.openai.waitForAbort(fleet.openai.requests.at(-1)!, 1000))
        expect(readLog(logPath)).toEqual([])
      }).pipe(Effect.scoped)
  )

  it.live("a backoff longer than what is left of the deadline ends at the deadline, without another try", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* orchestrator({
        extraYaml: "retry:\n  max_attempts: 3\n  initial_delay: 10s\n  max_delay: 10s\nrequest_timeout: 600ms"
      })
      // After the full 10 s backoff the second try would answer.
      fleet.openai.script({ kind: "error", fault: "unavailable" }, { kind: "text", text: "too late" })
      const error = yield* Effect.flip(ask(layer))
      expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 600 })
      expect(error.message).toContain("(attempts so far: openai/gpt-4o-mini ProviderUnavailableError)")
      expect(fleet.openai.requests.filter((r) => r.kind !== "models")).toHaveLength(1)
    }).pipe(Effect.scoped)
  )

  it.live("Anthropic's long generations, streamed underneath, are bounded by the deadline as a whole", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* orchestrator({
        activeProvider: "anthropic",
        provider: ["timeout: 30s"],
        extraYaml: "retry:\n  max_attempts: 1\nrequest_timeout: 800ms"
      })
      // Text at once, then more every 100 ms for 4 s: a plain call's deadline does not stop at the first text.
      fleet.anthropic.script({ kind: "text", text: "word ".repeat(40), chunks: 40, chunkDelayMs: 100 })
      const error = yield* LLMOrchestrator.use((llm) => llm.sendRequest({ ...user("hi"), maxTokens: 30_000 })).pipe(
        Effect.provide(layer),
        Effect.flip
      )
      expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 800 })
      expect(error.message).toContain("request_timeout")
      expect(fleet.anthropic.requests.at(-1)!.body).toMatchObject({ stream: true, max_tokens: 30_000 })
      yield* Effect.promise(() => fleet.anthropic.waitForAbort(fleet.anthropic.requests.at(-1)!, 1000))
    }).pipe(Effect.scoped)
  )

  it.live("a stream that has sent text runs past the deadline: from then on only idle_timeout bounds it", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* orchestrator({ extraYaml: "retry:\n  max_attempts: 1\nrequest_timeout: 400ms" })
      fleet.openai.script({ kind: "text", text: "one two three four five six seven eight", chunkDelayMs: 150 })
      const { text, exit } = yield* LLMOrchestrator.use((llm) => collect(llm.sendStreamingRequest(user("hi")))).pipe(
        Effect.provide(layer)
      )
      expect(exit._tag).toBe("Success")
      expect(text).toBe("one two three four five six seven eight")
    }).pipe(Effect.scoped)
  )

  it.live("a 404's model suggestions are looked up only until the deadline", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* orchestrator({
        provider: ["timeout: 30s"],
        extraYaml: "retry:\n  max_attempts: 1\nrequest_timeout: 600ms"
      })
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "error", fault: "model-not-found" })
      fleet.openai.setModelListing(() => undefined)
      const started = performance.now()
      const error = yield* Effect.flip(ask(layer))
      expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 600 })
      expect(performance.now() - started).toBeLessThan(5_000)
      expect(fleet.openai.requests.map((r) => r.kind)).toContain("models")
    }).pipe(Effect.scoped)
  )
})

/** An Anthropic listing that always has more: `perPage` new models a page, `has_more: true` forever. */
const endlessAnthropic = (sim: Simulator, perPage: number) => {
  let served = 0
  sim.setModelListing(() => {
    const data = Array.from({ length: perPage }, () => {
      served++
      return {
        type: "model",
        id: `claude-endless-${served}`,
        display_name: `Endless ${served}`,
        created_at: "2026-01-01T00:00:00Z"
      }
    })
    return json(200, { data, has_more: true, first_id: data[0]!.id, last_id: data.at(-1)!.id })
  })
}

/** A Gemini listing whose every page has a nextPageToken. */
const endlessGemini = (sim: Simulator, perPage: number) => {
  let served = 0
  sim.setModelListing(() => {
    const models = Array.from({ length: perPage }, () => {
      served++
      return { name: `models/gemini-endless-${served}`, supportedGenerationMethods: ["generateContent"] }
    })
    return json(200, { models, nextPageToken: `page-${served}` })
  })
}

const listingRequests = (sim: Simulator) => sim.requests.filter((r) => r.kind === "models").length

describe("model listings end", () => {
  // An endless listing per provider: where it stops, and what the typed error says about it.
  const endless = [
    {
      name: "an Anthropic listing with has_more forever stops at 50 pages with a typed error",
      provider: "anthropic" as const,
      start: (fleet: SimulatorFleet) => endlessAnthropic(fleet.anthropic, 1),
      message: "did not end within 50 pages and 10000 models",
      requests: 50
    },
    {
      name: "a Gemini listing with a nextPageToken forever stops at 10,000 models",
      provider: "gemini" as const,
      start: (fleet: SimulatorFleet) => endlessGemini(fleet.gemini, 1000),
      message: "read 11 pages, 11000 models",
      requests: 11
    }
  ]
  for (const listing of endless)
    it.live(listing.name, () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* orchestrator({ activeProvider: listing.provider })
        listing.start(fleet)
        const error = yield* LLMOrchestrator.use((llm) => llm.getAvailableModels(listing.provider)).pipe(
          Effect.provide(layer),
          Effect.flip
        )
        expect(error._tag).toBe("ProviderUnavailableError")
        expect(error.message).toContain(listing.message)
        expect(listingRequests(fleet[listing.provider])).toBe(listing.requests)
      }).pipe(Effect.scoped)
    )

  it.live("interrupting getAvailableModels aborts the listing's HTTP request", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* orchestrator({ activeProvider: "anthropic" })
      fleet.anthropic.setModelListing(() => undefined)
      yield* Effect.gen(function* () {
        const llm = yield* LLMOrchestrator
        const fiber = yield* Effect.forkChild(llm.getAvailableModels("anthropic"))
        while (listingRequests(fleet.anthropic) === 0) yield* Effect.sleep("10 millis")
        yield* Fiber.interrupt(fiber)
        const request = fleet.anthropic.requests.find((r) => r.kind === "models")!
        yield* Effect.promise(() => fleet.anthropic.waitForAbort(request, 1000))
      }).pipe(Effect.provide(layer))
    }).pipe(Effect.scoped)
  )

  it.live("discovery.validate with a listing that never ends does not hang the request", () =>
    Effect.gen(function* () {
      const { fleet, layer } = yield* orchestrator({
        activeProvider: "anthropic",
        extraYaml: "retry:\n  max_attempts: 1\ndiscovery:\n  validate: true"
      })
      endlessAnthropic(fleet.anthropic, 1)
      const response = yield* ask(layer)
      // The listing failed at its cap, and a failed listing never blocks a request.
      expect(attemptsOf(response.attempts)).toEqual(["anthropic/claude-sonnet-4-6:success"])
      expect(listingRequests(fleet.anthropic)).toBe(50)
    }).pipe(Effect.scoped)
  )
})
