/**
 * The Vertex layer's settings checks, each a ConfigError at its key before any SDK call, and the
 * `check` summary line of every provider type (what it connects with, never a secret).
 */
import { describe, expect, it } from "@effect/vitest"
import { LLMProvider } from "@llm-orchestrator/core"
import { Effect, Redacted } from "effect"
import { anthropicType } from "../src/anthropic/type.ts"
import { bedrockType } from "../src/bedrock/type.ts"
import { geminiType, vertexType } from "../src/google/type.ts"
import { type VertexOptions, VertexProvider } from "../src/google/vertex.ts"
import { openaiCompatibleType } from "../src/openai/compatible-type.ts"
import { openaiType } from "../src/openai/type.ts"

const problemsOf = (options: VertexOptions) =>
  Effect.gen(function* () {
    const error = yield* Effect.flip(
      Effect.scoped(Effect.provide(Effect.service(LLMProvider), VertexProvider.layer(options)))
    )
    return error._tag === "ConfigError" ? error.problems : error
  })

describe("the Vertex layer's settings checks", () => {
  it.effect("an empty key, a key with a file of credentials, and no project with neither key nor base_url", () =>
    Effect.gen(function* () {
      expect(yield* problemsOf({ project: "p", apiKey: Redacted.make("   ") })).toEqual([
        { path: "providers.vertex.api_key", message: "the Vertex API key is empty" }
      ])
      expect(yield* problemsOf({ apiKey: Redacted.make("AQ.vertex-key"), credentialsFile: "/tmp/sa.json" })).toEqual([
        {
          path: "providers.vertex.credentials_file",
          message: "set either api_key (express mode) or credentials_file (Application Default Credentials), not both"
        }
      ])
      const noProject = [
        {
          path: "providers.vertex.project",
          message:
            "Vertex AI needs a project: set providers.vertex.project (or GOOGLE_CLOUD_PROJECT), or api_key for express mode"
        }
      ]
      expect(yield* problemsOf({})).toEqual(noProject)
      expect(yield* problemsOf({ location: "europe-west4" })).toEqual(noProject)
    })
  )

  it.effect("a project alone, a key alone (express mode) or a base_url alone is enough to build the layer", () =>
    Effect.gen(function* () {
      const build = (options: VertexOptions) =>
        Effect.scoped(
          Effect.provide(
            Effect.map(Effect.service(LLMProvider), () => "built"),
            VertexProvider.layer(options)
          )
        )
      expect(yield* build({ project: "my-project" })).toBe("built")
      expect(yield* build({ apiKey: Redacted.make("AQ.vertex-key") })).toBe("built")
      expect(yield* build({ baseUrl: "http://127.0.0.1:1" })).toBe("built")
    })
  )
})

describe("each type's summary line for `check`", () => {
  it("says how it authenticates and what it uses, never the secret", () => {
    const key = Redacted.make("secret-value-000")
    expect(vertexType.describe({ fallbackModels: [], location: "global" })).toEqual([
      "project (from ADC)",
      "location global",
      "ADC"
    ])
    expect(
      vertexType.describe({ fallbackModels: [], project: "p1", location: "us-central1", credentialsFile: "/sa.json" })
    ).toEqual(["project p1", "location us-central1", "credentials /sa.json"])
    expect(vertexType.describe({ fallbackModels: [], location: "global", apiKey: key })).toEqual([
      "project (from ADC)",
      "location global",
      "API key"
    ])
    expect(geminiType.describe({ fallbackModels: [], apiKey: key })).toEqual(["API key"])
    expect(openaiType.describe({ fallbackModels: [], apiKey: key, api: "responses" })).toEqual([
      "API key",
      "responses API"
    ])
    expect(openaiCompatibleType.describe({ fallbackModels: [], baseUrl: "http://h/v1" })).toEqual([
      "no key",
      "prices from cost_tracking.prices"
    ])
    expect(
      openaiCompatibleType.describe({
        fallbackModels: [],
        baseUrl: "http://h/v1",
        apiKey: key,
        priceProvider: "openai"
      })
    ).toEqual(["API key", "prices of openai"])
    expect(bedrockType.describe({ fallbackModels: [], region: "eu-west-1" })).toEqual([
      "region eu-west-1",
      "default AWS credentials"
    ])
    expect(bedrockType.describe({ fallbackModels: [], region: "eu-west-1", profile: "dev" })).toEqual([
      "region eu-west-1",
      "profile dev"
    ])
    expect(anthropicType.describe({ fallbackModels: [], apiKey: key }).join(" ")).not.toContain("secret-value")
  })
})
