/**
 * The peers `pnpm bench` measures beside the orchestrator, on the same OpenAI simulator with the same
 * request (system + user message, 256 output tokens) and no retries:
 * - Vercel's AI SDK (`ai` `generateText` / `streamText` over `@ai-sdk/openai`'s chat-completions model);
 * - effect/ai's OpenAI-compatible client (see bench/effect-ai-peer/: it needs an Effect 4.0 beta).
 * Each peer is an `Arm` without tool streams: the bench compares it with the raw SDK as it does ours.
 */
import { createOpenAI } from "@ai-sdk/openai"
import { effectAiPeer } from "@llm-orchestrator/bench-effect-ai-peer"
import { generateText, streamText } from "ai"
import { type Arm, apiKeys, maxTokens, system, user } from "./arms.ts"
import { benchModels, type SimulatorUrls } from "./simulator-server.ts"

export type PeerArm = Pick<Arm, "plain" | "stream"> & { readonly dispose: () => Promise<void> }

export const vercelArm = (urls: SimulatorUrls, modelId: string = benchModels.openai.active): PeerArm => {
  const openai = createOpenAI({ apiKey: apiKeys.openai, baseURL: `${urls.openai}/v1` })
  const model = openai.chat(modelId)
  const call = { model, system, prompt: user, maxOutputTokens: maxTokens, maxRetries: 0 }
  return {
    plain: () => generateText(call),
    stream: async () => {
      const start = performance.now()
      let ttft = -1
      let deltas = 0
      const result = streamText(call)
      for await (const text of result.textStream) {
        if (text) {
          if (ttft < 0) ttft = performance.now() - start
          deltas++
        }
      }
      return { ttftMs: ttft, totalMs: performance.now() - start, deltas }
    },
    dispose: async () => {}
  }
}

export const effectAiArm = (urls: SimulatorUrls, modelId: string = benchModels.openai.active): PeerArm =>
  effectAiPeer({
    apiUrl: `${urls.openai}/v1`,
    apiKey: apiKeys.openai,
    model: modelId,
    system,
    user,
    maxTokens
  })
