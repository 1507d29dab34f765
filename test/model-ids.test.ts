/**
 * `request.model` chooses nothing but a model: through every provider's real SDK against the
 * simulators, ids that could leave the model's URL path (percent-encoded dot segments, `?`, `#`,
 * whitespace, control characters, backslashes, an over-long id) fail with an `InvalidRequestError`
 * that says what is allowed, for `sendRequest` and `sendStreamingRequest`, and no simulator of the
 * fleet receives any request (no retry, no fallback, no model listing). Real id shapes still go out,
 * with the path each SDK builds for them.
 */
import { describe, expect, it } from "@effect/vitest"
import { type FleetProvider, simulatorFleet } from "@llm-orchestrator/testing"
import { Effect, Stream } from "effect"
import { type LLMError, LLMOrchestrator, layerFromConfig, parseConfig } from "llm-orchestrator"
import { fastRetry, user } from "./support.ts"

const hostileIds: ReadonlyArray<readonly [string, string]> = [
  ["percent-encoded dot segments and a fragment", "%2e%2e/%2e%2e/v1beta/files/abc:delete#"],
  ["plain dot segments", "../../x"],
  ["a dot segment after a valid prefix", "models/../../v1beta/files/abc"],
  ["a query", "a?b=c"],
  ["a fragment", "a#b"],
  ["a space", "a b"],
  ["a line feed", "a\nb"],
  ["a CRLF header injection", "gpt-4o\r\nX-Injected: 1"],
  ["a NUL", "gpt\u00004o"],
  ["a backslash (WHATWG URLs read it as /)", "a\\..\\..\\b"],
  ["a non-ASCII character", "gpt-4o\u2215..\u2215x"],
  ["300 KB", "x".repeat(300_000)]
]

/** Each provider as the active one; OpenAI twice, once per API. */
const variants: ReadonlyArray<{
  readonly name: string
  readonly provider: FleetProvider
  readonly extraYaml?: string
}> = [
  { name: "openai (chat)", provider: "openai" },
  { name: "openai (responses)", provider: "openai", extraYaml: "responses" },
  { name: "anthropic", provider: "anthropic" },
  { name: "gemini", provider: "gemini" },
  { name: "bedrock", provider: "bedrock" },
  { name: "vertex", provider: "vertex" }
]

const fleetWith = (provider: FleetProvider, responses: boolean) =>
  Effect.gen(function* () {
    const fleet = yield* simulatorFleet()
    let yaml = fleet.configYaml({ activeProvider: provider, extraYaml: fastRetry })
    if (responses) yaml = yaml.replace("  openai:\n", "  openai:\n    api: responses\n")
    const config = yield* parseConfig(yaml)
    if (responses) expect(config.providers.openai?.settings).toMatchObject({ api: "responses" })
    return { fleet, layer: layerFromConfig(config) }
  })

const allRequests = (fleet: Effect.Success<ReturnType<typeof fleetWith>>["fleet"]) =>
  [fleet.openai, fleet.anthropic, fleet.gemini, fleet.vertex, fleet.bedrock].flatMap((sim) =>
    sim.requests.map((r) => `${sim.protocol} ${r.method} ${r.path}`)
  )

const expectRejected = (error: LLMError, provider: FleetProvider, id: string) => {
  expect(error._tag).toBe("InvalidRequestError")
  expect(error.provider).toBe(provider)
  expect(error.model).toBe("(invalid model id)")
  expect(error.message).toContain(`request.model is not a valid ${provider} model id`)
  expect(error.message).toContain("model ids are 1 to 256 characters: letters, digits and . _ - : @ /")
  // The id is not repeated (it may be huge, or hold the control characters it was rejected for).
  if (id.length > 3) expect(error.message).not.toContain(id)
}

describe("hostile model ids never reach an SDK", () => {
  for (const variant of variants) {
    it.live(`${variant.name}: every hostile id fails before sending, plain and streamed`, () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* fleetWith(variant.provider, variant.extraYaml === "responses")
        yield* Effect.gen(function* () {
          const llm = yield* LLMOrchestrator
          for (const [what, id] of hostileIds) {
            const request = { ...user("hi"), model: id }
            const plain = yield* Effect.flip(llm.sendRequest(request))
            const streamed = yield* Effect.flip(Stream.runCollect(llm.sendStreamingRequest(request)))
            for (const error of [plain, streamed]) {
              expect(error._tag, what).toBe("InvalidRequestError")
              expectRejected(error, variant.provider, id)
            }
          }
          expect(allRequests(fleet)).toEqual([])
          // The same orchestrator still sends a real request: the check rejected the ids, not everything.
          const ok = yield* llm.sendRequest(user("hi"))
          expect(ok.provider).toBe(variant.provider)
        }).pipe(Effect.provide(layer))
        expect(allRequests(fleet)).toHaveLength(1)
      }).pipe(Effect.scoped)
    )
  }

  it.live("the messages say which character or rule was broken", () =>
    Effect.gen(function* () {
      const { layer } = yield* fleetWith("gemini", false)
      const messages = yield* Effect.gen(function* () {
        const llm = yield* LLMOrchestrator
        const messageFor = (model: string) =>
          Effect.map(Effect.flip(llm.sendRequest({ ...user("hi"), model })), (e) => e.message)
        return {
          percent: yield* messageFor("%2e%2e/x"),
          newline: yield* messageFor("a\nb"),
          long: yield* messageFor("x".repeat(300_000)),
          slash: yield* messageFor("files/abc"),
          colon: yield* messageFor("gemini-2.5-flash:countTokens"),
          dots: yield* messageFor("gemini-2..5")
        }
      }).pipe(Effect.provide(layer))
      expect(messages.percent).toContain('it contains "%"')
      expect(messages.newline).toContain("it contains a control character (U+000A)")
      expect(messages.long).toContain("it is 300000 characters long")
      expect(messages.slash).toContain('it contains "/" other than a models/ or tunedModels/ prefix')
      expect(messages.colon).toContain('it contains ":" (Gemini reads it as a method name)')
      expect(messages.dots).toContain('it contains ".."')
    }).pipe(Effect.scoped)
  )
})

describe("real model id shapes still go out", () => {
  const sent: ReadonlyArray<{ readonly provider: FleetProvider; readonly model: string; readonly path: string }> = [
    { provider: "openai", model: "ft:gpt-4o-mini:my-org::abc123", path: "/v1/chat/completions" },
    { provider: "anthropic", model: "claude-sonnet-4-5-20250929", path: "/v1/messages" },
    { provider: "gemini", model: "models/gemini-2.5-flash", path: "/v1/models/gemini-2.5-flash:generateContent" },
    { provider: "gemini", model: "tunedModels/my-tuned-x1", path: "/v1/tunedModels/my-tuned-x1:generateContent" },
    {
      provider: "vertex",
      model: "claude-sonnet-4-5@20250929",
      path: "/v1beta1/projects/simulated-project/locations/us-central1/publishers/google/models/claude-sonnet-4-5@20250929:generateContent"
    },
    {
      provider: "vertex",
      model: "meta/llama-3.1-405b-instruct-maas",
      path: "/v1beta1/projects/simulated-project/locations/us-central1/publishers/meta/models/llama-3.1-405b-instruct-maas:generateContent"
    },
    {
      provider: "bedrock",
      model: "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0",
      // The AWS SDK percent-encodes the whole id, "/" included: an ARN stays one path segment.
      path: "/model/arn%3Aaws%3Abedrock%3Aus-east-1%3A123456789012%3Ainference-profile%2Fus.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse"
    }
  ]
  for (const { provider, model, path } of sent)
    it.live(`${provider}: ${model}`, () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* fleetWith(provider, false)
        const response = yield* LLMOrchestrator.use((llm) => llm.sendRequest({ ...user("hi"), model })).pipe(
          Effect.provide(layer)
        )
        expect(response.provider).toBe(provider)
        // The first request (the simulator may not know the model: a 404, then the listing and a fallback).
        expect(fleet[provider].requests[0]?.path).toBe(path)
      }).pipe(Effect.scoped)
    )
})
