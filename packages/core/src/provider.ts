/**
 * The provider contract (docs/ARCHITECTURE.md, "The provider contract"). Each provider package module exports a `layer(options)`
 * and a `layerConfig` that supply this service over the vendor's official SDK.
 */
import { Context, type Effect, type Stream } from "effect"
import type { ChatRequest, ModelInfo, ProviderId, ProviderResponse, ProviderStreamEvent } from "./domain.ts"
import type { LLMError } from "./errors.ts"

export interface LLMProviderShape {
  readonly id: ProviderId
  /**
   * One call, no retries (the orchestrator owns them). Interrupting the effect aborts the HTTP request.
   */
  readonly generate: (request: ChatRequest, model: string) => Effect.Effect<ProviderResponse, LLMError>
  /**
   * Text deltas and usage snapshots, then exactly one `ProviderFinish`. A mid-stream error fails the
   * stream after the deltas already emitted; interrupting the stream aborts the HTTP request.
   */
  readonly stream: (request: ChatRequest, model: string) => Stream.Stream<ProviderStreamEvent, LLMError>
  /** The provider's chat-capable models, through its listing API. */
  readonly listModels: Effect.Effect<ReadonlyArray<ModelInfo>, LLMError>
}

export class LLMProvider extends Context.Service<LLMProvider, LLMProviderShape>()("@llm-orchestrator/LLMProvider") {}
