/**
 * Retry and fallback, as an Effect program: when the active model is rate limited or down, the
 * request is retried (honouring Retry-After), then moves down the chain: the provider's
 * `fallback_models`, then `fallback.chain` (other providers). `response.attempts` tells the story.
 *
 *   pnpm example fallback                        # simulators, scripted to fail the active model
 *   npx -y pnpm@12.21.0 exec node examples/fallback.ts my-config.yaml     # real providers (the chain is used only if needed)
 *
 * The config's relevant part:
 *
 *   providers:
 *     openai: { api_key: "${OPENAI_API_KEY}", fallback_models: [gpt-4o-mini, gpt-4o] }
 *   retry: { max_attempts: 3, initial_delay: 100ms, max_retry_after: 30s }
 *   fallback:
 *     chain: [{ provider: anthropic, model: claude-haiku-4-5-20251001 }]
 */
import { NodeRuntime } from "@effect/platform-node"
import { Console, Effect } from "effect"
import { LLMOrchestrator } from "llm-orchestrator"
import { attemptsTable } from "./format.ts"

export interface FallbackContext {
  readonly configPath: string
}

export const program = Effect.gen(function* () {
  const llm = yield* LLMOrchestrator
  const response = yield* llm.sendRequest({
    messages: [{ role: "user", content: "Name one benefit of a fallback chain." }]
  })
  yield* Console.log(attemptsTable(response.attempts))
  yield* Console.log(`answered by ${response.provider}/${response.model} after ${response.attempts.length} attempts`)
  yield* Console.log(`answer: ${response.content}`)
})

/** The layer reads the config file; a bad file fails with a ConfigError naming the key. */
export const main = ({ configPath }: FallbackContext): Promise<void> =>
  Effect.runPromise(program.pipe(Effect.provide(LLMOrchestrator.layerFromFile(configPath))))

if (import.meta.main) {
  program.pipe(Effect.provide(LLMOrchestrator.layerFromFile(process.argv[2] ?? "config.yaml")), NodeRuntime.runMain)
}
