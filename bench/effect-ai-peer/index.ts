/**
 * effect/ai's OpenAI-compatible client (chat completions, the wire the raw `openai` SDK arm uses) as a
 * bench peer: `LanguageModel.generateText` / `streamText` over `OpenAiLanguageModel` and Effect's fetch
 * HTTP client, run from a `ManagedRuntime` as an application would. It runs on the Effect 4.0 beta it
 * was released for (its modules import `effect/unstable/*`, which Effect 4.1 moved).
 */
import { OpenAiClient, OpenAiLanguageModel } from "@effect/ai-openai-compat"
import { Effect, Layer, ManagedRuntime, Redacted, Stream } from "effect"
import * as LanguageModel from "effect/unstable/ai/LanguageModel"
import * as FetchHttpClient from "effect/unstable/http/FetchHttpClient"

export interface EffectAiPeerOptions {
  readonly apiUrl: string
  readonly apiKey: string
  readonly model: string
  readonly system: string
  readonly user: string
  readonly maxTokens: number
}

export const effectAiPeer = (options: EffectAiPeerOptions) => {
  const layer = OpenAiLanguageModel.layer({
    model: options.model,
    config: { max_output_tokens: options.maxTokens }
  }).pipe(
    Layer.provide(OpenAiClient.layer({ apiKey: Redacted.make(options.apiKey), apiUrl: options.apiUrl })),
    Layer.provide(FetchHttpClient.layer)
  )
  const runtime = ManagedRuntime.make(layer)
  const prompt = [
    { role: "system" as const, content: options.system },
    { role: "user" as const, content: options.user }
  ]
  return {
    plain: () => runtime.runPromise(LanguageModel.generateText({ prompt })),
    stream: () => {
      const start = performance.now()
      let ttft = -1
      let deltas = 0
      return runtime
        .runPromise(
          Stream.runForEach(LanguageModel.streamText({ prompt }), (part) =>
            Effect.sync(() => {
              if (part.type === "text-delta" && part.delta) {
                if (ttft < 0) ttft = performance.now() - start
                deltas++
              }
            })
          )
        )
        .then(() => ({ ttftMs: ttft, totalMs: performance.now() - start, deltas }))
    },
    dispose: () => runtime.dispose()
  }
}
