/**
 * `loadSdk`, the one way every provider loads its SDK: a package that cannot be loaded is a
 * `ConfigError` naming the package to install, never a defect.
 */
import { describe, expect, it } from "@effect/vitest"
import type { ConfigError, LLMProvider } from "@llm-orchestrator/core"
import { Config, ConfigProvider, Effect, Layer } from "effect"
import { layerFromEnv, loadSdk, optionalEnv } from "../../src/kit/index.ts"

describe("loadSdk", () => {
  it.effect("a package that is not installed is a ConfigError at the provider's path, naming what to install", () =>
    Effect.gen(function* () {
      // A name no registry serves, imported the way the adapters import their SDKs.
      const missing = "@llm-orchestrator/no-such-sdk"
      const error = yield* Effect.flip(loadSdk("providers.openai", missing, () => import(missing)))
      expect(error._tag).toBe("ConfigError")
      expect(error.problems).toEqual([
        {
          path: "providers.openai",
          message: `the \`${missing}\` package is not installed: install it (npm install ${missing}) to use this provider`
        }
      ])
    })
  )

  it.effect("a package that fails while loading is the same ConfigError, with the reason", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        loadSdk("providers.bedrock", "@aws-sdk/client-bedrock", () => Promise.reject(new Error("broken install")))
      )
      expect(error.problems).toEqual([
        {
          path: "providers.bedrock",
          message:
            "the `@aws-sdk/client-bedrock` package cannot be loaded (broken install): install it (npm install @aws-sdk/client-bedrock) to use this provider"
        }
      ])
    })
  )

  it.effect(
    "CommonJS's MODULE_NOT_FOUND is also 'not installed'; a rejection with no error object still names the package",
    () =>
      Effect.gen(function* () {
        const cjs = yield* Effect.flip(
          loadSdk("providers.gemini", "@google/genai", () =>
            Promise.reject(Object.assign(new Error("x"), { code: "MODULE_NOT_FOUND" }))
          )
        )
        expect(cjs.problems[0]!.message).toBe(
          "the `@google/genai` package is not installed: install it (npm install @google/genai) to use this provider"
        )
        const bare = yield* Effect.flip(loadSdk("providers.gemini", "@google/genai", () => Promise.reject(null)))
        expect(bare.problems[0]!.message).toBe(
          "the `@google/genai` package cannot be loaded (null): install it (npm install @google/genai) to use this provider"
        )
      })
  )

  it.effect("an installed SDK is returned as loaded", () =>
    Effect.gen(function* () {
      const sdk = yield* loadSdk("providers.openai", "openai", () => import("openai"))
      expect(typeof sdk.default).toBe("function")
    })
  )
})

describe("layerFromEnv", () => {
  it.effect("hands the provider's layer the variables that are set and leaves unset optional ones out", () =>
    Effect.gen(function* () {
      let seen: object | undefined
      const layer = layerFromEnv(
        { apiKey: Config.String("TEST_KEY"), baseUrl: optionalEnv(Config.String("TEST_BASE_URL")) },
        (options) => {
          seen = options
          return Layer.empty as unknown as Layer.Layer<LLMProvider, ConfigError>
        }
      )
      const env = ConfigProvider.layer(ConfigProvider.fromUnknown({ TEST_KEY: "k-1" }))
      yield* Effect.scoped(Layer.build(layer.pipe(Layer.provide(env))))
      expect(Object.entries(seen!)).toEqual([["apiKey", "k-1"]])
    })
  )
})
