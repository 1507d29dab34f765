/**
 * The Promise facade for applications that do not use Effect: the same five methods, Promises and
 * AsyncIterables, typed errors thrown as they are (`error._tag`), and `close()` to flush cost logs.
 */
import type {
  ChatRequest,
  ChatResponse,
  ConfigError,
  CostReport,
  LLMError,
  ModelInfo,
  OrchestratorConfig,
  ProviderId,
  StreamEvent
} from "@llm-orchestrator/core"
import { Cause, Effect, Exit, ManagedRuntime, Stream } from "effect"
import { LLMOrchestrator } from "./orchestrator.ts"
import { layerFromConfig, layerFromFile } from "./wiring.ts"

export interface CallOptions {
  /** Aborting cancels the request (and its HTTP call) at once. */
  readonly signal?: AbortSignal
}

export interface Orchestrator {
  sendRequest(request: ChatRequest, options?: CallOptions): Promise<ChatResponse>
  /** The text as it arrives. Breaking out of the loop aborts the request. */
  sendStreamingRequest(request: ChatRequest, options?: CallOptions): AsyncIterable<string>
  /** Text deltas and the final `Finish` (usage, cost, attempts). */
  streamEvents(request: ChatRequest, options?: CallOptions): AsyncIterable<StreamEvent>
  getAvailableModels(provider?: ProviderId): Promise<ReadonlyArray<ModelInfo>>
  refreshModels(provider?: ProviderId): Promise<ReadonlyArray<ModelInfo>>
  getSessionCost(): Promise<number>
  getCostReport(): Promise<CostReport>
  /** Flushes the cost log and closes the provider clients. */
  close(): Promise<void>
}

/** Builds the orchestrator from a config file path (or an already parsed config). */
export const createOrchestrator = async (config: string | OrchestratorConfig): Promise<Orchestrator> => {
  const runtime = ManagedRuntime.make(typeof config === "string" ? layerFromFile(config) : layerFromConfig(config))
  const run = async <A>(
    effect: Effect.Effect<A, LLMError | ConfigError, LLMOrchestrator>,
    options?: CallOptions
  ): Promise<A> => {
    const exit = await runtime.runPromiseExit(effect, options?.signal ? { signal: options.signal } : undefined)
    if (Exit.isSuccess(exit)) return exit.value
    throw Cause.squash(exit.cause)
  }
  // Build now, so a bad config or an unwritable cost log fails here rather than on the first call.
  await run(Effect.void)
  const withLLM = <A, E>(f: (llm: LLMOrchestrator["Service"]) => Effect.Effect<A, E>) => LLMOrchestrator.use(f)
  const events = (request: ChatRequest, options?: CallOptions): AsyncIterable<StreamEvent> => ({
    [Symbol.asyncIterator]: () => {
      const stream = Stream.unwrap(withLLM((llm) => Effect.succeed(llm.sendStreamingRequest(request))))
      const iterable = runtime.runSync(Stream.toAsyncIterableEffect(stream))
      const iterator = iterable[Symbol.asyncIterator]()
      if (options?.signal) {
        const abort = () => void iterator.return?.()
        if (options.signal.aborted) abort()
        else options.signal.addEventListener("abort", abort, { once: true })
      }
      return iterator
    }
  })
  return {
    sendRequest: (request, options) =>
      run(
        withLLM((llm) => llm.sendRequest(request)),
        options
      ),
    sendStreamingRequest: (request, options) => ({
      async *[Symbol.asyncIterator]() {
        for await (const event of events(request, options)) if (event._tag === "TextDelta") yield event.text
      }
    }),
    streamEvents: events,
    getAvailableModels: (provider) => run(withLLM((llm) => llm.getAvailableModels(provider))),
    refreshModels: (provider) => run(withLLM((llm) => llm.refreshModels(provider))),
    getSessionCost: () => run(withLLM((llm) => llm.getSessionCost)),
    getCostReport: () => run(withLLM((llm) => llm.getCostReport)),
    close: () => runtime.dispose()
  }
}
