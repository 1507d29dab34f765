/**
 * Run by lazy-sdk-loading.test.ts in its own process: builds an orchestrator from the config given as
 * argument and prints which vendor SDKs were resolved while doing so.
 */
import { registerHooks } from "node:module"

const resolved = new Set<string>()
registerHooks({
  resolve(specifier, context, next) {
    const result = next(specifier, context)
    resolved.add(result.url)
    return result
  }
})
const { createOrchestrator } = await import("llm-orchestrator")
const llm = await createOrchestrator(process.argv[2]!)
await llm.close()
const sdks = {
  openai: /\/openai\//,
  anthropic: /@anthropic-ai\/sdk/,
  genai: /@google\/genai/,
  bedrock: /@aws-sdk\/client-bedrock/
}
const loaded = [...resolved]
console.log(
  JSON.stringify(Object.fromEntries(Object.entries(sdks).map(([k, re]) => [k, loaded.some((u) => re.test(u))])))
)
