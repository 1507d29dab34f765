/**
 * Google Gemini API (generativelanguage.googleapis.com) through `@google/genai`, loaded when the layer
 * is built. SDK retries stay off (no `retryOptions`), every call carries the fiber's abort signal.
 */
import type { Model } from "@google/genai"
import { ConfigError, LLMProvider, type ModelInfo } from "@llm-orchestrator/core"
import { Config, Effect, Layer, Redacted } from "effect"
import { layerFromEnv, loadSdk, optionalEnv, redactor, sdkFetch, unsafeHeaderValues } from "../kit/index.ts"
import { makeGoogleProvider } from "./google.ts"
import { checkGeminiModelId } from "./model-ids.ts"

export interface GeminiOptions {
  readonly apiKey: Redacted.Redacted<string>
  /** A proxy or a simulator instead of https://generativelanguage.googleapis.com. */
  readonly baseUrl?: string
  /** Per-attempt timeout in milliseconds (default 10 min; 0: none). */
  readonly timeoutMs?: number
  /** Streams: the longest wait for more text once text has begun (default 60 s; 0: none). */
  readonly idleTimeoutMs?: number
}

/** Models that answer generateContent (embedding, image and other models are left out). */
const geminiModelInfo = (model: Model): ModelInfo | undefined => {
  if (!model.name || !(model.supportedActions ?? []).includes("generateContent")) return undefined
  return {
    id: model.name.replace(/^models\//, ""),
    provider: "gemini",
    ...(model.displayName ? { displayName: model.displayName } : {}),
    ...(model.inputTokenLimit !== undefined ? { contextWindow: model.inputTokenLimit } : {}),
    ...(model.outputTokenLimit !== undefined ? { maxOutputTokens: model.outputTokenLimit } : {})
  }
}

const layer = (options: GeminiOptions): Layer.Layer<LLMProvider, ConfigError> =>
  Layer.effect(
    LLMProvider,
    Effect.gen(function* () {
      const apiKey = Redacted.value(options.apiKey)
      if (apiKey.trim() === "")
        return yield* Effect.fail(
          ConfigError.fromProblems([
            { path: "providers.gemini.api_key", message: "the Gemini API key is empty; set GEMINI_API_KEY" }
          ])
        )
      const unsafe = unsafeHeaderValues([["providers.gemini.api_key", apiKey]])
      if (unsafe !== undefined) return yield* Effect.fail(unsafe)
      const { GoogleGenAI } = yield* loadSdk("providers.gemini", "@google/genai", () => import("@google/genai"))
      const client = new GoogleGenAI({
        apiKey,
        httpOptions: { fetch: sdkFetch, ...(options.baseUrl !== undefined ? { baseUrl: options.baseUrl } : {}) }
      })
      return LLMProvider.of(
        makeGoogleProvider({
          provider: "gemini",
          client,
          timeoutMs: options.timeoutMs,
          idleTimeoutMs: options.idleTimeoutMs,
          redact: redactor([apiKey]),
          modelInfo: geminiModelInfo,
          checkModelId: checkGeminiModelId
        })
      )
    })
  )

/** GEMINI_API_KEY (or GOOGLE_API_KEY), GEMINI_BASE_URL, GEMINI_TIMEOUT_MS. */
const layerConfig = layerFromEnv(
  {
    apiKey: Config.Redacted("GEMINI_API_KEY").pipe(
      Config.orElse(() => Config.Redacted("GOOGLE_API_KEY")),
      // When neither is set, the error names the primary variable.
      Config.orElse(() => Config.Redacted("GEMINI_API_KEY"))
    ),
    baseUrl: optionalEnv(Config.String("GEMINI_BASE_URL")),
    timeoutMs: optionalEnv(Config.Int("GEMINI_TIMEOUT_MS"))
  },
  layer
)

export const GeminiProvider = { layer, layerConfig }
