/**
 * The transport the OpenAI and Anthropic SDKs are given (kit/transport.ts): through the real SDKs
 * against the simulators, which call it carries and which it leaves to `fetch` (`fetch` sends
 * `sec-fetch-mode`, undici's `request` does not), and, against a plain HTTP server, what it does with
 * answers the simulators never give (compressed bodies, bodiless statuses, repeated headers).
 */
import { execFile } from "node:child_process"
import * as http from "node:http"
import type { AddressInfo } from "node:net"
import * as zlib from "node:zlib"
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider } from "@llm-orchestrator/core"
import { anthropicSimulator, geminiSimulator, openaiSimulator, vertexSimulator } from "@llm-orchestrator/testing"
import { Effect, type Layer, Redacted } from "effect"
import { Agent, getGlobalDispatcher, request, setGlobalDispatcher } from "undici"
import { afterAll, beforeAll } from "vitest"
import { AnthropicProvider } from "../../src/anthropic/anthropic.ts"
import { GeminiProvider } from "../../src/google/gemini.ts"
import { VertexProvider } from "../../src/google/vertex.ts"
import { abortableBy, sdkFetch } from "../../src/kit/transport.ts"
import { OpenAIProvider } from "../../src/openai/openai.ts"

const hello: ChatRequest = { messages: [{ role: "user", content: "Hello" }] }

const providerOf = <E>(layer: Layer.Layer<LLMProvider, E>) => Effect.provide(Effect.service(LLMProvider), layer)
const openaiAt = (url: string) =>
  providerOf(OpenAIProvider.layer({ apiKey: Redacted.make("sk-transport-0123456789"), baseUrl: `${url}/v1` }))
const anthropicAt = (url: string) =>
  providerOf(AnthropicProvider.layer({ apiKey: Redacted.make("sk-ant-transport-0123456789"), baseUrl: url }))

describe("the SDKs' transport, through the real SDKs", () => {
  it.live("OpenAI, Anthropic, Gemini and Vertex calls go over undici's request, not fetch", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const openai = yield* openaiSimulator()
        const anthropic = yield* anthropicSimulator()
        const gemini = yield* geminiSimulator()
        const vertex = yield* vertexSimulator()
        const sims = [openai, anthropic, gemini, vertex]
        for (const sim of sims) sim.script({ kind: "text", text: "answered" })
        const providers = [
          yield* openaiAt(openai.url),
          yield* anthropicAt(anthropic.url),
          yield* providerOf(GeminiProvider.layer({ apiKey: Redacted.make("AIzaSy-transport"), baseUrl: gemini.url })),
          yield* providerOf(
            VertexProvider.layer({
              apiKey: Redacted.make("AIzaSy-transport"),
              project: "p",
              location: "us-central1",
              baseUrl: vertex.url
            })
          )
        ]
        const models = ["gpt-4o-mini", "claude-sonnet-4-6", "gemini-2.5-flash", "gemini-2.5-flash"]
        const answers: Array<string> = []
        for (const [i, provider] of providers.entries())
          answers.push((yield* provider.generate(hello, models[i]!)).content)
        expect(answers).toEqual(["answered", "answered", "answered", "answered"])
        const seen = sims.map((sim) => sim.requests.at(-1)!.headers)
        expect(seen.map((headers) => headers["sec-fetch-mode"])).toEqual([undefined, undefined, undefined, undefined])
        // The SDK's own headers arrive as it set them.
        expect([seen[0]!.authorization, seen[1]!.authorization, seen[2]!["x-goog-api-key"]]).toEqual([
          "Bearer sk-transport-0123456789",
          "Bearer sk-ant-transport-0123456789",
          "AIzaSy-transport"
        ])
      })
    )
  )

  it.live("a globalThis.fetch replaced after load (a mock, a wrapper) carries the calls instead", () =>
    Effect.scoped(
      Effect.gen(function* () {
        const sim = yield* openaiSimulator()
        sim.script({ kind: "text", text: "through the wrapper" })
        const provider = yield* openaiAt(sim.url)
        const original = globalThis.fetch
        const seen: Array<string> = []
        yield* Effect.acquireRelease(
          Effect.sync(() => {
            globalThis.fetch = (input, init) => {
              seen.push(String(input))
              return original(input, init)
            }
          }),
          () => Effect.sync(() => (globalThis.fetch = original))
        )
        const answer = yield* provider.generate(hello, "gpt-4o-mini")
        expect(answer.content).toBe("through the wrapper")
        expect(seen).toEqual([`${sim.url}/v1/chat/completions`])
        expect(sim.requests.at(-1)!.headers["sec-fetch-mode"]).toBe("cors")
      })
    )
  )
})

/** A plain HTTP server whose handler the test sets; it answers what the simulators never do. */
let handler: http.RequestListener = (_request, response) => response.end()
let base = ""
const server = http.createServer((request, response) => handler(request, response))
beforeAll(async () => {
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
})
afterAll(() => {
  server.closeAllConnections()
  return new Promise<void>((resolve) => server.close(() => resolve()))
})

/** What the server received: method, headers, body, read in full. */
const received = () => {
  const calls: Array<{ method: string; headers: http.IncomingHttpHeaders; body: string }> = []
  handler = (request, response) => {
    let body = ""
    request.on("data", (chunk) => (body += chunk))
    request.on("end", () => {
      calls.push({ method: request.method!, headers: request.headers, body })
      response.end("ok")
    })
  }
  return calls
}

describe("the SDKs' transport, against a plain server", () => {
  it("decodes gzip, x-gzip, deflate and br bodies; passes other codings through", async () => {
    const text = "a compressed answer ".repeat(50)
    const encoders: Record<string, (input: string) => Buffer> = {
      gzip: (input) => zlib.gzipSync(input),
      "x-gzip": (input) => zlib.gzipSync(input),
      deflate: (input) => zlib.deflateSync(input),
      br: (input) => zlib.brotliCompressSync(input),
      identity: (input) => Buffer.from(input)
    }
    const bodies: Record<string, string> = {}
    for (const coding of Object.keys(encoders)) {
      handler = (_request, response) => {
        response.writeHead(200, { "content-encoding": coding.toUpperCase() })
        response.end(encoders[coding]!(text))
      }
      bodies[coding] = await (await sdkFetch(`${base}/`)).text()
    }
    expect(bodies).toEqual({ gzip: text, "x-gzip": text, deflate: text, br: text, identity: text })
  })

  it("a body that fails to decode errors the read, not the process", async () => {
    handler = (_request, response) => {
      response.writeHead(200, { "content-encoding": "gzip" })
      response.end("not gzip at all")
    }
    const response = await sdkFetch(`${base}/`)
    await expect(response.text()).rejects.toThrow()
  })

  it("a body the server wrote in many pieces is read as one chunk once it has arrived", async () => {
    const pieces = Array.from({ length: 50 }, (_, i) => `data: {"n":${i}}\n\n`)
    let written!: () => void
    const allWritten = new Promise<void>((resolve) => (written = resolve))
    handler = (_request, response) => {
      response.writeHead(200, { "content-type": "text/event-stream" })
      // One write per event-loop turn: each piece reaches the client as a read of its own.
      const writeFrom = (i: number) => {
        if (i === pieces.length) return response.end(written)
        response.write(pieces[i])
        setImmediate(() => writeFrom(i + 1))
      }
      writeFrom(0)
    }
    const response = await sdkFetch(`${base}/`)
    await allWritten
    await new Promise((resolve) => setTimeout(resolve, 50))
    const chunks: Array<string> = []
    const decoder = new TextDecoder()
    for await (const chunk of response.body!) chunks.push(decoder.decode(chunk))
    expect(chunks).toEqual([pieces.join("")])
  })

  it("a connection cut before the body is read errors the read, not the process", async () => {
    handler = (_request, response) => {
      response.writeHead(200)
      response.write("the start of an answer", () => response.socket!.destroy())
    }
    const response = await sdkFetch(`${base}/`)
    // The cut arrives while nobody reads: the read fails with it; thrown unhandled, it would fail this run.
    await new Promise((resolve) => setTimeout(resolve, 50))
    await expect(response.text()).rejects.toThrow()
  })

  it("a body cancelled before its first read closes its connection", async () => {
    let closed!: () => void
    const connectionClosed = new Promise<string>((resolve) => (closed = () => resolve("closed")))
    handler = (_request, response) => {
      response.writeHead(200)
      response.write("an answer that never ends")
      response.on("close", closed)
    }
    const response = await sdkFetch(`${base}/`)
    await response.body!.cancel()
    const notClosed = new Promise<string>((resolve) => setTimeout(() => resolve("still open after 2 s"), 2_000))
    expect(await Promise.race([connectionClosed, notClosed])).toBe("closed")
  })

  it("bodiless statuses answer with no body; repeated headers stay apart", async () => {
    const answers: Array<unknown> = []
    for (const status of [204, 205, 304]) {
      handler = (_request, response) => {
        response.writeHead(status, [
          ["set-cookie", "a=1"],
          ["set-cookie", "b=2"],
          ["x-one", "1"]
        ])
        response.end()
      }
      const response = await sdkFetch(`${base}/`, { method: "DELETE" })
      answers.push([response.status, response.body, response.headers.getSetCookie(), response.headers.get("x-one")])
    }
    expect(answers).toEqual([204, 205, 304].map((status) => [status, null, ["a=1", "b=2"], "1"]))
  })

  it("sends the method, every header form and a text or bytes body; GET when none is named", async () => {
    const calls = received()
    await sdkFetch(new URL(`${base}/a`), { method: "POST", headers: new Headers({ "X-A": "1" }), body: "text" })
    await sdkFetch(`${base}/b`, { method: "PUT", headers: [["x-b", "2"]], body: new TextEncoder().encode("bytes") })
    await sdkFetch(`${base}/c`, { headers: { "x-c": "3" }, body: null })
    await sdkFetch(`${base}/d`)
    expect(calls.map((call) => [call.method, call.body])).toEqual([
      ["POST", "text"],
      ["PUT", "bytes"],
      ["GET", ""],
      ["GET", ""]
    ])
    expect(calls.map((call) => call.headers["x-a"] ?? call.headers["x-b"] ?? call.headers["x-c"] ?? "none")).toEqual([
      "1",
      "2",
      "3",
      "none"
    ])
    expect(calls.map((call) => call.headers["sec-fetch-mode"])).toEqual([undefined, undefined, undefined, undefined])
  })

  it("leaves to fetch what it does not carry: a Request object, form data, a stream body", async () => {
    const calls = received()
    await sdkFetch(new Request(`${base}/request`, { method: "POST", body: "in a Request" }))
    const form = new FormData()
    form.set("field", "value")
    await sdkFetch(`${base}/form`, { method: "POST", body: form })
    const stream = new ReadableStream({
      start: (controller) => {
        controller.enqueue(new TextEncoder().encode("streamed"))
        controller.close()
      }
    })
    await sdkFetch(`${base}/stream`, { method: "POST", body: stream, duplex: "half" } as RequestInit)
    expect(calls.map((call) => call.headers["sec-fetch-mode"])).toEqual(["cors", "cors", "cors"])
    expect([calls[0]!.body, calls[1]!.body.includes('name="field"'), calls[2]!.body]).toEqual([
      "in a Request",
      true,
      "streamed"
    ])
  })

  it("the global dispatcher's time limits do not cut a slow answer: the library's own timeouts bound calls", async () => {
    const previous = getGlobalDispatcher()
    setGlobalDispatcher(new Agent({ headersTimeout: 100, bodyTimeout: 100 }))
    try {
      handler = (request, response) => {
        // /headers: the headers come late; /body: the body stalls after its first part.
        const late = request.url === "/headers"
        if (!late) response.writeHead(200).write("slow ")
        // undici checks its limits on a coarse timer (about a second): the answer waits well past that.
        setTimeout(() => (late ? response.writeHead(200).end("slow answer") : response.end("answer")), 2_000)
      }
      const read = async (path: string) => (await sdkFetch(`${base}${path}`)).text()
      const [ours, plainHeaders, plainBody] = await Promise.all([
        Promise.all([read("/headers"), read("/body")]),
        // The same dispatcher cuts a plain undici request: the limits this transport turns off.
        request(`${base}/headers`).then(
          () => "not cut",
          (error) => error.code
        ),
        request(`${base}/body`)
          .then((answer) => answer.body.text())
          .then(
            () => "not cut",
            (error) => error.code
          )
      ])
      expect([ours, plainHeaders, plainBody]).toEqual([
        ["slow answer", "slow answer"],
        "UND_ERR_HEADERS_TIMEOUT",
        "UND_ERR_BODY_TIMEOUT"
      ])
    } finally {
      setGlobalDispatcher(previous)
    }
  })

  it("the application's fetch keeps Node's own dispatcher: undici loads after it, and shares it", async () => {
    // A fresh process: which dispatcher is global depends on what loaded first.
    const script = `
      const { sdkFetch } = await import(${JSON.stringify(new URL("../../src/kit/transport.ts", import.meta.url).href)})
      const answer = await sdkFetch(${JSON.stringify(`${base}/`)})
      await answer.text()
      const undici = await import("undici")
      console.log(JSON.stringify({ status: answer.status, undicisOwn: undici.getGlobalDispatcher() instanceof undici.Agent }))
    `
    handler = (_request, response) => response.end("ok")
    // Asynchronously: this process's server must answer the child.
    const printed = await new Promise<string>((resolve, reject) =>
      execFile(
        process.execPath,
        ["--input-type=module", "-e", script],
        { cwd: new URL("..", import.meta.url) },
        (error, stdout) => (error ? reject(error) : resolve(stdout))
      )
    )
    expect(JSON.parse(printed)).toEqual({ status: 200, undicisOwn: false })
  })

  it("an aborted signal rejects with an AbortError, as fetch does", async () => {
    handler = () => {} // never answers
    const controller = new AbortController()
    const pending = sdkFetch(`${base}/`, { signal: controller.signal })
    controller.abort()
    await expect(pending).rejects.toMatchObject({ name: "AbortError" })
  })

  describe("a call's controller, handed in fetchOptions (abortableBy) as the adapters do", () => {
    /** The init an SDK builds: its own signal, and the request options' `fetchOptions` spread in. */
    const sdkInit = (call: AbortController, sdkSignal: AbortSignal): RequestInit => ({
      method: "POST",
      body: "{}",
      signal: sdkSignal,
      ...abortableBy(call).fetchOptions
    })
    /** A server that never answers and says when the client closed the connection. */
    const neverAnswering = () => {
      let closed: () => void = () => {}
      const connectionClosed = new Promise<void>((resolve) => {
        closed = resolve
      })
      handler = (request) => request.socket.once("close", closed)
      return connectionClosed
    }

    it("aborting the call aborts the request and closes its connection", async () => {
      const connectionClosed = neverAnswering()
      const call = new AbortController()
      const pending = sdkFetch(`${base}/`, sdkInit(call, new AbortController().signal))
      await new Promise((resolve) => setTimeout(resolve, 50))
      call.abort()
      await expect(pending).rejects.toMatchObject({ name: "AbortError" })
      await connectionClosed
    })

    it("the SDK's own signal (its timeout, a stream it left) aborts the request too", async () => {
      const connectionClosed = neverAnswering()
      const call = new AbortController()
      const sdk = new AbortController()
      const pending = sdkFetch(`${base}/`, sdkInit(call, sdk.signal))
      await new Promise((resolve) => setTimeout(resolve, 50))
      sdk.abort()
      await expect(pending).rejects.toMatchObject({ name: "AbortError" })
      await connectionClosed
      expect(call.signal.aborted).toBe(true)
    })

    it("a call's controller works without an SDK signal", async () => {
      const connectionClosed = neverAnswering()
      const call = new AbortController()
      const pending = sdkFetch(`${base}/`, { method: "POST", body: "{}", ...abortableBy(call).fetchOptions })
      await new Promise((resolve) => setTimeout(resolve, 50))
      call.abort()
      await expect(pending).rejects.toMatchObject({ name: "AbortError" })
      await connectionClosed
    })

    it("an SDK signal aborted before the request rejects it at once", async () => {
      handler = () => {} // never answers
      const sdk = new AbortController()
      sdk.abort()
      await expect(sdkFetch(`${base}/`, sdkInit(new AbortController(), sdk.signal))).rejects.toMatchObject({
        name: "AbortError"
      })
    })

    it("a replaced globalThis.fetch gets the call's signal, not the private key alone", async () => {
      const realFetch = globalThis.fetch
      let seen: RequestInit | undefined
      globalThis.fetch = async (_input, init) => {
        seen = init
        return new Response("mocked")
      }
      try {
        const call = new AbortController()
        const answer = await sdkFetch(`${base}/`, sdkInit(call, new AbortController().signal))
        expect(await answer.text()).toBe("mocked")
        expect(seen?.signal).toBe(call.signal)
        expect(seen?.body).toBe("{}")
      } finally {
        globalThis.fetch = realFetch
      }
    })
  })
})
