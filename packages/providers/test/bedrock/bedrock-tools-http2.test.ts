/**
 * Tool calls over the transport real AWS uses: the runtime SDK's default HTTP/2 handler over TLS,
 * against the simulator serving https:// with a certificate trusted by the provider's clients only.
 * The server checks each request came over HTTP/2 and TLS, so neither test can pass over HTTP/1.1.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider, type ProviderStreamEvent } from "@llm-orchestrator/core"
import { bedrockSimulator, selfSignedCertificate } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { BedrockProvider } from "../../src/bedrock/bedrock.ts"

const certificate = selfSignedCertificate()
const model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
const request: ChatRequest = {
  messages: [{ role: "user", content: "Weather in Paris and Rome?" }],
  tools: [{ name: "get_weather", parameters: { type: "object", properties: { city: { type: "string" } } } }],
  toolChoice: "required"
}
const calls = [
  { id: "tooluse_h2a", name: "get_weather", arguments: { city: "Paris" } },
  { id: "tooluse_h2b", name: "get_weather", arguments: { city: "Rome" } }
]

describe("BedrockProvider tool calls over HTTP/2 and TLS", () => {
  it.live("plain and streamed: the calls come back whole, the requests carry the toolConfig", () =>
    Effect.gen(function* () {
      const sim = yield* bedrockSimulator({ tls: certificate })
      const reply = { kind: "text", text: "Checking both.", toolCalls: calls } as const
      sim.script(reply, reply)
      const [plain, events] = yield* Effect.gen(function* () {
        const llm = yield* LLMProvider
        const plain = yield* llm.generate(request, model)
        const events: ReadonlyArray<ProviderStreamEvent> = yield* Stream.runCollect(llm.stream(request, model))
        return [plain, events] as const
      }).pipe(
        Effect.provide(
          BedrockProvider.layer({
            region: "us-east-1",
            baseUrl: sim.url,
            accessKeyId: Redacted.make("AKIDTOOLSH2"),
            secretAccessKey: Redacted.make("tools-h2-secret"),
            ca: certificate.cert
          })
        )
      )
      expect(plain).toMatchObject({ content: "Checking both.", finishReason: "tool-calls", toolCalls: calls })
      expect(events.flatMap((e) => (e._tag === "ToolCall" ? [e] : []))).toEqual(
        calls.map((call) => ({ _tag: "ToolCall", ...call }))
      )
      expect(events.at(-1)).toMatchObject({ _tag: "ProviderFinish", finishReason: "tool-calls" })
      expect(sim.requests).toHaveLength(2)
      for (const sent of sim.requests) {
        expect({ httpVersion: sent.httpVersion, tls: sent.tls }).toEqual({ httpVersion: "2.0", tls: true })
        expect((sent.body as { toolConfig?: unknown }).toolConfig).toEqual({
          tools: [
            {
              toolSpec: {
                name: "get_weather",
                inputSchema: { json: { type: "object", properties: { city: { type: "string" } } } }
              }
            }
          ],
          toolChoice: { any: {} }
        })
      }
    })
  )
})
