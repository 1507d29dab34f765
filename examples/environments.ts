/**
 * One code base, one config file per environment, chosen by an environment variable: dev can run on
 * a cheap model, prod on another provider with a cost log, and the code never changes.
 *
 *   pnpm example environments                    # dev (the default), against the local simulators
 *   LLM_ENV=prod pnpm example environments       # prod
 *   LLM_ENV=staging npx -y pnpm@12.21.0 exec node examples/environments.ts ./configs   # real providers: a folder holding
 *                                                 # config.dev.yaml, config.staging.yaml, config.prod.yaml
 */
import { existsSync } from "node:fs"
import { join } from "node:path"
import { createOrchestrator } from "llm-orchestrator"

export interface EnvironmentsContext {
  /** The folder holding config.<env>.yaml files. */
  readonly configDir: string
}

export const main = async ({ configDir }: EnvironmentsContext): Promise<void> => {
  const environment = process.env.LLM_ENV ?? "dev"
  const configPath = join(configDir, `config.${environment}.yaml`)
  // Fail with a clear message rather than a bare ENOENT: a typo in LLM_ENV is the usual cause.
  if (!existsSync(configPath)) throw new Error(`LLM_ENV=${environment}: no config file at ${configPath}`)

  const llm = await createOrchestrator(configPath)
  try {
    const response = await llm.sendRequest({
      messages: [{ role: "user", content: "Say hello to the team." }],
      metadata: { environment } // cost records carry the environment as a tag
    })
    console.log(`environment: ${environment} (${configPath})`)
    console.log(`provider: ${response.provider}`)
    console.log(`model: ${response.model}`)
    console.log(`answer: ${response.content}`)
  } finally {
    await llm.close()
  }
}

if (import.meta.main) await main({ configDir: process.argv[2] ?? "." })
