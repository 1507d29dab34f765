/**
 * Bad input is a typed, final error found before anything is sent, for each provider used directly
 * (without the orchestrator's checks):
 * - a key or header value with a CR/LF or another control character fails the layer with a
 *   ConfigError naming the key (the SDK would throw on every request, typed as a NetworkError, and
 *   the orchestrator would retry it down the chain);
 * - the Google adapters refuse model ids that could leave the model's URL path (@google/genai puts
 *   the id into the path unencoded) and the SDK's own argument errors are InvalidRequestError.
 *   (OpenAI and Anthropic send the id in the body; the AWS SDK percent-encodes it, "/" included.)
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, type LLMError, LLMProvider, type ProviderStreamEvent } from "@llm-orchestrator/core"
import {
  AnthropicProvider,
  BedrockProvider,
  GeminiProvider,
  OpenAIProvider,
  VertexProvider
} from "@llm-orchestrator/providers"
import { geminiSimulator, type Simulator, vertexSimulator } from "@llm-orchestrator/testing"
import { ConfigProvider, Effect, Layer, Redacted, Stream } from "effect"
import { googleError } from "../src/google/google.ts"
import { redactor } from "../src/kit/index.ts"

const hello: ChatRequest = { messages: [{ role: "user", content: "hi" }] }
const secret = "sk-canary-0123456789"
const crlf = Redacted.make(`${secret}\r\nX-Injected: yes`)
const clean = Redacted.make(secret)

const getProvider = Effect.gen(function* () {
  return yield* LLMProvider
})
const buildError = <E>(layer: Layer.Layer<LLMProvider, E>) => Effect.flip(Effect.provide(getProvider, layer))

const configProblems = (error: unknown) => {
  expect((error as { _tag?: string })._tag).toBe("ConfigError")
  const { problems, message } = error as { problems: ReadonlyArray<{ path: string; message: string }>; message: string }
  expect(message).not.toContain("canary")
  expect(message).not.toContain("X-Injected")
  return problems.map((p) => [p.path, p.message.replace(/, which.*$/, "")])
}

describe("control characters in keys and header values fail the layer", () => {
  it.live("OpenAI: api_key, organization, project", () =>
    Effect.gen(function* () {
      const error = yield* buildError(
        OpenAIProvider.layer({
          apiKey: crlf,
          organization: "org-1\n",
          project: "proj\u0000",
          baseUrl: "http://127.0.0.1:9/v1"
        })
      )
      expect(configProblems(error)).toEqual([
        ["providers.openai.api_key", "contains a line break (CR or LF)"],
        ["providers.openai.organization", "contains a line break (CR or LF)"],
        ["providers.openai.project", "contains a control character"]
      ])
    })
  )

  it.live("Anthropic: layer and layerConfig (ANTHROPIC_API_KEY from the environment)", () =>
    Effect.gen(function* () {
      const fromOptions = yield* buildError(AnthropicProvider.layer({ apiKey: crlf }))
      expect(configProblems(fromOptions)).toEqual([["providers.anthropic.api_key", "contains a line break (CR or LF)"]])
      const env = ConfigProvider.layer(ConfigProvider.fromUnknown({ ANTHROPIC_API_KEY: `${secret}\r\n` }))
      const fromEnv = yield* buildError(AnthropicProvider.layerConfig.pipe(Layer.provide(env)))
      expect(configProblems(fromEnv)).toEqual([["providers.anthropic.api_key", "contains a line break (CR or LF)"]])
    })
  )

  it.live("Gemini and Vertex: api_key", () =>
    Effect.gen(function* () {
      const gemini = yield* buildError(GeminiProvider.layer({ apiKey: crlf }))
      expect(configProblems(gemini)).toEqual([["providers.gemini.api_key", "contains a line break (CR or LF)"]])
      const vertex = yield* buildError(VertexProvider.layer({ apiKey: Redacted.make(`${secret}\u00e9`) }))
      expect(configProblems(vertex)).toEqual([["providers.vertex.api_key", "contains a non-ASCII character"]])
    })
  )

  it.live("Bedrock: access key id, secret key, session token", () =>
    Effect.gen(function* () {
      const error = yield* buildError(
        BedrockProvider.layer({
          region: "us-east-1",
          accessKeyId: Redacted.make("AKID\n"),
          secretAccessKey: clean,
          sessionToken: crlf
        })
      )
      expect(configProblems(error)).toEqual([
        ["providers.bedrock.access_key_id", "contains a line break (CR or LF)"],
        ["providers.bedrock.session_token", "contains a line break (CR or LF)"]
      ])
    })
  )
})

const drainError = (stream: Stream.Stream<ProviderStreamEvent, LLMError>) => Effect.flip(Stream.runDrain(stream))

describe("the Google adapters refuse ids that could leave the model path", () => {
  const hostile = [
    "%2e%2e/%2e%2e/v1beta/files/abc:delete#",
    "../../x",
    "a?b=c",
    "a#b",
    "a b",
    "a\nb",
    "x".repeat(300_000)
  ]
  const cases: ReadonlyArray<{
    readonly name: "gemini" | "vertex"
    readonly start: () => Effect.Effect<Simulator, never, import("effect").Scope.Scope>
    readonly layer: (sim: Simulator) => Layer.Layer<LLMProvider, unknown>
  }> = [
    {
      name: "gemini",
      start: () => geminiSimulator(),
      layer: (sim) => GeminiProvider.layer({ apiKey: clean, baseUrl: sim.url })
    },
    {
      name: "vertex",
      start: () => vertexSimulator(),
      layer: (sim) => VertexProvider.layer({ apiKey: clean, project: "p", location: "us-central1", baseUrl: sim.url })
    }
  ]
  for (const { name, start, layer } of cases)
    it.live(`${name}: generate and stream fail with InvalidRequestError, nothing is sent`, () =>
      Effect.gen(function* () {
        const sim = yield* start()
        yield* Effect.gen(function* () {
          const llm = yield* LLMProvider
          for (const model of hostile) {
            const errors = [yield* Effect.flip(llm.generate(hello, model)), yield* drainError(llm.stream(hello, model))]
            for (const error of errors) {
              expect(error._tag).toBe("InvalidRequestError")
              expect(error.message).toContain(`${name}: not a valid model id`)
            }
          }
        }).pipe(Effect.provide(layer(sim)))
        expect(sim.requests).toEqual([])
      }).pipe(Effect.scoped)
    )

  it.live("the SDK's own argument errors ('invalid model parameter') are InvalidRequestError, not NetworkError", () =>
    Effect.gen(function* () {
      const sim = yield* geminiSimulator()
      const { GoogleGenAI } = yield* Effect.promise(() => import("@google/genai"))
      const client = new GoogleGenAI({ apiKey: secret, httpOptions: { baseUrl: sim.url } })
      const thrown = yield* Effect.flip(
        Effect.tryPromise({
          try: () => client.models.generateContent({ model: "gemini-2..5-flash", contents: "hi" }),
          catch: (error) => error
        })
      )
      expect((thrown as Error).message).toBe("invalid model parameter")
      const error = googleError({ provider: "gemini", model: "gemini-2..5-flash" }, redactor([secret]))(thrown)
      expect(error._tag).toBe("InvalidRequestError")
      expect(error.message).toContain("the Google SDK refused the request before sending it (invalid model parameter)")
      expect(sim.requests).toEqual([])
    }).pipe(Effect.scoped)
  )
})
