/**
 * VertexProvider through its layer, with the real `@google/genai` SDK (vertexai: true) against the
 * Vertex simulator. Credentials are an injected auth client, an API key (express mode), or the real
 * google-auth-library ADC path with a Workload Identity Federation file whose STS is a local server.
 */

import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { createServer, type IncomingMessage } from "node:http"
import type { AddressInfo } from "node:net"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider, type Usage } from "@llm-orchestrator/core"
import { type VertexOptions, VertexProvider } from "@llm-orchestrator/providers"
import {
  cassetteReply,
  defaultVertexModels,
  type FaultKind,
  isStreamingCassette,
  loadCassettes,
  type Simulator,
  vertexSimulator
} from "@llm-orchestrator/testing"
import { ConfigProvider, Effect, Redacted, Stream } from "effect"
import { OAuth2Client } from "google-auth-library"
import type { VertexSettings } from "../../src/google/type.ts"
import {
  cassetteModel,
  collect,
  deltas,
  expectContentFilterReported,
  expectedFromCassette,
  expectedGoogleUsage,
  finishes
} from "./google-support.ts"

// The orchestrator passes the parsed YAML config straight in.
const fromConfig = (config: VertexSettings): VertexOptions => config
void fromConfig

const ACCESS_TOKEN = "ya29.injected-test-token"

/** A client already holding a token: no metadata server, no token endpoint. */
const injectedAuth = () => {
  const authClient = new OAuth2Client()
  authClient.setCredentials({ access_token: ACCESS_TOKEN }) // no expiry_date: never refreshed
  return { authClient }
}

const providerOf = (options: VertexOptions) =>
  Effect.gen(function* () {
    return yield* LLMProvider
  }).pipe(Effect.provide(VertexProvider.layer(options)))

const vertex = (sim: Simulator, options: Partial<VertexOptions> = {}) =>
  providerOf({
    project: "acme-prod",
    location: "us-central1",
    baseUrl: sim.url,
    googleAuthOptions: injectedAuth(),
    ...options
  })

const ask = (text: string): ChatRequest => ({ messages: [{ role: "user", content: text }] })
const usage: Usage = { inputTokens: 31, outputTokens: 19, cacheReadTokens: 8, cacheWriteTokens: 0, reasoningTokens: 7 }
const projectPath = (location: string, model: string) =>
  `/v1beta1/projects/acme-prod/locations/${location}/publishers/google/models/${model}`

describe("VertexProvider: calls", () => {
  it.live("generate and stream on the project path with a Bearer token; identical usage", () =>
    Effect.gen(function* () {
      const sim = yield* vertexSimulator()
      const reply = { kind: "text", text: "Bonjour de Vertex", usage } as const
      sim.script(reply, reply)
      const llm = yield* vertex(sim)
      const request: ChatRequest = {
        messages: [
          { role: "system", content: "Answer in French." },
          { role: "user", content: "Hello" }
        ]
      }
      const plain = yield* llm.generate(request, "gemini-2.5-flash")
      expect(plain).toMatchObject({ content: "Bonjour de Vertex", provider: "vertex", finishReason: "stop", usage })
      const { events, error } = yield* collect(llm.stream(request, "gemini-2.5-flash"))
      expect(error).toBeUndefined()
      expect(deltas(events)).toEqual(["Bonjour ", "de ", "Vertex"])
      expect(finishes(events).map((f) => f.usage)).toEqual([plain.usage])
      expect(sim.requests.map((r) => r.path)).toEqual([
        `${projectPath("us-central1", "gemini-2.5-flash")}:generateContent`,
        `${projectPath("us-central1", "gemini-2.5-flash")}:streamGenerateContent`
      ])
      expect(sim.requests[0]?.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`)
      expect(sim.requests[0]?.body).toMatchObject({
        systemInstruction: { parts: [{ text: "Answer in French." }] },
        contents: [{ role: "user", parts: [{ text: "Hello" }] }]
      })
    })
  )

  it.live("location defaults to global", () =>
    Effect.gen(function* () {
      const sim = yield* vertexSimulator()
      const llm = yield* providerOf({ project: "acme-prod", baseUrl: sim.url, googleAuthOptions: injectedAuth() })
      yield* llm.generate(ask("x"), "gemini-2.5-pro")
      expect(sim.requests[0]?.path).toBe(`${projectPath("global", "gemini-2.5-pro")}:generateContent`)
    })
  )

  it.live("express mode: an API key on the project-less path; the key never appears in errors", () =>
    Effect.gen(function* () {
      const sim = yield* vertexSimulator()
      const key = "AQ.express-vertex-key-987654"
      sim.script(
        { kind: "text", text: "express ok" },
        { kind: "error", fault: "invalid-request", message: `Key ${key} is not allowed here` }
      )
      const llm = yield* providerOf({ apiKey: Redacted.make(key), baseUrl: sim.url })
      expect((yield* llm.generate(ask("x"), "gemini-2.5-flash")).content).toBe("express ok")
      expect(sim.requests[0]?.path).toBe("/v1beta1/publishers/google/models/gemini-2.5-flash:generateContent")
      expect(sim.requests[0]?.headers["x-goog-api-key"]).toBe(key)
      expect(sim.requests[0]?.headers.authorization).toBeUndefined()
      const error = yield* Effect.flip(llm.generate(ask("x"), "gemini-2.5-flash"))
      expect(error._tag).toBe("InvalidRequestError")
      expect(error.message).not.toContain(key)
    })
  )

  it.live("listModels: publisher models through every page, chat models only, id = last path segment", () =>
    Effect.gen(function* () {
      const sim = yield* vertexSimulator()
      const models = yield* (yield* vertex(sim)).listModels
      expect(models).toEqual(
        defaultVertexModels.filter((m) => m.chat !== false).map((m) => ({ id: m.id, provider: "vertex" }))
      )
      expect(sim.requests.length).toBe(Math.ceil(defaultVertexModels.length / 4))
      expect(sim.requests.every((r) => r.path === "/v1beta1/publishers/google/models")).toBe(true)
      expect(sim.requests[0]?.headers.authorization).toBe(`Bearer ${ACCESS_TOKEN}`)
    })
  )
})

describe("VertexProvider: errors", () => {
  const rows: ReadonlyArray<[FaultKind, string, number]> = [
    ["rate-limit", "RateLimitError", 429],
    ["unavailable", "ProviderUnavailableError", 503],
    ["server-error", "ProviderUnavailableError", 500],
    ["auth", "AuthenticationError", 401],
    ["permission", "AuthenticationError", 403],
    ["model-not-found", "ModelNotFoundError", 404],
    ["context-length", "ContextLengthExceededError", 400],
    ["invalid-request", "InvalidRequestError", 400]
  ]
  for (const [fault, tag, status] of rows) {
    it.live(`${fault} -> ${tag} (${status})`, () =>
      Effect.gen(function* () {
        const sim = yield* vertexSimulator()
        sim.script({ kind: "error", fault, retryAfterSeconds: 2.5 }, { kind: "error", fault, retryAfterSeconds: 2.5 })
        const llm = yield* vertex(sim)
        const plain = yield* Effect.flip(llm.generate(ask("x"), "gemini-2.5-pro"))
        const streamed = (yield* collect(llm.stream(ask("x"), "gemini-2.5-pro"))).error
        for (const error of [plain, streamed]) {
          expect(error).toMatchObject({ _tag: tag, status, provider: "vertex", model: "gemini-2.5-pro" })
          if (fault === "rate-limit") expect(error).toMatchObject({ retryAfterMs: 2500 })
        }
      })
    )
  }

  it.live("listing without a usable token -> AuthenticationError 401", () =>
    Effect.gen(function* () {
      const sim = yield* vertexSimulator()
      const tokenless = new OAuth2Client() // no credentials: sends no Authorization header
      tokenless.getRequestHeaders = async () => new Headers()
      const llm = yield* vertex(sim, { googleAuthOptions: { authClient: tokenless } })
      const error = yield* Effect.flip(llm.listModels)
      expect(error).toMatchObject({ _tag: "AuthenticationError", status: 401, provider: "vertex" })
      expect(sim.requests[0]?.headers.authorization).toBeUndefined()
    })
  )

  it.live("a blocked prompt or answer -> finishReason content-filter with its usage, plain and streamed", () =>
    Effect.gen(function* () {
      const sim = yield* vertexSimulator()
      const prompt = { kind: "error", fault: "content-filter", usage: { inputTokens: 1200 } } as const
      const answer = {
        kind: "text",
        text: "",
        finishReason: "content-filter",
        usage: { inputTokens: 1200, outputTokens: 35 }
      } as const
      sim.script(prompt, prompt, answer, answer)
      const llm = yield* vertex(sim)
      const noCache = { cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
      for (const outputTokens of [0, 35])
        yield* expectContentFilterReported(
          llm.generate(ask("x"), "gemini-2.5-pro"),
          llm.stream(ask("x"), "gemini-2.5-pro"),
          { inputTokens: 1200, outputTokens, ...noCache }
        )
    })
  )

  it.live("mid-stream error, drop and malformed frame fail the stream after the earlier deltas", () =>
    Effect.gen(function* () {
      const sim = yield* vertexSimulator()
      sim.script(
        {
          kind: "stream-fault",
          text: "un deux trois",
          afterChunks: 2,
          fault: "error-event",
          errorFault: "server-error"
        },
        { kind: "stream-fault", text: "un deux trois", afterChunks: 1, fault: "drop" },
        { kind: "stream-fault", text: "un deux trois", afterChunks: 1, fault: "malformed" }
      )
      const llm = yield* vertex(sim)
      const midStream = yield* collect(llm.stream(ask("x"), "gemini-2.5-flash"))
      expect(deltas(midStream.events)).toEqual(["un ", "deux "])
      expect(midStream.error).toMatchObject({ _tag: "ProviderUnavailableError", status: 500 })
      const dropped = yield* collect(llm.stream(ask("x"), "gemini-2.5-flash"))
      expect(deltas(dropped.events)).toEqual(["un "])
      expect(dropped.error?._tag).toBe("NetworkError")
      const malformed = yield* collect(llm.stream(ask("x"), "gemini-2.5-flash"))
      expect(deltas(malformed.events)).toEqual(["un "])
      expect(malformed.error?._tag).toBe("NetworkError")
    })
  )

  it.live("stopping a stream early aborts the request; a hang hits the per-attempt timeout", () =>
    Effect.gen(function* () {
      const sim = yield* vertexSimulator()
      sim.script({ kind: "text", text: "a b c d e f g h", chunkDelayMs: 40 }, { kind: "hang" })
      const llm = yield* vertex(sim, { timeoutMs: 100 })
      const first = yield* llm.stream(ask("x"), "gemini-2.5-flash").pipe(
        Stream.filter((e) => e._tag === "TextDelta"),
        Stream.take(1),
        Stream.runCollect
      )
      expect(Array.from(first)).toEqual([{ _tag: "TextDelta", text: "a " }])
      yield* Effect.promise(() => sim.waitForAbort(sim.requests[0]!, 50))
      const timedOut = yield* Effect.flip(llm.generate(ask("x"), "gemini-2.5-flash"))
      expect(timedOut).toMatchObject({ _tag: "TimeoutError", timeoutMs: 100 })
      yield* Effect.promise(() => sim.waitForAbort(sim.requests[1]!, 50))
    })
  )
})

/** A local STS endpoint (the token_url of a Workload Identity Federation file). */
const stsServer = (answer: (form: URLSearchParams) => { status: number; body: unknown }) =>
  Effect.acquireRelease(
    Effect.promise(async () => {
      const exchanges: Array<URLSearchParams> = []
      const server = createServer(async (req: IncomingMessage, res) => {
        let raw = ""
        for await (const chunk of req) raw += String(chunk)
        const form = new URLSearchParams(raw)
        exchanges.push(form)
        const { status, body } = answer(form)
        res.writeHead(status, { "content-type": "application/json" })
        res.end(JSON.stringify(body))
      })
      await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()))
      return { server, exchanges, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/token` }
    }),
    ({ server }) =>
      Effect.promise(() => {
        server.closeAllConnections()
        return new Promise<void>((resolve) => server.close(() => resolve()))
      })
  )

const SUBJECT_TOKEN = "eyJhbGciOiJSUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJ3b3JrbG9hZCJ9.c2lnbmF0dXJl"

/** A temporary Workload Identity Federation credentials file pointing at `tokenUrl`. */
const wifFile = (tokenUrl: string) =>
  Effect.acquireRelease(
    Effect.sync(() => {
      const dir = mkdtempSync(join(tmpdir(), "vertex-wif-"))
      const subject = join(dir, "subject.jwt")
      writeFileSync(subject, SUBJECT_TOKEN)
      const file = join(dir, "wif.json")
      writeFileSync(
        file,
        JSON.stringify({
          type: "external_account",
          audience: "//iam.googleapis.com/projects/123456/locations/global/workloadIdentityPools/ci/providers/local",
          subject_token_type: "urn:ietf:params:oauth:token-type:jwt",
          token_url: tokenUrl,
          credential_source: { file: subject }
        })
      )
      return { dir, file }
    }),
    ({ dir }) => Effect.sync(() => rmSync(dir, { recursive: true, force: true }))
  )

describe("VertexProvider: Application Default Credentials (google-auth-library, no Google host)", () => {
  const granted = (form: URLSearchParams) => ({
    status: 200,
    body: {
      access_token: `sts-token-for-${form.get("subject_token")?.slice(-9)}`,
      issued_token_type: "urn:ietf:params:oauth:token-type:access_token",
      expires_in: 3600,
      token_type: "Bearer"
    }
  })

  it.live("credentials_file: a Workload Identity Federation file exchanges its subject token at the STS", () =>
    Effect.gen(function* () {
      const sim = yield* vertexSimulator()
      const sts = yield* stsServer(granted)
      const { file } = yield* wifFile(sts.url)
      const llm = yield* providerOf({
        project: "acme-prod",
        location: "europe-west4",
        baseUrl: sim.url,
        credentialsFile: file
      })
      const response = yield* llm.generate(ask("x"), "gemini-2.5-flash")
      expect(response.content).toContain("gemini-2.5-flash")
      expect(sts.exchanges.length).toBe(1)
      expect(sts.exchanges[0]?.get("grant_type")).toBe("urn:ietf:params:oauth:grant-type:token-exchange")
      expect(sts.exchanges[0]?.get("subject_token")).toBe(SUBJECT_TOKEN)
      expect(sts.exchanges[0]?.get("scope")).toContain("https://www.googleapis.com/auth/cloud-platform")
      expect(sim.requests[0]?.headers.authorization).toBe(`Bearer sts-token-for-${SUBJECT_TOKEN.slice(-9)}`)
      expect(sim.requests[0]?.path).toBe(
        "/v1beta1/projects/acme-prod/locations/europe-west4/publishers/google/models/gemini-2.5-flash:generateContent"
      )
      // The token is cached: a second call does not exchange again.
      yield* llm.generate(ask("y"), "gemini-2.5-flash")
      expect(sts.exchanges.length).toBe(1)
    })
  )

  it.live("GOOGLE_APPLICATION_CREDENTIALS is found by ADC when no credentials_file is set", () =>
    Effect.gen(function* () {
      const sim = yield* vertexSimulator()
      const sts = yield* stsServer(granted)
      const { file } = yield* wifFile(sts.url)
      yield* Effect.acquireRelease(
        Effect.sync(() => {
          process.env.GOOGLE_APPLICATION_CREDENTIALS = file
        }),
        () =>
          Effect.sync(() => {
            delete process.env.GOOGLE_APPLICATION_CREDENTIALS
          })
      )
      const llm = yield* providerOf({ project: "acme-prod", baseUrl: sim.url })
      yield* llm.generate(ask("x"), "gemini-2.5-flash")
      expect(sts.exchanges.length).toBe(1)
      expect(sim.requests[0]?.headers.authorization).toMatch(/^Bearer sts-token-for-/)
    })
  )

  it.live("an STS refusal -> AuthenticationError, and nothing reaches Vertex", () =>
    Effect.gen(function* () {
      const sim = yield* vertexSimulator()
      const sts = yield* stsServer(() => ({
        status: 400,
        body: { error: "invalid_grant", error_description: "The audience in the subject token is not allowed." }
      }))
      const { file } = yield* wifFile(sts.url)
      const llm = yield* providerOf({ project: "acme-prod", baseUrl: sim.url, credentialsFile: file })
      const error = yield* Effect.flip(llm.generate(ask("x"), "gemini-2.5-flash"))
      expect(error._tag).toBe("AuthenticationError")
      expect(error.message).toContain("invalid_grant")
      expect(error.message).not.toContain(SUBJECT_TOKEN)
      expect(sim.requests.length).toBe(0)
    })
  )
})

describe("VertexProvider: configuration", () => {
  it.effect("no project, no API key and no base URL -> ConfigError naming the key", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(providerOf({ location: "global" }))
      expect(error).toMatchObject({ _tag: "ConfigError", path: "providers.vertex.project" })
    })
  )

  it.effect("api_key and credentials_file together -> ConfigError", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        providerOf({ project: "p", location: "global", apiKey: Redacted.make("k-123456"), credentialsFile: "/x.json" })
      )
      expect(error).toMatchObject({ _tag: "ConfigError", path: "providers.vertex.credentials_file" })
    })
  )

  it.live("layerConfig reads GOOGLE_CLOUD_PROJECT, GOOGLE_CLOUD_LOCATION, VERTEX_API_KEY and VERTEX_BASE_URL", () =>
    Effect.gen(function* () {
      const sim = yield* vertexSimulator()
      const llm = yield* Effect.gen(function* () {
        return yield* LLMProvider
      }).pipe(
        Effect.provide(VertexProvider.layerConfig),
        Effect.provide(
          ConfigProvider.layer(
            ConfigProvider.fromUnknown({
              GOOGLE_CLOUD_PROJECT: "from-env",
              GOOGLE_CLOUD_LOCATION: "asia-northeast1",
              VERTEX_API_KEY: "env-vertex-key-42",
              VERTEX_BASE_URL: sim.url
            })
          )
        )
      )
      yield* llm.generate(ask("x"), "gemini-2.5-flash")
      expect(sim.requests[0]?.path).toBe(
        "/v1beta1/projects/from-env/locations/asia-northeast1/publishers/google/models/gemini-2.5-flash:generateContent"
      )
      expect(sim.requests[0]?.headers["x-goog-api-key"]).toBe("env-vertex-key-42")
    })
  )
})

describe("VertexProvider: usage as served", () => {
  // The simulator renders usage as the adapter's inverse, so a wrong rule shared by both passes the
  // tests above; here the expectation is read from the bytes served, with its totalTokenCount.
  it.live("generate reports what the served usageMetadata says, every counted token included", () =>
    Effect.gen(function* () {
      const sim = yield* vertexSimulator()
      const reply = { kind: "text", text: "counted", usage } as const
      sim.script(reply, reply)
      const served = yield* Effect.promise(() =>
        fetch(`${sim.url}${projectPath("us-central1", "gemini-2.5-flash")}:generateContent`, {
          method: "POST",
          headers: { "content-type": "application/json", authorization: `Bearer ${ACCESS_TOKEN}` },
          body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "hi" }] }] })
        }).then((r) => r.json() as Promise<{ usageMetadata: Record<string, number> }>)
      )
      // Google counts thoughts outside candidatesTokenCount, cached tokens inside promptTokenCount.
      expect(served.usageMetadata).toMatchObject({ promptTokenCount: 31, thoughtsTokenCount: 7, totalTokenCount: 50 })
      const response = yield* (yield* vertex(sim)).generate(ask("hi"), "gemini-2.5-flash")
      expect(response.usage).toEqual(expectedGoogleUsage(served.usageMetadata).usage)
    })
  )
})

describe("VertexProvider: every recorded Vertex exchange", () => {
  for (const cassette of loadCassettes("vertex")) {
    it.live(`${cassette.name} (${isStreamingCassette(cassette) ? "stream" : "plain"})`, () =>
      Effect.gen(function* () {
        const sim = yield* vertexSimulator()
        sim.script(cassetteReply(cassette))
        const llm = yield* vertex(sim)
        const expected = expectedFromCassette(cassette)
        const response = yield* llm.generate(ask("replay"), cassetteModel(cassette))
        expect(response).toMatchObject({
          content: expected.text,
          finishReason: expected.finishReason,
          usage: expected.usage,
          model: expected.modelVersion,
          ...(expected.responseId ? { requestId: expected.responseId } : {})
        })
      })
    )
  }
})
