/**
 * Where cache points go in a Converse user turn that holds images or files, through the real
 * `@aws-sdk/client-bedrock-runtime` and the simulator: a marked image gets its `cachePoint` block right
 * after it (before the text that follows), and a marked message with media gets one after its last
 * block. Without them the prefix up to the image would be sent uncached, silently.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider } from "@llm-orchestrator/core"
import { bedrockSimulator, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Redacted } from "effect"
import { BedrockProvider } from "../../src/bedrock/bedrock.ts"
import { pngBase64 } from "../media-fixtures.ts"

const claude = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
const point = { cachePoint: { type: "default" } } as const
const image = { type: "image", data: pngBase64, mediaType: "image/png" } as const
/** The image block Converse gets for `image` (the SDK sends the bytes as base64). */
const imageBlock = { image: { format: "png", source: { bytes: pngBase64 } } }

const sent = (request: ChatRequest) =>
  Effect.gen(function* () {
    const sim: Simulator = yield* bedrockSimulator()
    sim.script({ kind: "text", text: "A red square." })
    yield* LLMProvider.use((llm) => llm.generate(request, claude)).pipe(
      Effect.provide(
        BedrockProvider.layer({
          region: "us-east-1",
          baseUrl: sim.url,
          accessKeyId: Redacted.make("AKIDPLACE"),
          secretAccessKey: Redacted.make("placement-secret")
        })
      )
    )
    return (sim.requests[0]!.body as { messages: ReadonlyArray<{ content: unknown }> }).messages
  })

describe("Bedrock: cache points in a user turn with media", () => {
  it.live("a marked image is followed by its cache point, before the text after it", () =>
    Effect.gen(function* () {
      const messages = yield* sent({
        messages: [
          {
            role: "user",
            content: [
              { type: "text", text: "Here is the chart:" },
              { ...image, providerOptions: { bedrock: point } },
              { type: "text", text: "What colour is it?" }
            ]
          }
        ]
      })
      expect(messages[0]!.content).toEqual([
        { text: "Here is the chart:" },
        imageBlock,
        point,
        { text: "What colour is it?" }
      ])
    })
  )

  it.live("a marked message with an image gets its cache point after its last block", () =>
    Effect.gen(function* () {
      const messages = yield* sent({
        messages: [
          {
            role: "user",
            content: [{ type: "text", text: "What colour is it?" }, image],
            providerOptions: { bedrock: point }
          }
        ]
      })
      expect(messages[0]!.content).toEqual([{ text: "What colour is it?" }, imageBlock, point])
    })
  )
})
