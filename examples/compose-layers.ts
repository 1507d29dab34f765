/**
 * The orchestrator built by hand from Effect layers, with no config file: pick your providers'
 * layers, the cost tracking layer, and the chain. This is what `LLMOrchestrator.layerFromFile`
 * does for you from YAML; doing it by hand lets keys come from a secret manager, lets tests swap in
 * fake providers (see fake-provider.test.ts), and keeps everything type-checked.
 *
 *   pnpm example compose-layers                  # against the local simulators
 *   OPENAI_API_KEY=... ANTHROPIC_API_KEY=... npx -y pnpm@12.21.0 exec node examples/compose-layers.ts   # real providers
 *
 * (Each provider also has `layerConfig`, which reads its key and base URL from the environment.)
 */
import { NodeRuntime } from "@effect/platform-node"
import { CostTracking } from "@llm-orchestrator/cost"
import { AnthropicProvider, OpenAIProvider, priceSourcesByType } from "@llm-orchestrator/providers"
import { Console, Effect, Layer, Redacted, Stream } from "effect"
import { LLMOrchestrator } from "llm-orchestrator"
import { usd } from "./format.ts"

interface Endpoint {
  readonly apiKey: string
  /** Leave out for the provider's real API. */
  readonly baseUrl?: string | undefined
}

export interface ComposeLayersContext {
  readonly openai: Endpoint
  readonly anthropic: Endpoint
}

const endpoint = ({ apiKey, baseUrl }: Endpoint) => ({
  apiKey: Redacted.make(apiKey), // a Redacted key never shows in logs, errors or traces
  ...(baseUrl ? { baseUrl } : {})
})

export const orchestratorLayer = (context: ComposeLayersContext) =>
  LLMOrchestrator.layer({
    activeProvider: "openai",
    activeModel: "gpt-4o-mini",
    providers: {
      openai: { layer: OpenAIProvider.layer(endpoint(context.openai)), fallbackModels: ["gpt-4o"] },
      anthropic: { layer: AnthropicProvider.layer(endpoint(context.anthropic)) }
    },
    retry: { maxAttempts: 2, initialDelayMs: 200 },
    // After OpenAI's models, try Anthropic (also when OpenAI refuses our key: another provider may not).
    fallback: { chain: [{ provider: "anthropic", model: "claude-haiku-4-5-20251001" }] }
  }).pipe(
    // The orchestrator records every call into the cost services; `prices` overrides the catalogue.
    Layer.provide(CostTracking.layer({ enabled: true, prices: {} }, { priceSources: priceSourcesByType }))
  )

export const program = Effect.gen(function* () {
  const llm = yield* LLMOrchestrator

  const response = yield* llm.sendRequest({ messages: [{ role: "user", content: "What is a Layer?" }] })
  yield* Console.log(`request answered by ${response.provider}/${response.model}: ${response.content}`)

  yield* Console.log("stream:")
  yield* llm.sendStreamingRequest({ messages: [{ role: "user", content: "And a Stream?" }] }).pipe(
    Stream.runForEach((event) =>
      event._tag === "TextDelta"
        ? Effect.sync(() => process.stdout.write(event.text))
        : event._tag !== "Finish"
          ? Effect.void // tool-call events: this request has no tools
          : Console.log(
              `\nstream answered by ${event.provider}/${event.model} after ${event.attempts
                .map((a) => `${a.provider}/${a.model} ${a.errorTag ?? a.outcome}`)
                .join(" -> ")}`
            )
    )
  )
  yield* Console.log(`session cost: ${usd(yield* llm.getSessionCost)}`)
})

export const main = (context: ComposeLayersContext): Promise<void> =>
  Effect.runPromise(program.pipe(Effect.provide(orchestratorLayer(context))))

if (import.meta.main) {
  program.pipe(
    Effect.provide(
      orchestratorLayer({
        openai: { apiKey: process.env.OPENAI_API_KEY ?? "", baseUrl: process.env.OPENAI_BASE_URL },
        anthropic: { apiKey: process.env.ANTHROPIC_API_KEY ?? "", baseUrl: process.env.ANTHROPIC_BASE_URL }
      })
    ),
    NodeRuntime.runMain
  )
}
