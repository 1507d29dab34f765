/**
 * A content filter that stopped the answer before any text, on each of the five providers, plain and
 * streamed, through the real SDK against the provider's simulator: the call ends as
 * `ContentFilteredError` and is billed exactly once with the usage the provider reported (the
 * provider consumed those tokens). The adapters only report `finishReason: "content-filter"` and the
 * usage; the orchestrator's one rule decides, so the five providers bill it the same.
 */
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { type FleetProvider, type Reply, simulatorFleet } from "@llm-orchestrator/testing"
import { Effect, Stream } from "effect"
import { LLMOrchestrator, layerFromConfig, parseConfig } from "llm-orchestrator"
import { fastRetry, readLog, tempDir, user } from "./support.ts"

/** What the filtered answer reports: the prompt was read and some output was generated, then stopped. */
const usage = { inputTokens: 1200, outputTokens: 35 }

interface Case {
  readonly name: string
  readonly provider: FleetProvider
  readonly model: string
  /** OpenAI only: which API the provider speaks (default Chat Completions). */
  readonly api?: "responses"
  /** The simulator's content-filtered answer, in the provider's own wire form. */
  readonly reply: Reply
  /** The tokens the provider's answer reports. */
  readonly billed: { readonly inputTokens: number; readonly outputTokens: number }
  /** Published list price, USD per million tokens. */
  readonly price: { readonly input: number; readonly output: number }
}

const cases: ReadonlyArray<Case> = [
  {
    // finish_reason "content_filter" with no content (streamed: the same in the last chunk, then usage).
    name: "openai",
    provider: "openai",
    model: "gpt-4o-mini",
    reply: { kind: "error", fault: "content-filter", usage },
    billed: usage,
    // https://openai.com/api/pricing: gpt-4o-mini $0.15 input, $0.60 output per 1M.
    price: { input: 0.15, output: 0.6 }
  },
  {
    // status "incomplete", incomplete_details.reason "content_filter", no output text.
    name: "openai (Responses API)",
    provider: "openai",
    model: "gpt-4o-mini",
    api: "responses",
    reply: { kind: "error", fault: "content-filter", usage },
    billed: usage,
    price: { input: 0.15, output: 0.6 }
  },
  {
    // HTTP 200, stop_reason "refusal", no text.
    name: "anthropic",
    provider: "anthropic",
    model: "claude-sonnet-4-6",
    reply: { kind: "error", fault: "content-filter", usage },
    billed: usage,
    // https://docs.anthropic.com/en/docs/about-claude/pricing: Claude Sonnet 4.6 $3 input, $15 output per 1M.
    price: { input: 3, output: 15 }
  },
  {
    // A candidate with finishReason SAFETY and no parts, with usageMetadata.
    name: "gemini (output blocked)",
    provider: "gemini",
    model: "gemini-2.5-flash",
    reply: { kind: "text", text: "", finishReason: "content-filter", usage },
    billed: usage,
    // https://ai.google.dev/gemini-api/docs/pricing: Gemini 2.5 Flash $0.30 input, $2.50 output per 1M.
    price: { input: 0.3, output: 2.5 }
  },
  {
    // promptFeedback.blockReason SAFETY, no candidates; usageMetadata counts only the prompt.
    name: "gemini (prompt blocked)",
    provider: "gemini",
    model: "gemini-2.5-flash",
    reply: { kind: "error", fault: "content-filter", usage },
    billed: { inputTokens: usage.inputTokens, outputTokens: 0 },
    price: { input: 0.3, output: 2.5 }
  },
  {
    name: "vertex (output blocked)",
    provider: "vertex",
    model: "gemini-2.5-flash",
    reply: { kind: "text", text: "", finishReason: "content-filter", usage },
    billed: usage,
    // https://cloud.google.com/vertex-ai/generative-ai/pricing: Gemini 2.5 Flash $0.30 input, $2.50 output per 1M.
    price: { input: 0.3, output: 2.5 }
  },
  {
    // stopReason "content_filtered" with an empty text block (streamed: messageStop, then metadata usage).
    name: "bedrock",
    provider: "bedrock",
    model: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
    reply: { kind: "text", text: "", finishReason: "content-filter", usage },
    billed: usage,
    // https://aws.amazon.com/bedrock/pricing/: Claude Sonnet 4.5 through a us. profile $3.30 input, $16.50 output per 1M.
    price: { input: 3.3, output: 16.5 }
  }
]

/** The simulator fleet and an orchestrator over it, logging costs to a temp file. */
const fleetFor = (c: Case) =>
  Effect.gen(function* () {
    const fleet = yield* simulatorFleet()
    const logPath = join(tempDir(), "costs.jsonl")
    const yaml = fleet.configYaml({ activeProvider: c.provider, costLogPath: logPath, extraYaml: fastRetry })
    const config = yield* parseConfig(c.api ? yaml.replace(/^ {2}openai:\n/m, `  openai:\n    api: ${c.api}\n`) : yaml)
    return { fleet, logPath, layer: layerFromConfig(config) }
  })

describe("a content filter before any text is billed once and ends as ContentFilteredError", () => {
  for (const c of cases) {
    for (const streamed of [false, true]) {
      it.live(`${c.name}, ${streamed ? "streamed" : "plain"}`, () =>
        Effect.gen(function* () {
          const { fleet, layer, logPath } = yield* fleetFor(c)
          const sim = fleet[c.provider]
          sim.scriptModel(c.model, c.reply)
          const { error, sessionCost } = yield* Effect.gen(function* () {
            const llm = yield* LLMOrchestrator
            const error = yield* Effect.flip(
              streamed ? Stream.runDrain(llm.sendStreamingRequest(user("hi"))) : llm.sendRequest(user("hi"))
            )
            return { error, sessionCost: yield* llm.getSessionCost }
          }).pipe(Effect.provide(layer))

          expect(error).toMatchObject({ _tag: "ContentFilteredError", provider: c.provider, model: c.model })
          const expected = (c.billed.inputTokens * c.price.input + c.billed.outputTokens * c.price.output) / 1e6
          const log = readLog(logPath)
          expect(log).toHaveLength(1)
          expect(log[0]).toMatchObject({
            provider: c.provider,
            model: c.model,
            outcome: "error",
            errorTag: "ContentFilteredError",
            attempt: 1,
            stream: streamed,
            usage: { ...c.billed, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
          })
          expect(log[0]!.usageEstimated).toBeUndefined()
          expect(log[0]!.cost?.total).toBeCloseTo(expected, 12)
          expect(sessionCost).toBeCloseTo(expected, 12)
          // One call: a content filter is neither retried nor (by default) a reason to fall back.
          const calls = sim.requests.filter((r) => r.kind !== "models")
          expect(calls.map((r) => r.model)).toEqual([c.model])
          if (c.api) expect(calls[0]!.path).toBe("/v1/responses")
        }).pipe(Effect.scoped)
      )
    }
  }
})
