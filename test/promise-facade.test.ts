/**
 * The Promise facade's lifecycle, through `createOrchestrator` against the simulators with a real cost
 * log: aborts end every call with a typed error (a cut stream throws, it never looks complete),
 * `close()` interrupts running work and bills it before the log is closed, `flush()` makes the log
 * complete, and no listener outlives its call on a shared AbortSignal.
 */
import { getEventListeners } from "node:events"
import { join } from "node:path"
import { type SimulatorFleet, startSimulatorFleet } from "@llm-orchestrator/testing"
import {
  type CallOptions,
  checkConfig,
  createOrchestrator,
  type Orchestrator,
  type OrchestratorConfig,
  RequestAbortedError
} from "llm-orchestrator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { parse, stringify } from "yaml"
import { guardUnhandledRejections, waitForRequest } from "./reliability-support.ts"
import { readLog, tempDir, user, writeConfig } from "./support.ts"

guardUnhandledRejections()

const model = "gpt-4o-mini"
const words = Array.from({ length: 40 }, (_, i) => `w${i} `)
/** A stream that takes 10 s to finish: whatever ends it early is the facade, not the simulator. */
const slowStream = { kind: "text", text: words.join(""), chunks: words, chunkDelayMs: 250 } as const

let fleet: SimulatorFleet
beforeAll(async () => {
  fleet = await startSimulatorFleet()
})
afterAll(() => fleet.close())

/** A fresh orchestrator over the fleet (OpenAI active) with a cost log of its own. */
const orchestrator = async (): Promise<{ llm: Orchestrator; logPath: string }> => {
  fleet.openai.reset()
  const dir = tempDir()
  const logPath = join(dir, "costs.jsonl")
  const llm = await createOrchestrator(writeConfig(fleet, { costLogPath: logPath }, dir))
  return { llm, logPath }
}

/** How a for-await loop over `iterable` ended: normally, or with the thrown error. */
const consume = async <A>(iterable: AsyncIterable<A>, onItem: (item: A) => void = () => {}) => {
  try {
    for await (const item of iterable) onItem(item)
    return { ended: "normally" as const }
  } catch (error) {
    return { ended: "thrown" as const, error }
  }
}

const abortListeners = (signal: AbortSignal) => getEventListeners(signal, "abort").length

describe("close()", () => {
  it("interrupts 20 running streams with a typed error, bills all 20, and resolves once the log has them", async () => {
    const { llm, logPath } = await orchestrator()
    const count = 20
    fleet.openai.scriptModel(model, ...Array.from({ length: count }, () => slowStream))
    let started = 0
    let allStarted!: () => void
    const everyStreamHasText = new Promise<void>((resolve) => {
      allStarted = resolve
    })
    const runs = Array.from({ length: count }, (_, i) => {
      let first = true
      return consume(llm.sendStreamingRequest(user(`stream ${i}`)), () => {
        if (first && ++started === count) allStarted()
        first = false
      })
    })
    await everyStreamHasText
    await llm.close()
    // Read at once: close() resolved, so the log must already be complete.
    const records = readLog(logPath)
    const endings = await Promise.all(runs)
    expect(endings.map((e) => e.ended)).toEqual(Array(count).fill("thrown"))
    for (const ending of endings)
      expect(ending.ended === "thrown" && ending.error).toMatchObject({
        _tag: "OrchestratorClosedError",
        message: expect.stringContaining("closed")
      })
    expect(records).toHaveLength(count)
    expect(new Set(records.map((r) => r.requestId)).size).toBe(count)
    for (const record of records)
      expect(record).toMatchObject({ provider: "openai", stream: true, outcome: "interrupted", usageEstimated: true })
    // None of them ran to its end on the wire: close() aborted every HTTP request.
    const streams = fleet.openai.requests.filter((r) => r.kind === "stream")
    expect(streams).toHaveLength(count)
    await Promise.all(streams.map((r) => fleet.openai.waitForAbort(r, 2000)))
  })

  it("interrupts a running sendRequest with a typed error", async () => {
    const { llm } = await orchestrator()
    fleet.openai.scriptModel(model, { kind: "hang" })
    const pending = llm.sendRequest(user("wait"))
    await waitForRequest(fleet.openai.requests, 0)
    await llm.close()
    await expect(pending).rejects.toMatchObject({ _tag: "OrchestratorClosedError", provider: "openai", model })
    await fleet.openai.waitForAbort(fleet.openai.requests.at(-1)!, 2000)
  })

  it("refuses every call made afterwards with a typed error; close() and flush() stay callable", async () => {
    const { llm } = await orchestrator()
    const closing = llm.close()
    expect(llm.close()).toBe(closing)
    await closing
    const closed = { _tag: "OrchestratorClosedError", message: expect.stringContaining("createOrchestrator") }
    await expect(llm.sendRequest(user("hello"))).rejects.toMatchObject(closed)
    expect(await consume(llm.streamEvents(user("hello")))).toMatchObject({ ended: "thrown", error: closed })
    expect(await consume(llm.sendStreamingRequest(user("hello")))).toMatchObject({ ended: "thrown", error: closed })
    await expect(llm.getAvailableModels()).rejects.toMatchObject(closed)
    await expect(llm.refreshModels("openai")).rejects.toMatchObject(closed)
    await expect(llm.getSessionCost()).rejects.toMatchObject(closed)
    await expect(llm.getCostReport()).rejects.toMatchObject(closed)
    await llm.flush()
    await llm.close()
    expect(fleet.openai.requests).toEqual([])
  })
})

describe("AbortSignal", () => {
  it("an aborted sendRequest rejects with RequestAbortedError, before or during the call", async () => {
    const { llm } = await orchestrator()
    try {
      fleet.openai.scriptModel(model, { kind: "hang" })
      const controller = new AbortController()
      const pending = llm.sendRequest(user("wait"), { signal: controller.signal })
      await waitForRequest(fleet.openai.requests, 0)
      controller.abort()
      const aborted = {
        _tag: "RequestAbortedError",
        message: "request aborted by the caller's AbortSignal",
        provider: "openai",
        model
      }
      await expect(pending).rejects.toMatchObject(aborted)
      await expect(pending).rejects.toBeInstanceOf(RequestAbortedError)
      await fleet.openai.waitForAbort(fleet.openai.requests.at(-1)!, 2000)
      // Already aborted: refused without sending anything.
      await expect(llm.sendRequest(user("late"), { signal: controller.signal })).rejects.toMatchObject(aborted)
      await expect(llm.getAvailableModels("openai", { signal: controller.signal })).rejects.toMatchObject({
        _tag: "RequestAbortedError",
        provider: "openai"
      })
      await expect(llm.refreshModels(undefined, { signal: controller.signal })).rejects.toMatchObject({
        _tag: "RequestAbortedError"
      })
      expect(fleet.openai.requests).toHaveLength(1)
    } finally {
      await llm.close()
    }
  })

  for (const method of ["streamEvents", "sendStreamingRequest"] as const) {
    it(`an aborted ${method} throws RequestAbortedError (never a normal end) and is billed once`, async () => {
      const { llm, logPath } = await orchestrator()
      const stream = (request: ReturnType<typeof user>, options: CallOptions): AsyncIterable<unknown> =>
        llm[method](request, options)
      const received: Array<unknown> = []
      try {
        fleet.openai.scriptModel(model, slowStream)
        const controller = new AbortController()
        const ending = await consume(stream(user("count"), { signal: controller.signal }), (item) => {
          received.push(item)
          if (received.length === 2) controller.abort()
        })
        expect(ending).toMatchObject({
          ended: "thrown",
          error: { _tag: "RequestAbortedError", message: expect.stringContaining("aborted"), provider: "openai" }
        })
        expect(received).toHaveLength(2)
        await fleet.openai.waitForAbort(fleet.openai.requests.at(-1)!, 2000)
        // A signal already aborted: the first next() throws, nothing is sent.
        expect(await consume(stream(user("late"), { signal: controller.signal }))).toMatchObject({
          ended: "thrown",
          error: { _tag: "RequestAbortedError" }
        })
        expect(fleet.openai.requests).toHaveLength(1)
      } finally {
        await llm.close()
      }
      expect(readLog(logPath)).toMatchObject([{ outcome: "interrupted", stream: true }])
    })
  }

  it("a stream aborted while its consumer waits for the next chunk throws at once", async () => {
    const { llm } = await orchestrator()
    try {
      fleet.openai.scriptModel(model, { kind: "stream-fault", text: "a b c", afterChunks: 1, fault: "hang" })
      const controller = new AbortController()
      const iterator = llm.streamEvents(user("wait"), { signal: controller.signal })[Symbol.asyncIterator]()
      expect(await iterator.next()).toMatchObject({ done: false, value: { _tag: "TextDelta" } })
      const next = iterator.next()
      controller.abort()
      await expect(next).rejects.toMatchObject({ _tag: "RequestAbortedError" })
      // Thrown once; the iterator is finished afterwards.
      expect(await iterator.next()).toEqual({ done: true, value: undefined })
    } finally {
      await llm.close()
    }
  })

  it("5,000 calls sharing one signal leave no listener on it once each call ends, however it ends", async () => {
    const { llm } = await orchestrator()
    const shared = new AbortController().signal
    const options = { signal: shared }
    const ends = ["stream-complete", "stream-break", "stream-error", "events-complete", "request", "request-error"]
    try {
      for (let call = 0; call < 5000; call++) {
        const end = ends[call % ends.length]!
        if (end.endsWith("error")) fleet.openai.scriptModel(model, { kind: "error", fault: "invalid-request" })
        else fleet.openai.scriptModel(model, { kind: "text", text: "one two three" })
        let during = -1
        switch (end) {
          case "stream-complete":
          case "stream-error": {
            const ending = await consume(llm.sendStreamingRequest(user("hi"), options), () => {
              during = abortListeners(shared)
            })
            expect(ending.ended).toBe(end === "stream-complete" ? "normally" : "thrown")
            break
          }
          case "stream-break":
            for await (const _ of llm.sendStreamingRequest(user("hi"), options)) {
              during = abortListeners(shared)
              break
            }
            break
          case "events-complete":
            expect((await consume(llm.streamEvents(user("hi"), options))).ended).toBe("normally")
            break
          case "request": {
            const pending = llm.sendRequest(user("hi"), options)
            during = abortListeners(shared)
            await pending
            break
          }
          case "request-error": {
            const pending = llm.sendRequest(user("hi"), options)
            during = abortListeners(shared)
            await expect(pending).rejects.toMatchObject({ _tag: "InvalidRequestError" })
            break
          }
        }
        // The call listened while it ran, and stopped listening when it ended.
        if (during !== -1) expect({ call, end, during }).toEqual({ call, end, during: 1 })
        if (abortListeners(shared) !== 0)
          expect({ call, end, after: abortListeners(shared) }).toEqual({ call, end, after: 0 })
      }
    } finally {
      await llm.close()
    }
    expect(abortListeners(shared)).toBe(0)
  }, 180_000)
})

describe("flush()", () => {
  it("resolves once every response so far is a line of the cost log", async () => {
    const { llm, logPath } = await orchestrator()
    try {
      const responses = 7
      for (let i = 0; i < responses - 2; i++) await llm.sendRequest(user(`request ${i}`))
      for (let i = 0; i < 2; i++) expect((await consume(llm.streamEvents(user(`stream ${i}`)))).ended).toBe("normally")
      await llm.flush()
      const records = readLog(logPath)
      expect(records).toHaveLength(responses)
      expect(records.every((r) => r.outcome === "success")).toBe(true)
    } finally {
      await llm.close()
    }
  })
})

describe("createOrchestrator's argument", () => {
  const configError = (message: string) => ({ _tag: "ConfigError", message: expect.stringContaining(message) })

  it("something that is neither a path, nor a config file's object, nor a config: a ConfigError saying what to pass", async () => {
    const create = createOrchestrator as (config?: unknown) => Promise<Orchestrator>
    await expect(create(42)).rejects.toMatchObject(configError("path of a YAML config file"))
    await expect(create(null)).rejects.toMatchObject(configError("path of a YAML config file"))
    await expect(create({ activeProvider: "openai" })).rejects.toMatchObject(configError("loadConfig()"))
  })

  it("no argument: the file LLM_ORCHESTRATOR_CONFIG names, else ./llm-orchestrator.yaml", async () => {
    const saved = process.env.LLM_ORCHESTRATOR_CONFIG
    try {
      delete process.env.LLM_ORCHESTRATOR_CONFIG
      await expect(createOrchestrator()).rejects.toMatchObject(
        configError("config file ./llm-orchestrator.yaml not found")
      )
      process.env.LLM_ORCHESTRATOR_CONFIG = writeConfig(fleet, { costLogPath: join(tempDir(), "costs.jsonl") })
      fleet.openai.reset()
      const llm = await createOrchestrator()
      try {
        expect((await llm.sendRequest(user("hi"))).provider).toBe("openai")
      } finally {
        await llm.close()
      }
    } finally {
      if (saved === undefined) delete process.env.LLM_ORCHESTRATOR_CONFIG
      else process.env.LLM_ORCHESTRATOR_CONFIG = saved
    }
  })

  it("the object a config file holds (YAML keys, plain-string keys) works as the file would", async () => {
    fleet.openai.reset()
    const fileObject = parse(fleet.configYaml({ costLogPath: join(tempDir(), "costs.jsonl") })) as Record<
      string,
      unknown
    >
    const llm = await createOrchestrator(fileObject)
    try {
      const response = await llm.sendRequest(user("hi"))
      expect(response.provider).toBe("openai")
      expect(response.content.length).toBeGreaterThan(0)
    } finally {
      await llm.close()
    }
  })

  it("a config file's object with mistakes: the problems checkConfig finds in the same file, never the key", async () => {
    const fileObject = {
      active_provider: "openai",
      active_model: model,
      providers: { openai: { api_key: "sk-plain-string-key-0000", fallback_modles: ["gpt-4o"] } },
      cost_tracking: { budget_usd: -3 }
    }
    const failure = createOrchestrator(fileObject)
    await expect(failure).rejects.toMatchObject({ _tag: "ConfigError" })
    const problems = (await failure.catch((error: { problems: unknown }) => error.problems)) as unknown
    expect(problems).toEqual(checkConfig(stringify(fileObject)))
    expect(problems).toHaveLength(2)
    await expect(failure).rejects.not.toMatchObject(configError("sk-plain-string-key"))
  })

  it("a parsed config with a plain-string key: a ConfigError saying how to fix it", async () => {
    const plainKey = {
      activeProvider: "openai",
      activeModel: model,
      providers: { openai: { apiKey: "sk-plain-string-key", fallbackModels: [], api: "chat" } },
      retry: { maxAttempts: 1, initialDelayMs: 10, maxDelayMs: 10, maxRetryAfterMs: 10 },
      fallback: { chain: [], onContentFilter: false },
      circuitBreaker: { failureThreshold: 5, cooldownMs: 1000 },
      discovery: { validate: false, ttlMs: 1000 },
      costTracking: { enabled: false, prices: {} }
    }
    const failure = createOrchestrator(plainKey as unknown as OrchestratorConfig)
    await expect(failure).rejects.toMatchObject({ _tag: "ConfigError", path: "providers.openai.api_key" })
    await expect(failure).rejects.toMatchObject(configError("Redacted"))
    // The key itself is never repeated in the message.
    await expect(failure).rejects.not.toMatchObject(configError("sk-plain-string-key"))
  })
})
