/**
 * Streaming with the Promise facade (no Effect needed): text as it arrives with `for await`, the
 * events view with the final usage and cost, and stopping early, which aborts the HTTP request.
 *
 *   pnpm example streaming                       # against the local simulators
 *   npx -y pnpm@12.21.0 exec node examples/streaming.ts my-config.yaml    # against real providers
 */
import { createOrchestrator } from "llm-orchestrator"
import { usd } from "./format.ts"

export interface StreamingContext {
  readonly configPath: string
}

const ask = (content: string) => ({ messages: [{ role: "user" as const, content }] })

export const main = async ({ configPath }: StreamingContext): Promise<void> => {
  const llm = await createOrchestrator(configPath)
  try {
    // 1. Just the text, piece by piece.
    console.log("-- text stream")
    for await (const text of llm.sendStreamingRequest(ask("Write a haiku about streams."))) {
      process.stdout.write(text)
    }
    process.stdout.write("\n")

    // 2. The events: text deltas (and tool-call events, with tools), then exactly one Finish with who
    //    answered, usage and cost.
    console.log("-- event stream")
    for await (const event of llm.streamEvents(ask("Write a haiku about streams."))) {
      if (event._tag === "TextDelta") process.stdout.write(event.text)
      else if (event._tag === "Finish") {
        const { usage } = event
        console.log(`\nfinish: ${event.finishReason} from ${event.provider}/${event.model}`)
        console.log(`usage: ${usage.inputTokens} tokens in, ${usage.outputTokens} out; cost ${usd(event.cost?.total)}`)
      }
    }

    // 3. Stop early: leaving the loop aborts the HTTP request at once, so the model stops generating.
    //    An AbortSignal in the second argument does the same from outside the loop.
    console.log("-- stopping early")
    const spentBefore = await llm.getSessionCost()
    let pieces = 0
    for await (const text of llm.sendStreamingRequest(ask("Write a long essay on rivers."))) {
      process.stdout.write(text)
      if (++pieces === 5) break
    }
    console.log(`\nstopped after ${pieces} pieces`)
    // A stream cut short is still billed for what it used (the provider's usage, or an estimate).
    const spentAfter = await llm.getSessionCost()
    console.log(`session cost: ${usd(spentBefore)} before this stream, ${usd(spentAfter)} after`)
  } finally {
    await llm.close()
  }
}

if (import.meta.main) await main({ configPath: process.argv[2] ?? "config.yaml" })
