/**
 * Bad input and hostile providers. Invalid request shapes fail with InvalidRequestError before any
 * network call, through the Effect API and the Promise facade. Hostile responses (a 20 MB body, a
 * stream of thousands of chunks, invalid JSON, invalid UTF-8, SSE cut mid-line, truncated or corrupt
 * Bedrock event-stream frames, a proxy's HTML 502, an empty 200) end in a response or a typed
 * LLMError, for every provider the format applies to: never a defect, a hang, or an unhandled rejection.
 * The hostile bodies are built with each simulator's own renderer, then broken, and served raw.
 */
import type { ChatRequest, LLMError, StreamEvent } from "@llm-orchestrator/core"
import {
  type FleetProvider,
  type Frame,
  type RecordedRequest,
  type RenderContext,
  type Reply,
  type SimulatorFleet,
  startSimulatorFleet
} from "@llm-orchestrator/testing"
import { Cause, Exit, ManagedRuntime, Stream } from "effect"
import { createOrchestrator, isLLMError, LLMOrchestrator, layerFromConfig } from "llm-orchestrator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { activeModels, guardUnhandledRejections, parseReliabilityConfig, providers } from "./reliability-support.ts"
import { user } from "./support.ts"

guardUnhandledRejections()

let fleet: SimulatorFleet
beforeAll(async () => {
  fleet = await startSimulatorFleet()
})
afterAll(async () => {
  await fleet?.close()
})

const totalRequests = () => providers.reduce((sum, p) => sum + fleet[p].requests.length, 0)

// ---- Bad input --------------------------------------------------------------------------------------

const invalidRequests: ReadonlyArray<readonly [string, unknown]> = [
  ["empty messages", { messages: [] }],
  ["no messages", {}],
  ["not an object", null],
  ["unknown role", { messages: [{ role: "robot", content: "hi" }] }],
  ["negative maxTokens", { messages: [{ role: "user", content: "hi" }], maxTokens: -5 }],
  ["fractional maxTokens", { messages: [{ role: "user", content: "hi" }], maxTokens: 1.5 }],
  ["temperature above range", { messages: [{ role: "user", content: "hi" }], temperature: 2.5 }],
  ["temperature below range", { messages: [{ role: "user", content: "hi" }], temperature: -0.1 }],
  ["temperature not a number", { messages: [{ role: "user", content: "hi" }], temperature: "hot" }],
  ["numeric content", { messages: [{ role: "user", content: 42 }] }],
  ["object content", { messages: [{ role: "user", content: { text: "hi" } }] }],
  ["non-text content part", { messages: [{ role: "user", content: [{ type: "image", url: "x" }] }] }],
  ["only system messages", { messages: [{ role: "system", content: "be brief" }] }],
  ["topP zero", { messages: [{ role: "user", content: "hi" }], topP: 0 }],
  ["empty stop sequence", { messages: [{ role: "user", content: "hi" }], stop: [""] }],
  ["numeric metadata tag", { messages: [{ role: "user", content: "hi" }], metadata: { tenant: 7 } }]
]

describe("invalid requests fail before any network call", () => {
  for (const provider of providers) {
    it(`${provider}: Effect API and Promise facade, plain and streamed`, async () => {
      const config = await parseReliabilityConfig(fleet, { activeProvider: provider })
      const runtime = ManagedRuntime.make(layerFromConfig(config))
      const facade = await createOrchestrator(config)
      const before = totalRequests()
      try {
        for (const [label, request] of invalidRequests) {
          const bad = request as ChatRequest
          const plain = await runtime.runPromiseExit(LLMOrchestrator.use((llm) => llm.sendRequest(bad)))
          const streamed = await runtime.runPromiseExit(
            LLMOrchestrator.use((llm) => Stream.runCollect(llm.sendStreamingRequest(bad)))
          )
          const rejected = await facade.sendRequest(bad).then(
            () => undefined,
            (error: unknown) => error
          )
          const iterated = await (async () => {
            for await (const _ of facade.sendStreamingRequest(bad)) void _
          })().then(
            () => undefined,
            (error: unknown) => error
          )
          for (const [how, error] of [
            ["Effect sendRequest", failureOf(plain)],
            ["Effect stream", failureOf(streamed)],
            ["facade sendRequest", rejected],
            ["facade stream", iterated]
          ] as const) {
            expect(error, `${label} via ${how}`).toMatchObject({ _tag: "InvalidRequestError", provider })
            expect((error as LLMError).message).toMatch(/^invalid request: /)
          }
        }
      } finally {
        await facade.close()
        await runtime.dispose()
      }
      expect(totalRequests()).toBe(before)
    })
  }
})

// ---- Hostile responses ------------------------------------------------------------------------------

type Outcome =
  | { readonly kind: "response"; readonly content: string; readonly finishReason: string }
  | { readonly kind: "error"; readonly tag: string; readonly status: number | undefined; readonly message: string }
  | { readonly kind: "defect"; readonly cause: string }

const failureOf = (exit: Exit.Exit<unknown, unknown>): unknown =>
  Exit.isFailure(exit) ? Cause.squash(exit.cause) : undefined

const outcomeOf = (exit: Exit.Exit<{ content: string; finishReason: string }, unknown>): Outcome => {
  if (Exit.isSuccess(exit))
    return { kind: "response", content: exit.value.content, finishReason: exit.value.finishReason }
  const failure = exit.cause.reasons.find((r) => r._tag === "Fail")
  if (failure && failure._tag === "Fail" && isLLMError(failure.error))
    return { kind: "error", tag: failure.error._tag, status: failure.error.status, message: failure.error.message }
  return { kind: "defect", cause: Cause.pretty(exit.cause) }
}

/** Runs one call with a deadline: a hang is a failure of the test, not a stuck suite. */
const withDeadline = <A>(promise: Promise<A>, ms: number, what: string): Promise<A> =>
  Promise.race([
    promise,
    new Promise<never>((_, reject) => setTimeout(() => reject(new Error(`${what} hung for ${ms} ms`)), ms).unref())
  ])

const callPlain = async (provider: FleetProvider, runtime: ManagedRuntime.ManagedRuntime<LLMOrchestrator, unknown>) =>
  outcomeOf(
    await withDeadline(
      runtime.runPromiseExit(LLMOrchestrator.use((llm) => llm.sendRequest(user("hostile")))),
      20_000,
      `${provider} plain`
    )
  )

/** A stream call folded into the same shape: all text, the finish reason. */
const callStream = async (provider: FleetProvider, runtime: ManagedRuntime.ManagedRuntime<LLMOrchestrator, unknown>) =>
  outcomeOf(
    await withDeadline(
      runtime.runPromiseExit(
        LLMOrchestrator.use((llm) =>
          Stream.runFold(
            llm.sendStreamingRequest(user("hostile")),
            () => ({ content: "", finishReason: "none" }),
            (acc, event: StreamEvent) => {
              if (event._tag === "TextDelta") acc.content += event.text
              else if (event._tag === "Finish") acc.finishReason = event.finishReason
              return acc
            }
          )
        )
      ),
      20_000,
      `${provider} stream`
    )
  )

/** What the simulator would send for `text`, rendered by its own adapter, as raw parts to break. */
const rendered = (
  fleet: SimulatorFleet,
  provider: FleetProvider,
  call: RecordedRequest,
  text: string,
  chunks?: Array<string>
) => {
  const sim = fleet[provider]
  const pieces = chunks ?? [text]
  const ctx: RenderContext = {
    call,
    api: undefined,
    model: activeModels[provider],
    requestId: "req_hostile000000000000000",
    usage: {
      inputTokens: 10,
      outputTokens: pieces.length,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0
    },
    finishReason: "stop",
    text,
    chunks: pieces
  }
  const frames: Array<Frame> = [
    ...sim.adapter.streamStart(ctx),
    ...pieces.map((piece, index) => sim.adapter.streamDelta(ctx, piece, index)),
    ...sim.adapter.streamEnd(ctx)
  ]
  return {
    generate: sim.adapter.generate(ctx),
    streamHeaders: sim.adapter.streamHeaders(ctx),
    frames: frames.map((f) => (typeof f === "string" ? Buffer.from(f, "utf8") : Buffer.from(f)))
  }
}

const raw = (status: number, headers: Readonly<Record<string, string>>, body: Buffer | string): Reply => ({
  kind: "cassette",
  status,
  headers,
  bodyBase64: Buffer.from(body).toString("base64")
})

/** A real request of each kind, recorded once, so rendered bodies match what the SDK asked for. */
const sampleCalls = async (
  provider: FleetProvider,
  runtime: ManagedRuntime.ManagedRuntime<LLMOrchestrator, unknown>
) => {
  const sim = fleet[provider]
  await runtime.runPromise(LLMOrchestrator.use((llm) => llm.sendRequest(user("sample"))))
  const generateCall = sim.requests.filter((r) => r.kind === "generate").at(-1)!
  await runtime.runPromise(LLMOrchestrator.use((llm) => Stream.runDrain(llm.sendStreamingRequest(user("sample")))))
  const streamCall = sim.requests.filter((r) => r.kind === "stream").at(-1)!
  return { generateCall, streamCall }
}

const hostileRuntime = async (provider: FleetProvider) =>
  ManagedRuntime.make(
    layerFromConfig(
      await parseReliabilityConfig(fleet, {
        activeProvider: provider,
        noFallback: true,
        timeout: "10s",
        extraYaml: "retry:\n  max_attempts: 1"
      })
    )
  )

const expectTyped = (outcome: Outcome, tags: ReadonlyArray<string>, what: string) => {
  expect(outcome.kind, `${what}: ${JSON.stringify(outcome).slice(0, 400)}`).toBe("error")
  if (outcome.kind === "error") expect(tags, `${what}: ${outcome.tag} ${outcome.message}`).toContain(outcome.tag)
}

describe("hostile responses end in a response or a typed error", () => {
  for (const provider of providers) {
    it(`${provider}`, async () => {
      const runtime = await hostileRuntime(provider)
      const sim = fleet[provider]
      const model = activeModels[provider]
      const results: Record<string, Outcome> = {}
      try {
        const { generateCall, streamCall } = await sampleCalls(provider, runtime)

        // 20 MB of text in one JSON response: read in full.
        const huge = "All work and no play makes a huge response. ".repeat(Math.ceil(20_000_000 / 44))
        const hugeBody = rendered(fleet, provider, generateCall, huge).generate
        sim.scriptModel(model, raw(hugeBody.status, hugeBody.headers, Buffer.from(hugeBody.body)))
        results.huge = await callPlain(provider, runtime)
        expect(results.huge.kind).toBe("response")
        if (results.huge.kind === "response") expect(results.huge.content.length).toBe(huge.length)

        // Thousands of stream chunks, through the simulator's normal streaming.
        const manyChunks = Array.from({ length: 5000 }, (_, i) => `c${i} `)
        sim.scriptModel(model, { kind: "text", text: manyChunks.join(""), chunks: manyChunks })
        results.manyChunks = await callStream(provider, runtime)
        expect(results.manyChunks).toEqual({ kind: "response", content: manyChunks.join(""), finishReason: "stop" })

        // Invalid JSON with status 200.
        sim.scriptModel(model, raw(200, { "content-type": "application/json" }, '{"id": "x", "choices": [{"mess'))
        results.invalidJson = await callPlain(provider, runtime)
        expectTyped(results.invalidJson, ["NetworkError"], "invalid JSON")

        // Valid JSON of the wrong shape.
        sim.scriptModel(model, raw(200, { "content-type": "application/json" }, '{"unexpected": [1, 2, 3]}'))
        results.wrongShape = await callPlain(provider, runtime)
        expectTyped(results.wrongShape, ["NetworkError"], "wrong shape")

        // Invalid UTF-8 bytes inside the answer's text: decoded with replacement characters.
        const marker = "MARKER"
        const withMarker = rendered(fleet, provider, generateCall, `before ${marker} after`).generate
        const badUtf8 = Buffer.from(
          Buffer.from(withMarker.body)
            .toString("latin1")
            .replace(marker, Buffer.from([0xff, 0xfe, 0xc3, 0x28]).toString("latin1")),
          "latin1"
        )
        sim.scriptModel(model, raw(withMarker.status, withMarker.headers, badUtf8))
        results.badUtf8 = await callPlain(provider, runtime)
        // ff, fe and a lone c3 lead byte are each one replacement character; the "(" after c3 survives.
        expect(results.badUtf8).toEqual({
          kind: "response",
          content: "before \uFFFD\uFFFD\uFFFD( after",
          finishReason: "stop"
        })

        // The same in a stream.
        const streamed = rendered(fleet, provider, streamCall, "one two three", ["one ", marker, " three"])
        const streamBytes = Buffer.concat(streamed.frames)
        if (provider !== "bedrock") {
          const badStream = Buffer.from(
            streamBytes.toString("latin1").replace(marker, Buffer.from([0xff, 0xfe]).toString("latin1")),
            "latin1"
          )
          sim.scriptModel(model, raw(200, streamed.streamHeaders, badStream))
          results.badUtf8Stream = await callStream(provider, runtime)
          expect(results.badUtf8Stream).toMatchObject({ kind: "response", content: "one \uFFFD\uFFFD three" })

          // Well-formed SSE whose events are foreign JSON: no text, no finish.
          const foreign = 'data: {"unexpected":true}\n\n'.repeat(3)
          sim.scriptModel(model, raw(200, streamed.streamHeaders, foreign))
          results.foreignStream = await callStream(provider, runtime)
          expectTyped(results.foreignStream, ["NetworkError"], "foreign SSE events")

          // An SSE stream cut in the middle of a JSON line (the body simply ends there).
          const frames = streamed.frames
          const cut = Buffer.concat([...frames.slice(0, -2), frames.at(-2)!.subarray(0, 20)])
          sim.scriptModel(model, raw(200, streamed.streamHeaders, cut))
          results.cutMidLine = await callStream(provider, runtime)
          expectTyped(results.cutMidLine, ["NetworkError"], "SSE cut mid-line")
        } else {
          // Bedrock event-stream frames: truncated, a wrong prelude CRC, a wrong message CRC, a bogus length.
          const frames = streamed.frames
          const variants: Record<string, Buffer> = {
            truncated: Buffer.concat([...frames.slice(0, 2), frames[2]!.subarray(0, frames[2]!.length - 7)]),
            preludeCrc: Buffer.concat([...frames.slice(0, 2), flip(frames[2]!, 9), ...frames.slice(3)]),
            messageCrc: Buffer.concat([
              ...frames.slice(0, 2),
              flip(frames[2]!, frames[2]!.length - 1),
              ...frames.slice(3)
            ]),
            hugeLength: Buffer.concat([...frames.slice(0, 2), Buffer.from([0x7f, 0xff, 0xff, 0xff, 0, 0, 0, 0])])
          }
          for (const [name, body] of Object.entries(variants)) {
            sim.scriptModel(model, raw(200, streamed.streamHeaders, body))
            results[name] = await callStream(provider, runtime)
            expectTyped(results[name]!, ["NetworkError"], `event stream ${name}`)
          }
        }

        // A proxy's HTML error page.
        const html = "<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
        sim.scriptModel(model, raw(502, { "content-type": "text/html" }, html))
        results.html502 = await callPlain(provider, runtime)
        expectTyped(results.html502, ["ProviderUnavailableError"], "HTML 502")
        if (results.html502.kind === "error") expect(results.html502.status).toBe(502)
        sim.scriptModel(model, raw(502, { "content-type": "text/html" }, html))
        results.html502Stream = await callStream(provider, runtime)
        expectTyped(results.html502Stream, ["ProviderUnavailableError"], "HTML 502 (stream)")

        // An empty 200.
        sim.scriptModel(model, raw(200, { "content-type": "application/json" }, ""))
        results.empty = await callPlain(provider, runtime)
        expectTyped(results.empty, ["NetworkError"], "empty 200")
        sim.scriptModel(model, raw(200, streamed.streamHeaders, ""))
        results.emptyStream = await callStream(provider, runtime)
        expectTyped(results.emptyStream, ["NetworkError"], "empty 200 (stream)")
      } finally {
        await runtime.dispose()
        console.log(
          provider,
          Object.fromEntries(Object.entries(results).map(([k, o]) => [k, o.kind === "error" ? o.tag : o.kind]))
        )
      }
      for (const outcome of Object.values(results)) expect(outcome.kind).not.toBe("defect")
    }, 60_000)
  }
})

const flip = (frame: Buffer, at: number): Buffer => {
  const copy = Buffer.from(frame)
  copy[at] = (copy[at] ?? 0) ^ 0xff
  return copy
}
