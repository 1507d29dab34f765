/**
 * Tool calling with the Promise facade: the model asks for the weather of two cities, `runTools` runs
 * the tool for each call, sends the results back and returns the model's answer, with the usage and
 * cost of both model calls added up.
 *
 *   pnpm example tools                            # against the local simulators
 *   npx -y pnpm@12.21.0 exec node examples/tools.ts my-config.yaml    # against real providers
 */
import { type AsyncTool, createOrchestrator } from "llm-orchestrator"
import { usd } from "./format.ts"

export interface ToolsContext {
  readonly configPath: string
}

/** A stand-in for a real weather API. */
const temperatures: Readonly<Record<string, number>> = { Paris: 21, Oslo: 9 }

const getWeather: AsyncTool = {
  name: "get_weather",
  description: "The current temperature in a city, in degrees Celsius",
  parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  execute: async (args) => {
    const city = String(args.city)
    console.log(`  running get_weather(${JSON.stringify(args)})`)
    if (!(city in temperatures)) throw new Error(`no weather station in ${city}`)
    return { city, celsius: temperatures[city] }
  }
}

export const main = async ({ configPath }: ToolsContext): Promise<void> => {
  const llm = await createOrchestrator(configPath)
  try {
    const result = await llm.runTools(
      { messages: [{ role: "user", content: "Is it warmer in Paris or in Oslo right now?" }] },
      [getWeather]
    )
    for (const [i, step] of result.steps.entries()) {
      const calls = (step.toolCalls ?? []).map((call) => `${call.name}(${JSON.stringify(call.arguments)})`)
      console.log(
        `step ${i + 1}: ${step.provider}/${step.model} ${step.finishReason}${calls.length ? `: ${calls.join(", ")}` : ""}`
      )
    }
    console.log(`answer: ${result.response.content}`)
    console.log(
      `usage: ${result.usage.inputTokens} tokens in, ${result.usage.outputTokens} out over ${result.steps.length} calls; cost ${usd(result.cost?.total)}`
    )
  } finally {
    await llm.close()
  }
}

if (import.meta.main) await main({ configPath: process.argv[2] ?? "config.yaml" })
