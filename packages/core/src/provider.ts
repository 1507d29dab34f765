/**
 * The provider contract (docs/ARCHITECTURE.md, "The provider contract"). Each provider package module exports a `layer(options)`
 * and a `layerConfig` that supply this service over the vendor's official SDK.
 */
import { Context, Effect, type Stream } from "effect"
import type { ChatRequest, ModelInfo, ProviderId, ProviderResponse, ProviderStreamEvent } from "./domain.ts"
import type { LLMError } from "./errors.ts"

/**
 * The request's deadline (`request_timeout`), handed to each provider call of a provider that
 * `honorsDeadline`: by `at` a plain call must have answered and a stream must have sent its first
 * output (text or a tool call); when it passes, the call aborts its HTTP request and fails with
 * `expired()`, the request's `TimeoutError`.
 */
export interface CallDeadline {
  /** Wall-clock time (`Date.now()`, ms), not the Effect clock: it bounds real HTTP waits. */
  readonly at: number
  readonly expired: () => LLMError
}

/**
 * `effect`, bounded by `deadline`: when it passes first, `effect` is interrupted and this fails with
 * `deadline.expired()`. For waits a call's own timer does not cover (a whole generation streamed
 * underneath, a lookup between attempts); no deadline: `effect` as it is.
 */
export const boundedByDeadline = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  deadline: CallDeadline | undefined
): Effect.Effect<A, E | LLMError, R> =>
  deadline === undefined
    ? effect
    : Effect.timeoutOrElse(effect, {
        duration: Math.max(0, deadline.at - Date.now()),
        orElse: () => Effect.fail(deadline.expired())
      })

export interface LLMProviderShape {
  readonly id: ProviderId
  /**
   * One call, no retries (the orchestrator owns them). Interrupting the effect aborts the HTTP request.
   */
  readonly generate: (
    request: ChatRequest,
    model: string,
    deadline?: CallDeadline
  ) => Effect.Effect<ProviderResponse, LLMError>
  /**
   * Text deltas and usage snapshots, then exactly one `ProviderFinish`. A mid-stream error fails the
   * stream after the deltas already emitted; interrupting the stream aborts the HTTP request.
   */
  readonly stream: (
    request: ChatRequest,
    model: string,
    deadline?: CallDeadline
  ) => Stream.Stream<ProviderStreamEvent, LLMError>
  /** The provider's chat-capable models, through its listing API. */
  readonly listModels: Effect.Effect<ReadonlyArray<ModelInfo>, LLMError>
  /**
   * True when `generate` and `stream` end by the `CallDeadline` they are handed (the built-in
   * adapters do). For a provider without it the orchestrator enforces the deadline itself, with a
   * fiber and a timer per request, which costs more (docs/ARCHITECTURE.md, "The request deadline").
   */
  readonly honorsDeadline?: boolean
}

export class LLMProvider extends Context.Service<LLMProvider, LLMProviderShape>()("@llm-orchestrator/LLMProvider") {}
