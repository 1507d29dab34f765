/**
 * A session budget: with `cost_tracking.budget_usd` set, requests fail with `BudgetExceededError`
 * (before anything is sent) once the session has spent it.
 *
 *   pnpm example budget                          # simulators: a budget of $0.01, a first answer that spends it
 *   npx -y pnpm@12.21.0 exec node examples/budget.ts my-config.yaml       # real providers: set a tiny budget, e.g.
 *                                                #   cost_tracking: { enabled: true, budget_usd: 0.00001 }
 */
import { BudgetExceededError, createOrchestrator } from "llm-orchestrator"
import { usd } from "./format.ts"

export interface BudgetContext {
  readonly configPath: string
}

export const main = async ({ configPath }: BudgetContext): Promise<void> => {
  const llm = await createOrchestrator(configPath)
  try {
    for (let request = 1; request <= 5; request++) {
      try {
        const response = await llm.sendRequest({ messages: [{ role: "user", content: "Tell me a long story." }] })
        console.log(`request ${request}: ok, cost ${usd(response.cost?.total)}`)
        console.log(`  session spent so far: ${usd(await llm.getSessionCost())}`)
      } catch (error) {
        // Errors are thrown as they are: typed LLMErrors (instanceof works, and so does `error._tag`).
        if (error instanceof BudgetExceededError) {
          console.log(`request ${request}: refused, ${error._tag}: ${error.message}`)
          console.log(`  spent ${usd(error.spentUsd)} of a ${usd(error.budgetUsd)} budget; nothing was sent`)
          return
        }
        throw error
      }
    }
  } finally {
    await llm.close()
  }
}

if (import.meta.main) await main({ configPath: process.argv[2] ?? "config.yaml" })
