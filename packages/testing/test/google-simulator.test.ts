/**
 * The real `@google/genai` SDK (Gemini API and Vertex AI modes) against the Google simulators:
 * paths, auth headers, plain and streamed bodies, pagination, every fault, and every recorded cassette.
 */

import { describe, expect, it } from "@effect/vitest"
import { ApiError, type GenerateContentResponse, GoogleGenAI, type Model } from "@google/genai"
import { OAuth2Client } from "google-auth-library"
import { afterAll, beforeAll, beforeEach } from "vitest"
import {
  type Cassette,
  cassetteReply,
  defaultGeminiModels,
  defaultVertexModels,
  type FaultKind,
  isStreamingCassette,
  loadCassettes,
  type Simulator,
  startGeminiSimulator,
  startVertexSimulator
} from "../src/index.ts"

const API_KEY = "gemini-test-key-123456"

const fakeAuthClient = () => {
  const client = new OAuth2Client()
  client.setCredentials({ access_token: "fake-vertex-token" }) // no expiry_date: never refreshed
  return client
}

const gemini = (sim: Simulator, apiVersion?: string) =>
  new GoogleGenAI({ apiKey: API_KEY, httpOptions: { baseUrl: sim.url, ...(apiVersion ? { apiVersion } : {}) } })

const vertex = (sim: Simulator) =>
  new GoogleGenAI({
    vertexai: true,
    project: "my-project",
    location: "us-central1",
    googleAuthOptions: { authClient: fakeAuthClient() },
    httpOptions: { baseUrl: sim.url }
  })

const partsText = (response: GenerateContentResponse | undefined): string =>
  (response?.candidates?.[0]?.content?.parts ?? [])
    .filter((part) => typeof part.text === "string" && !part.thought)
    .map((part) => part.text)
    .join("")

/** The Google RPC error an ApiError carries in its message (the SDK keeps no headers). */
const rpcOf = (error: unknown) => {
  expect(error).toBeInstanceOf(ApiError)
  const message = (error as ApiError).message
  return JSON.parse(message.slice(message.indexOf("{"))).error as {
    code: number
    status: string
    message: string
    details?: Array<Record<string, unknown>>
  }
}

const failure = async (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => {
      throw new Error("expected a failure")
    },
    (error: unknown) => error
  )

describe("Gemini API simulator with @google/genai", () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startGeminiSimulator()
  })
  afterAll(() => sim.close())
  beforeEach(() => {
    sim.reset()
  })

  it("answers a plain call in the Gemini body format, with thoughts outside candidatesTokenCount", async () => {
    sim.script({
      kind: "text",
      text: "Hello there",
      usage: { inputTokens: 12, outputTokens: 9, reasoningTokens: 4, cacheReadTokens: 3 }
    })
    const response = await gemini(sim).models.generateContent({
      model: "gemini-2.5-flash",
      contents: "hi",
      config: { systemInstruction: "be brief" }
    })
    expect(response.text).toBe("Hello there")
    expect(response.candidates?.[0]?.finishReason).toBe("STOP")
    expect(response.usageMetadata).toMatchObject({
      promptTokenCount: 12,
      candidatesTokenCount: 9 - 4,
      thoughtsTokenCount: 4,
      cachedContentTokenCount: 3,
      totalTokenCount: 12 + 9
    })
    expect(response.modelVersion).toBe("gemini-2.5-flash")
    const [request] = sim.requests
    expect(request?.path).toBe("/v1/models/gemini-2.5-flash:generateContent") // genai 3.x defaults to v1
    expect(request?.headers["x-goog-api-key"]).toBe(API_KEY)
    expect(request?.body).toMatchObject({
      contents: [{ role: "user", parts: [{ text: "hi" }] }],
      systemInstruction: { parts: [{ text: "be brief" }] }
    })
    expect(response.responseId).toMatch(/^req_/)
  })

  it("accepts every API version prefix", async () => {
    for (const version of ["v1beta", "v1alpha"]) {
      const response = await gemini(sim, version).models.generateContent({ model: "gemini-2.0-flash", contents: "x" })
      expect(response.text).toContain("gemini-2.0-flash")
    }
    expect(sim.requests.map((r) => r.path)).toEqual([
      "/v1beta/models/gemini-2.0-flash:generateContent",
      "/v1alpha/models/gemini-2.0-flash:generateContent"
    ])
  })

  it("streams SSE chunks with cumulative usage on every chunk and the finish reason on the last", async () => {
    sim.script({
      kind: "text",
      text: "one two three",
      chunks: ["one ", "two ", "three"],
      usage: { inputTokens: 7, outputTokens: 6, reasoningTokens: 2 }
    })
    const stream = await gemini(sim).models.generateContentStream({ model: "gemini-2.5-flash", contents: "count" })
    const chunks: Array<GenerateContentResponse> = []
    for await (const chunk of stream) chunks.push(chunk)
    expect(chunks.map((c) => c.text)).toEqual(["one ", "two ", "three"])
    expect(chunks.map((c) => c.candidates?.[0]?.finishReason)).toEqual([undefined, undefined, "STOP"])
    for (const chunk of chunks) expect(chunk.usageMetadata?.promptTokenCount).toBe(7)
    const counts = chunks.map((c) => c.usageMetadata?.candidatesTokenCount ?? 0)
    expect(counts).toEqual([...counts].sort((a, b) => a - b)) // cumulative, never shrinking
    expect(chunks.at(-1)?.usageMetadata).toMatchObject({
      candidatesTokenCount: 4,
      thoughtsTokenCount: 2,
      totalTokenCount: 13
    })
    expect(sim.requests[0]?.path).toBe("/v1/models/gemini-2.5-flash:streamGenerateContent")
    expect(sim.requests[0]?.query.get("alt")).toBe("sse")
  })

  it("lists every model through nextPageToken pages, embedding models without generateContent included", async () => {
    const pager = await gemini(sim).models.list()
    const models: Array<Model> = []
    for await (const model of pager) models.push(model)
    expect(models.map((m) => m.name)).toEqual(defaultGeminiModels.map((m) => `models/${m.id}`))
    expect(sim.requests.length).toBe(Math.ceil(defaultGeminiModels.length / 4))
    expect(sim.requests[1]?.query.get("pageToken")).toBe("page-4")
    const embedding = models.find((m) => m.name === "models/gemini-embedding-001")
    expect(embedding?.supportedActions).not.toContain("generateContent")
    const flash = models.find((m) => m.name === "models/gemini-2.5-flash")
    expect(flash).toMatchObject({
      displayName: "Gemini 2.5 Flash",
      inputTokenLimit: 1_048_576,
      outputTokenLimit: 65_536
    })
    expect(flash?.supportedActions).toContain("generateContent")
  })

  it("honours an explicit pageSize", async () => {
    const pager = await gemini(sim).models.list({ config: { pageSize: 100 } })
    expect(pager.page.length).toBe(defaultGeminiModels.length)
    expect(pager.hasNextPage()).toBe(false)
    expect(sim.requests[0]?.query.get("pageSize")).toBe("100")
  })

  const faults: ReadonlyArray<[FaultKind, number, string]> = [
    ["rate-limit", 429, "RESOURCE_EXHAUSTED"],
    ["overloaded", 503, "UNAVAILABLE"],
    ["unavailable", 503, "UNAVAILABLE"],
    ["server-error", 500, "INTERNAL"],
    ["auth", 400, "INVALID_ARGUMENT"],
    ["permission", 403, "PERMISSION_DENIED"],
    ["model-not-found", 404, "NOT_FOUND"],
    ["context-length", 400, "INVALID_ARGUMENT"],
    ["invalid-request", 400, "INVALID_ARGUMENT"]
  ]
  for (const [fault, status, rpcStatus] of faults) {
    it(`fault ${fault} -> ApiError ${status} ${rpcStatus}`, async () => {
      sim.script({ kind: "error", fault, retryAfterSeconds: 17 })
      const error = await failure(gemini(sim).models.generateContent({ model: "gemini-2.5-flash", contents: "x" }))
      expect((error as ApiError).status).toBe(status)
      const rpc = rpcOf(error)
      expect(rpc).toMatchObject({ code: status, status: rpcStatus })
      if (fault === "rate-limit")
        expect(rpc.details).toContainEqual({ "@type": "type.googleapis.com/google.rpc.RetryInfo", retryDelay: "17s" })
      if (fault === "auth") expect(rpc.details?.[0]).toMatchObject({ reason: "API_KEY_INVALID" })
      if (fault === "context-length")
        expect(rpc.message).toMatch(
          /^The input token count \(\d+\) exceeds the maximum number of tokens allowed \(\d+\)\.$/
        )
      if (fault === "model-not-found") expect(rpc.message).toContain("models/gemini-2.5-flash is not found")
    })
  }

  it("a 429 without a scripted delay has no RetryInfo", async () => {
    sim.script({ kind: "error", fault: "rate-limit" })
    const rpc = rpcOf(await failure(gemini(sim).models.generateContent({ model: "gemini-2.5-flash", contents: "x" })))
    expect(rpc.details?.some((d) => d["@type"] === "type.googleapis.com/google.rpc.RetryInfo")).toBe(false)
  })

  it("a blocked prompt is HTTP 200 with promptFeedback and no candidates, plain and streamed", async () => {
    sim.script({ kind: "error", fault: "content-filter" }, { kind: "error", fault: "content-filter" })
    const plain = await gemini(sim).models.generateContent({ model: "gemini-2.5-flash", contents: "bad" })
    expect(plain.candidates).toBeUndefined()
    expect(plain.text).toBeUndefined()
    expect(plain.promptFeedback?.blockReason).toBe("SAFETY")
    const chunks: Array<GenerateContentResponse> = []
    for await (const chunk of await gemini(sim).models.generateContentStream({
      model: "gemini-2.5-flash",
      contents: "bad"
    }))
      chunks.push(chunk)
    expect(chunks.map((c) => c.promptFeedback?.blockReason)).toEqual(["SAFETY"])
  })

  it("an output block is a candidate with finishReason SAFETY", async () => {
    sim.script({ kind: "text", text: "", finishReason: "content-filter" })
    const response = await gemini(sim).models.generateContent({ model: "gemini-2.5-flash", contents: "x" })
    expect(response.candidates?.[0]?.finishReason).toBe("SAFETY")
    expect(response.candidates?.[0]?.content?.parts).toBeUndefined()
    expect(response.candidates?.[0]?.safetyRatings?.some((r) => r.blocked)).toBe(true)
  })

  it("a mid-stream error chunk throws ApiError after the earlier chunks", async () => {
    sim.script({
      kind: "stream-fault",
      text: "a b c d",
      afterChunks: 2,
      fault: "error-event",
      errorFault: "overloaded"
    })
    const seen: Array<string | undefined> = []
    const error = await failure(
      (async () => {
        for await (const chunk of await gemini(sim).models.generateContentStream({
          model: "gemini-2.5-flash",
          contents: "x"
        }))
          seen.push(chunk.text)
      })()
    )
    expect(seen).toEqual(["a ", "b "])
    expect((error as ApiError).status).toBe(503)
    expect(rpcOf(error).status).toBe("UNAVAILABLE")
  })

  it("a dropped connection and a malformed frame fail the stream after the earlier chunks", async () => {
    for (const fault of ["drop", "malformed"] as const) {
      sim.script({ kind: "stream-fault", text: "a b c", afterChunks: 1, fault })
      const seen: Array<string | undefined> = []
      const error = await failure(
        (async () => {
          for await (const chunk of await gemini(sim).models.generateContentStream({
            model: "gemini-2.5-flash",
            contents: "x"
          }))
            seen.push(chunk.text)
        })()
      )
      expect(seen).toEqual(["a "])
      // Not an ApiError (no HTTP status to classify): undici's "terminated" for a socket closed mid-body,
      // the JSON parser's SyntaxError for a cut frame; the provider must map each.
      expect(error).not.toBeInstanceOf(ApiError)
      if (fault === "drop") {
        expect(error).toBeInstanceOf(TypeError)
        expect(error).toMatchObject({ message: "terminated", cause: { code: "UND_ERR_SOCKET" } })
      } else expect(error).toBeInstanceOf(SyntaxError)
    }
  })

  it("a call without an API key is refused with 403 PERMISSION_DENIED", async () => {
    const response = await fetch(`${sim.url}/v1beta/models/gemini-2.5-flash:generateContent`, {
      method: "POST",
      body: "{}"
    })
    expect(response.status).toBe(403)
    expect(((await response.json()) as { error: { status: string } }).error.status).toBe("PERMISSION_DENIED")
  })

  it("aborting a hanging call closes the connection", async () => {
    sim.script({ kind: "hang" })
    const controller = new AbortController()
    const call = gemini(sim).models.generateContent({
      model: "gemini-2.5-flash",
      contents: "x",
      config: { abortSignal: controller.signal }
    })
    await new Promise((resolve) => setTimeout(resolve, 20))
    controller.abort()
    expect(await failure(call)).toMatchObject({ name: "AbortError" })
    await sim.waitForAbort(sim.requests[0]!, 500)
  })
})

describe("Vertex AI simulator with @google/genai (vertexai: true)", () => {
  let sim: Simulator
  beforeAll(async () => {
    sim = await startVertexSimulator()
  })
  afterAll(() => sim.close())
  beforeEach(() => {
    sim.reset()
  })

  it("routes project/location calls with a Bearer token, plain and streamed", async () => {
    sim.script({ kind: "text", text: "Hi from Vertex", usage: { inputTokens: 5, outputTokens: 8, reasoningTokens: 3 } })
    sim.script({ kind: "text", text: "Hi from Vertex", usage: { inputTokens: 5, outputTokens: 8, reasoningTokens: 3 } })
    const ai = vertex(sim)
    const plain = await ai.models.generateContent({ model: "gemini-2.5-flash", contents: "hi" })
    expect(plain.text).toBe("Hi from Vertex")
    expect(plain.usageMetadata).toMatchObject({ promptTokenCount: 5, candidatesTokenCount: 5, thoughtsTokenCount: 3 })
    let streamed = ""
    let last: GenerateContentResponse | undefined
    for await (const chunk of await ai.models.generateContentStream({ model: "gemini-2.5-flash", contents: "hi" })) {
      streamed += chunk.text ?? ""
      last = chunk
    }
    expect(streamed).toBe("Hi from Vertex")
    expect(last?.usageMetadata).toEqual(plain.usageMetadata)
    const prefix = "/v1beta1/projects/my-project/locations/us-central1/publishers/google/models/gemini-2.5-flash"
    expect(sim.requests.map((r) => r.path)).toEqual([`${prefix}:generateContent`, `${prefix}:streamGenerateContent`])
    expect(sim.requests[0]?.headers.authorization).toBe("Bearer fake-vertex-token")
  })

  it("serves express mode (API key, no project) and the project-less base-URL form", async () => {
    const express = new GoogleGenAI({ vertexai: true, apiKey: "vertex-express-key", httpOptions: { baseUrl: sim.url } })
    expect((await express.models.generateContent({ model: "gemini-2.5-pro", contents: "x" })).text).toContain(
      "gemini-2.5-pro"
    )
    const bare = new GoogleGenAI({
      vertexai: true,
      googleAuthOptions: { authClient: fakeAuthClient() },
      httpOptions: { baseUrl: sim.url, apiVersion: "v1" }
    })
    expect((await bare.models.generateContent({ model: "gemini-2.5-pro", contents: "x" })).text).toContain(
      "gemini-2.5-pro"
    )
    expect(sim.requests.map((r) => r.path)).toEqual([
      "/v1beta1/publishers/google/models/gemini-2.5-pro:generateContent",
      "/v1/publishers/google/models/gemini-2.5-pro:generateContent"
    ])
    expect(sim.requests[0]?.headers["x-goog-api-key"]).toBe("vertex-express-key")
  })

  it("rejects a call without credentials with 401 UNAUTHENTICATED", async () => {
    const noToken = new GoogleGenAI({
      vertexai: true,
      project: "p",
      location: "global",
      googleAuthOptions: {
        authClient: {
          getRequestHeaders: async () => new Headers(),
          getAccessToken: async () => ({ token: null })
        } as never
      },
      httpOptions: { baseUrl: sim.url }
    })
    const error = await failure(noToken.models.generateContent({ model: "gemini-2.5-flash", contents: "x" }))
    expect((error as ApiError).status).toBe(401)
    expect(rpcOf(error).status).toBe("UNAUTHENTICATED")
  })

  it("lists publisher models through pages (no project prefix)", async () => {
    const models: Array<Model> = []
    for await (const model of await vertex(sim).models.list()) models.push(model)
    expect(models.map((m) => m.name)).toEqual(defaultVertexModels.map((m) => `publishers/google/models/${m.id}`))
    expect(models[0]?.version).toBe("001")
    expect(sim.requests.every((r) => r.path === "/v1beta1/publishers/google/models")).toBe(true)
    expect(sim.requests.length).toBe(Math.ceil(defaultVertexModels.length / 4))
  })

  const faults: ReadonlyArray<[FaultKind, number, string]> = [
    ["rate-limit", 429, "RESOURCE_EXHAUSTED"],
    ["unavailable", 503, "UNAVAILABLE"],
    ["server-error", 500, "INTERNAL"],
    ["auth", 401, "UNAUTHENTICATED"],
    ["permission", 403, "PERMISSION_DENIED"],
    ["model-not-found", 404, "NOT_FOUND"],
    ["context-length", 400, "INVALID_ARGUMENT"]
  ]
  for (const [fault, status, rpcStatus] of faults) {
    it(`fault ${fault} -> ApiError ${status} ${rpcStatus}`, async () => {
      sim.script({ kind: "error", fault, retryAfterSeconds: 3 })
      const error = await failure(vertex(sim).models.generateContent({ model: "gemini-2.5-flash", contents: "x" }))
      expect((error as ApiError).status).toBe(status)
      expect(rpcOf(error)).toMatchObject({ code: status, status: rpcStatus })
    })
  }

  it("a mid-stream error chunk throws after the earlier chunks", async () => {
    sim.script({ kind: "stream-fault", text: "x y z", afterChunks: 1, fault: "error-event", errorFault: "rate-limit" })
    const seen: Array<string | undefined> = []
    const error = await failure(
      (async () => {
        for await (const chunk of await vertex(sim).models.generateContentStream({
          model: "gemini-2.5-flash",
          contents: "x"
        }))
          seen.push(chunk.text)
      })()
    )
    expect(seen).toEqual(["x "])
    expect((error as ApiError).status).toBe(429)
  })
})

/** What a recorded body says: the non-thought text and the last usage (the last SSE frame for streams). */
const recorded = (cassette: Cassette) => {
  const body = cassette.response.body ?? ""
  const frames = isStreamingCassette(cassette)
    ? body
        .split(/\r\n\r\n|\n\n/)
        .filter((f) => f.startsWith("data:"))
        .map((f) => JSON.parse(f.slice("data:".length)))
    : [JSON.parse(body)]
  const text = frames
    .flatMap((f) => f.candidates?.[0]?.content?.parts ?? [])
    .filter((p: { text?: string; thought?: boolean }) => typeof p.text === "string" && !p.thought)
    .map((p: { text: string }) => p.text)
    .join("")
  return { text, usage: frames.at(-1)?.usageMetadata }
}

describe("every recorded Google exchange replays through the real SDK", () => {
  for (const folder of ["gemini", "vertex"] as const) {
    const cassettes = loadCassettes(folder)
    it(`${folder}: has cassettes`, () => {
      expect(cassettes.length).toBeGreaterThan(0)
    })
    for (const cassette of cassettes) {
      it(`${folder}/${cassette.name}`, async () => {
        const sim = await (folder === "gemini" ? startGeminiSimulator() : startVertexSimulator())
        try {
          sim.script(cassetteReply(cassette))
          const ai = folder === "gemini" ? gemini(sim, "v1beta") : vertex(sim)
          const model = /models\/([^/:]+):/.exec(cassette.request.path)?.[1] ?? "gemini-2.5-flash"
          const expected = recorded(cassette)
          if (isStreamingCassette(cassette)) {
            let text = ""
            let last: GenerateContentResponse | undefined
            for await (const chunk of await ai.models.generateContentStream({ model, contents: "replay" })) {
              text += partsText(chunk)
              last = chunk
            }
            expect(text).toBe(expected.text)
            expect(last?.usageMetadata).toEqual(expected.usage)
          } else {
            const response = await ai.models.generateContent({ model, contents: "replay" })
            expect(partsText(response)).toBe(expected.text)
            expect(response.usageMetadata).toEqual(expected.usage)
          }
        } finally {
          await sim.close()
        }
      })
    }
  }
})
