/**
 * Gradual provider migration by a config switch: the application code below never mentions a
 * provider. Moving from OpenAI to Anthropic is one edit of the config file (`active_provider`).
 *
 *   pnpm example migration                      # against the local simulators
 *   npx -y pnpm@12.21.0 exec node examples/migration.ts my-config.yaml   # against real providers (the file is restored at the end)
 *
 * The config configures both providers and lists the migration target in
 * `providers.anthropic.fallback_models`. The old active model is an OpenAI model that Anthropic does
 * not have: `discovery.validate: true` skips it without a call (without it, Anthropic's 404 does the
 * same), so the chain goes straight to the Anthropic model:
 *
 *   active_provider: openai            # <- the only line that changes
 *   active_model: gpt-4o-mini
 *   providers:
 *     openai:    { api_key: "${OPENAI_API_KEY}" }
 *     anthropic: { api_key: "${ANTHROPIC_API_KEY}", fallback_models: [claude-haiku-4-5-20251001] }
 *   discovery: { validate: true }
 */
import { readFile, writeFile } from "node:fs/promises"
import { type ChatRequest, createOrchestrator } from "llm-orchestrator"

export interface MigrationContext {
  readonly configPath: string
}

const request: ChatRequest = {
  messages: [{ role: "user", content: "In one sentence: what is a gradual migration?" }],
  metadata: { feature: "migration-demo" }
}

/** The application: it asks the configured model and reports who answered. */
const askOnce = async (configPath: string, label: string) => {
  const llm = await createOrchestrator(configPath)
  try {
    const response = await llm.sendRequest(request)
    const skipped = response.attempts.filter((a) => a.outcome !== "success")
    console.log(`${label}: answered by ${response.provider}/${response.model}`)
    for (const a of skipped) console.log(`  (skipped ${a.provider}/${a.model}: ${a.errorTag})`)
    console.log(`  "${response.content}"`)
  } finally {
    await llm.close() // flushes the cost log
  }
}

export const main = async ({ configPath }: MigrationContext): Promise<void> => {
  const original = await readFile(configPath, "utf8")
  try {
    await askOnce(configPath, "before the switch")

    // The migration: one line of config. No code changes, no redeploy of code.
    const switched = original.replace(/^active_provider:.*$/m, "active_provider: anthropic")
    await writeFile(configPath, switched)
    console.log("config edited: active_provider: openai -> anthropic")

    await askOnce(configPath, "after the switch")
  } finally {
    await writeFile(configPath, original) // leave the file as we found it
  }
}

if (import.meta.main) await main({ configPath: process.argv[2] ?? "config.yaml" })
