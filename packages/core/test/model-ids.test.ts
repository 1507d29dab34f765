/**
 * The model id rule (validate.ts): every id in the recorded real traffic and every documented id
 * shape passes for its provider; ids that could leave the model's URL path fail for every provider.
 * The same rule guards the config (active_model, fallback_models, fallback.chain) and the options of
 * a code-built orchestrator.
 */
import { describe, expect, it } from "@effect/vitest"
import { maxModelIdLength, modelIdProblem, type ProviderId } from "@llm-orchestrator/core"
import { providerTypes } from "@llm-orchestrator/providers"
import { type CassetteFolder, loadCassettes } from "@llm-orchestrator/testing"
import { Effect, Layer } from "effect"
import { checkConfig } from "llm-orchestrator"
import { setup } from "./orchestrator-helpers.ts"

/** A provider type's own model-id check (none for an unknown name). */
const checkOf = (provider: ProviderId | undefined) => providerTypes.find((type) => type.name === provider)?.checkModelId

/** The model each recorded request named, as its SDK would have been given it. */
const recordedIds = (folder: CassetteFolder): ReadonlyArray<string> => {
  const ids = new Set<string>()
  for (const cassette of loadCassettes(folder)) {
    const body = cassette.request.body as { model?: unknown } | undefined
    if (typeof body?.model === "string") ids.add(body.model)
    const google = /\/models\/([^/:]+):/.exec(cassette.request.path)
    if (google) ids.add(google[1]!)
    const bedrock = /^\/model\/([^/]+)\//.exec(cassette.request.path)
    if (bedrock) ids.add(decodeURIComponent(bedrock[1]!))
  }
  return [...ids]
}

const recorded: ReadonlyArray<readonly [CassetteFolder, ProviderId]> = [
  ["openai-chat", "openai"],
  ["openai-responses", "openai"],
  ["anthropic", "anthropic"],
  ["gemini", "gemini"],
  ["vertex", "vertex"],
  ["bedrock", "bedrock"]
]

/** Real id shapes beyond the recordings. */
const shapes: ReadonlyArray<readonly [ProviderId, string]> = [
  ["openai", "gpt-4o-2024-08-06"],
  ["openai", "ft:gpt-4o-mini:org::id"],
  ["openai", "ft:gpt-4o-mini-2024-07-18:my-org:custom_suffix:9abcDEF1"],
  ["openai", "meta-llama/Llama-3.1-8B-Instruct"], // an OpenAI-compatible server (vLLM)
  ["openai", "llama3.1:8b"], // Ollama's OpenAI-compatible API
  ["anthropic", "claude-sonnet-4-5-20250929"],
  ["anthropic", "claude-3-5-haiku-latest"],
  ["gemini", "gemini-2.5-flash"],
  ["gemini", "models/gemini-2.5-flash"],
  ["gemini", "tunedModels/x"],
  ["gemini", "gemini-2.0-flash-001"],
  ["vertex", "gemini-2.5-flash"],
  ["vertex", "claude-sonnet-4-5@20250929"],
  ["vertex", "publishers/google/models/gemini-2.5-flash"],
  ["vertex", "meta/llama-3.1-405b-instruct-maas"],
  ["vertex", "models/gemini-2.5-flash"],
  ["bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
  ["bedrock", "anthropic.claude-3-5-haiku-20241022-v1:0"],
  ["bedrock", "arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
  ["bedrock", "arn:aws:bedrock:us-east-1::foundation-model/anthropic.claude-3-5-haiku-20241022-v1:0"],
  ["bedrock", "arn:aws:bedrock:us-west-2:123456789012:application-inference-profile/a1b2c3d4e5f6"],
  ["bedrock", "arn:aws-us-gov:bedrock:us-gov-west-1:123456789012:provisioned-model/abc123def456"]
]

/** Ids that could leave the model's path, each with the reason it is refused (the same for every provider). */
const hostile: ReadonlyArray<readonly [string, string]> = [
  ["%2e%2e/%2e%2e/v1beta/files/abc:delete#", 'it contains "%"'],
  ["../../x", "it must start with a letter or a digit"],
  ["./x", "it must start with a letter or a digit"],
  ["x/./y", 'it has an empty, "." or ".." path segment'],
  ["x/../y", 'it has an empty, "." or ".." path segment'],
  ["x//y", 'it has an empty, "." or ".." path segment'],
  ["x/", 'it has an empty, "." or ".." path segment'],
  ["/x", "it must start with a letter or a digit"],
  ["a?b=c", 'it contains "?"'],
  ["a#b", 'it contains "#"'],
  ["a&b", 'it contains "&"'],
  ["a b", "it contains a space"],
  ["a\tb", "it contains a control character (U+0009)"],
  ["a\nb", "it contains a control character (U+000A)"],
  ["a\r\nb", "it contains a control character (U+000D)"],
  ["a\u0000b", "it contains a control character (U+0000)"],
  ["a\u007fb", "it contains a control character (U+007F)"],
  ["a\\b", 'it contains "\\"'],
  ["a%2fb", 'it contains "%"'],
  ["gpt-4o\u00a0", "it contains a non-ASCII character (U+00A0)"],
  ["gpt\u20144o", "it contains a non-ASCII character (U+2014)"],
  ["-x", "it must start with a letter or a digit"],
  [".x", "it must start with a letter or a digit"],
  ["", "it is empty or not a string"],
  ["x".repeat(maxModelIdLength + 1), `it is ${maxModelIdLength + 1} characters long`],
  ["x".repeat(300_000), "it is 300000 characters long"]
]

describe("model ids: what passes", () => {
  for (const [folder, provider] of recorded)
    it(`every model id recorded in cassettes/${folder} passes for ${provider}`, () => {
      const ids = recordedIds(folder)
      expect(ids.length).toBeGreaterThan(0)
      expect(ids.map((id) => [id, modelIdProblem(id, checkOf(provider))])).toEqual(ids.map((id) => [id, undefined]))
    })

  it("the documented id shapes pass for their provider", () => {
    expect(shapes.map(([provider, id]) => [id, modelIdProblem(id, checkOf(provider))])).toEqual(
      shapes.map(([, id]) => [id, undefined])
    )
  })

  it(`${maxModelIdLength} characters pass, one more does not`, () => {
    expect(modelIdProblem("x".repeat(maxModelIdLength), checkOf("openai"))).toBeUndefined()
    expect(modelIdProblem("x".repeat(maxModelIdLength + 1), checkOf("openai"))).toBe(
      `it is ${maxModelIdLength + 1} characters long`
    )
  })
})

describe("model ids: what fails", () => {
  it("ids that could leave the model's path fail for every provider", () => {
    for (const provider of [...providerTypes.map((type) => type.name), undefined])
      for (const [id, reason] of hostile)
        expect(modelIdProblem(id, checkOf(provider)), `${provider} ${JSON.stringify(id).slice(0, 60)}`).toBe(reason)
  })

  it("Google ids: no ':' (a method name), no '..', '/' only in the forms each API uses", () => {
    expect(modelIdProblem("gemini-2.5-flash:countTokens", checkOf("gemini"))).toContain('":"')
    expect(modelIdProblem("gemini-2.5-flash:countTokens", checkOf("vertex"))).toContain('":"')
    expect(modelIdProblem("gemini-2..5", checkOf("gemini"))).toContain('".."')
    expect(modelIdProblem("files/abc", checkOf("gemini"))).toContain("models/ or tunedModels/")
    expect(modelIdProblem("models/a/b", checkOf("gemini"))).toContain("models/ or tunedModels/")
    expect(modelIdProblem("projects/other/locations/us-central1/endpoints/1", checkOf("vertex"))).toContain(
      "names a project"
    )
    // The same ids are fine where the model travels in the body or is percent-encoded.
    expect(modelIdProblem("files/abc", checkOf("openai"))).toBeUndefined()
    expect(modelIdProblem("gemini-2..5", checkOf("bedrock"))).toBeUndefined()
  })
})

describe("model ids in the config and in code-built options", () => {
  const config = (extra: string) => `active_provider: gemini
active_model: "%2e%2e/files/abc:delete#"
providers:
  gemini:
    api_key: k
    fallback_models: ["gemini-2.5-flash", "models/../x"]
  openai:
    api_key: k
${extra}`

  it("active_model, fallback_models and fallback.chain models are checked against their provider", () => {
    const problems = checkConfig(
      config(`fallback:
  chain:
    - { provider: openai, model: "gpt-4o\\r\\nX: y" }
    - { provider: gemini, model: "gemini-2.5-flash:delete" }
    - { provider: openai, model: "files/abc" }
`)
    )
    expect(problems.map((p) => [p.path, p.message.replace(/;.*$/, "")])).toEqual([
      [
        "providers.gemini.fallback_models[1]",
        'is not a valid gemini model id: it has an empty, "." or ".." path segment'
      ],
      ["active_model", 'is not a valid gemini model id: it contains "%"'],
      ["fallback.chain[0].model", "is not a valid openai model id: it contains a control character (U+000D)"],
      ["fallback.chain[1].model", 'is not a valid gemini model id: it contains ":" (Gemini reads it as a method name)']
    ])
    for (const problem of problems)
      expect(problem.message).toContain("model ids are 1 to 256 characters: letters, digits and . _ - : @ /")
  })

  it.effect("a code-built orchestrator with such ids fails to build with a ConfigError", () =>
    Effect.gen(function* () {
      const { layer } = setup({
        activeProvider: "gemini",
        activeModel: "a?b",
        providers: { gemini: { fallbackModels: ["ok-model", "x#y"] }, openai: {} },
        fallback: { chain: [{ provider: "openai", model: "../../admin" }] }
      })
      const error = yield* Effect.flip(Layer.build(layer))
      expect(error._tag).toBe("ConfigError")
      expect("problems" in error ? error.problems.map((p) => p.path) : []).toEqual([
        "activeModel",
        "providers.gemini.fallbackModels[1]",
        "fallback.chain[0].model"
      ])
    }).pipe(Effect.scoped)
  )
})
