/**
 * Cost-aware model comparison: the same prompts through several models (one config file each), then
 * a table of tokens and cost per model, so a switch of model is decided on numbers.
 *
 *   pnpm example cost-comparison                                        # against the local simulators
 *   npx -y pnpm@12.21.0 exec node examples/cost-comparison.ts openai.yaml anthropic.yaml gemini.yaml   # against real providers
 *
 * Each config differs only in `active_provider` / `active_model`. Prices come from the genai-prices
 * catalogue; `cost_tracking.prices` in a config overrides them (e.g. a negotiated rate).
 */
import { type ChatRequest, createOrchestrator } from "llm-orchestrator"
import { formatTable, usd } from "./format.ts"

export interface CostComparisonContext {
  readonly configPaths: ReadonlyArray<string>
}

const prompts: ReadonlyArray<ChatRequest> = [
  "Summarise the plot of Hamlet in two sentences.",
  "Write a SQL query that counts orders per customer.",
  "Explain exponential backoff to a new engineer."
].map((content) => ({
  messages: [{ role: "user", content }],
  maxTokens: 300,
  metadata: { feature: "model-comparison" } // cost tags: the report can group by them
}))

export const main = async ({ configPaths }: CostComparisonContext): Promise<void> => {
  const rows: Array<ReadonlyArray<string>> = []
  const perPromptCosts: Array<{ readonly model: string; readonly usd: number }> = []
  let total = 0
  for (const configPath of configPaths) {
    const llm = await createOrchestrator(configPath)
    try {
      let inputTokens = 0
      let outputTokens = 0
      let answeredBy = ""
      for (const prompt of prompts) {
        const response = await llm.sendRequest(prompt)
        answeredBy = `${response.provider}/${response.model}`
        inputTokens += response.usage.inputTokens
        outputTokens += response.usage.outputTokens
      }
      // The session's own bookkeeping: every call recorded, priced once per model.
      const report = await llm.getCostReport()
      total += report.costUsd
      // A model without a known price is "unpriced", never $0 (it would always look cheapest).
      const priced = report.unpricedCalls === 0
      const perPrompt = report.costUsd / prompts.length
      if (priced) perPromptCosts.push({ model: answeredBy, usd: perPrompt })
      rows.push([
        answeredBy,
        String(report.calls),
        String(inputTokens),
        String(outputTokens),
        priced ? usd(report.costUsd) : "unpriced",
        priced ? usd(perPrompt) : "unpriced",
        priced ? usd(perPrompt * 1_000) : "unpriced"
      ])
    } finally {
      await llm.close()
    }
  }
  console.log(formatTable(["model", "calls", "tokens in", "tokens out", "cost", "per prompt", "per 1k prompts"], rows))
  const cheapest = perPromptCosts.toSorted((a, b) => a.usd - b.usd)[0]
  if (cheapest) console.log(`cheapest per prompt: ${cheapest.model} (${usd(cheapest.usd)})`)
  console.log(`total spent on the comparison: ${usd(total)}`)
}

if (import.meta.main) await main({ configPaths: process.argv.slice(2) })
