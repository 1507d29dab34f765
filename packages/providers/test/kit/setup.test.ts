/**
 * `loadSdk`, the one way every provider loads its SDK: a package that cannot be loaded is a
 * `ConfigError` naming the package to install, never a defect.
 */
import { describe, expect, it } from "@effect/vitest"
import { Effect } from "effect"
import { loadSdk } from "../../src/kit/index.ts"

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

  it.effect("an installed SDK is returned as loaded", () =>
    Effect.gen(function* () {
      const sdk = yield* loadSdk("providers.openai", "openai", () => import("openai"))
      expect(typeof sdk.default).toBe("function")
    })
  )
})
