/**
 * The Promise facade for applications that do not use Effect: the same methods as Promises and
 * AsyncIterables, typed errors thrown as they are (`error._tag`), `flush()` and `close()` for the cost log.
 *
 * Every call runs in a fiber of its own that the facade tracks until it ends, so that an AbortSignal
 * and `close()` can cut it off with a typed error (the orchestrator bills what a cut stream consumed),
 * and so that `close()` closes the cost log only after every cut call has been billed.
 */
import {
  type ChatRequest,
  type ChatResponse,
  ConfigError,
  type ConfigProblem,
  LLMOrchestrator as CoreOrchestrator,
  type CostReport,
  CostTracker,
  type LLMError,
  type ModelInfo,
  OrchestratorClosedError,
  type OrchestratorConfig,
  type ProviderId,
  RequestAbortedError,
  runToolLoop,
  type StreamEvent,
  type ToolCall,
  type ToolDefinition,
  type ToolLoopOptions,
  type ToolLoopResult
} from "@llm-orchestrator/core"
import { Cause, Channel, Context, Effect, Exit, Fiber, Layer, ManagedRuntime, Pull, Redacted, Scope } from "effect"
import type { NonEmptyReadonlyArray } from "effect/Array"
import { configPathVariable, defaultConfigFile, parseConfigObject } from "./config.ts"
import { layerFromConfig, layerFromFile, type OrchestratorServices, type WiringOptions } from "./wiring.ts"

export interface CallOptions {
  /**
   * Aborting cancels the call (and its HTTP request) at once: the Promise rejects, or the stream's
   * iterator throws, with a `RequestAbortedError`. The listener is removed when the call ends.
   */
  readonly signal?: AbortSignal
}

/**
 * A tool with the code that runs it, for `runTools`. `execute` may return a Promise; a throw or a
 * rejection is sent to the model as an error result. `signal` fires when the call is aborted or closed.
 */
export interface AsyncTool extends ToolDefinition {
  execute(args: Record<string, unknown>, call: ToolCall, signal: AbortSignal): unknown
}

export interface Orchestrator {
  sendRequest(request: ChatRequest, options?: CallOptions): Promise<ChatResponse>
  /** The text as it arrives. Breaking out of the loop ends it quietly and aborts the request. */
  sendStreamingRequest(request: ChatRequest, options?: CallOptions): AsyncIterable<string>
  /** Text deltas and the final `Finish` (usage, cost, attempts). */
  streamEvents(request: ChatRequest, options?: CallOptions): AsyncIterable<StreamEvent>
  /**
   * Asks, runs the tools the model called, sends their results, and asks again until the model answers
   * without a tool call or `maxSteps` (default 8) calls were made; usage and cost are summed.
   */
  runTools(
    request: Omit<ChatRequest, "tools">,
    tools: ReadonlyArray<AsyncTool>,
    options?: CallOptions & ToolLoopOptions
  ): Promise<ToolLoopResult>
  getAvailableModels(provider?: ProviderId, options?: CallOptions): Promise<ReadonlyArray<ModelInfo>>
  refreshModels(provider?: ProviderId, options?: CallOptions): Promise<ReadonlyArray<ModelInfo>>
  getSessionCost(): Promise<number>
  getCostReport(): Promise<CostReport>
  /** Resolves once every cost record made so far is written to the cost log (calls still running add theirs later). */
  flush(): Promise<void>
  /**
   * Interrupts the calls still running (they fail with `OrchestratorClosedError`; streams are billed for
   * what they consumed), writes every cost record to the log, closes it and the provider clients.
   * Later calls fail with `OrchestratorClosedError`. Calling it again returns the same Promise.
   */
  close(): Promise<void>
}

/** Why the facade cut a call off. */
type Ending = "aborted" | "closed"

/** A call in flight, as `close()` sees it. */
interface RunningCall {
  /** Cuts the call off; resolves once it has ended (a stream: once its scope, which bills it, is closed). */
  stop(why: Ending): Promise<void>
}

/** What the facade's calls share: the services, the calls in flight, and whether it is closing. */
interface Facade {
  readonly llm: CoreOrchestrator["Service"]
  readonly running: Set<RunningCall>
  closing: Promise<void> | undefined
}

/** The error a call cut off by the facade ends with: `request` names where it was headed. */
const endingError = (
  facade: Facade,
  why: Ending,
  request: ChatRequest | undefined,
  provider?: ProviderId
): RequestAbortedError | OrchestratorClosedError => {
  const fields =
    request === undefined
      ? provider === undefined
        ? {}
        : { provider }
      : { provider: facade.llm.activeProvider, model: request.model ?? facade.llm.activeModel }
  if (why === "aborted")
    return new RequestAbortedError({ ...fields, message: "request aborted by the caller's AbortSignal" })
  return new OrchestratorClosedError({
    ...fields,
    message:
      "the orchestrator was closed (close() interrupts running calls); create a new one with createOrchestrator()"
  })
}

/** Why a call may not start: the orchestrator is closed, or the signal has already fired. */
const refusal = (facade: Facade, signal: AbortSignal | undefined): Ending | undefined =>
  facade.closing !== undefined ? "closed" : signal?.aborted ? "aborted" : undefined

/** Runs one call in a fiber of its own, cut off by the caller's signal or by `close()`. */
const runCall = <A>(
  facade: Facade,
  effect: Effect.Effect<A, LLMError>,
  signal: AbortSignal | undefined,
  request?: ChatRequest,
  provider?: ProviderId
): Promise<A> => {
  const refused = refusal(facade, signal)
  if (refused !== undefined) return Promise.reject(endingError(facade, refused, request, provider))
  return new Promise<A>((resolve, reject) => {
    const fiber = Effect.runFork(effect)
    let ending: Ending | undefined
    const call: RunningCall = {
      stop: (why) => {
        ending ??= why
        fiber.interruptUnsafe()
        return new Promise<void>((ended) => fiber.addObserver(() => ended()))
      }
    }
    const onAbort = () => void call.stop("aborted")
    facade.running.add(call)
    signal?.addEventListener("abort", onAbort, { once: true })
    fiber.addObserver((exit) => {
      facade.running.delete(call)
      signal?.removeEventListener("abort", onAbort)
      if (Exit.isSuccess(exit)) resolve(exit.value)
      else if (ending !== undefined && Cause.hasInterruptsOnly(exit.cause))
        reject(endingError(facade, ending, request, provider))
      else reject(Cause.squash(exit.cause))
    })
  })
}

type Chunk = NonEmptyReadonlyArray<StreamEvent>
const done: IteratorReturnResult<undefined> = { done: true, value: undefined }

/**
 * One streamed call as an AsyncIterator: one pull per chunk, each in a fiber of its own (which `return()`,
 * the signal and `close()` interrupt), and the stream's scope, whose closing aborts the HTTP request and
 * bills what the stream consumed. Nothing is registered before the first `next()`: an iterator that is
 * never read holds no listener and no request.
 */
class StreamCall<A> implements AsyncIterator<A>, RunningCall {
  private readonly scope = Scope.makeUnsafe()
  private pull: Effect.Effect<Chunk, LLMError | Cause.Done> | undefined
  private chunk: ReadonlyArray<StreamEvent> = []
  private index = 0
  private pending: Fiber.Fiber<Chunk, LLMError | Cause.Done> | undefined
  private started = false
  /** Set when the call is cut off; its error is thrown once, by the `next()` that sees it. */
  private ending: Ending | undefined
  /** The scope closing (or closed): set once, when the call ends for any reason. */
  private closed: Promise<void> | undefined
  private readonly onAbort = () => void this.stop("aborted")
  private readonly facade: Facade
  private readonly request: ChatRequest
  private readonly select: (event: StreamEvent) => A | undefined
  private readonly signal: AbortSignal | undefined

  constructor(
    facade: Facade,
    request: ChatRequest,
    select: (event: StreamEvent) => A | undefined,
    signal: AbortSignal | undefined
  ) {
    this.facade = facade
    this.request = request
    this.select = select
    this.signal = signal
  }

  async next(): Promise<IteratorResult<A>> {
    if (!this.started) this.start()
    for (;;) {
      // Checked before buffered events: once cut off, nothing more is handed out.
      if (this.ending !== undefined) return this.throwEnding()
      while (this.index < this.chunk.length) {
        const value = this.select(this.chunk[this.index++]!)
        if (value !== undefined) return { done: false, value }
      }
      if (this.closed !== undefined) return done
      const exit = await this.pullChunk()
      if (Exit.isSuccess(exit)) {
        this.chunk = exit.value
        this.index = 0
        continue
      }
      if (Cause.hasInterruptsOnly(exit.cause)) {
        if (this.ending !== undefined) return this.throwEnding()
        // return() was called while this pull was in flight: the call ended quietly.
        if (this.closed !== undefined) return done
      }
      if (Pull.isDoneCause(exit.cause)) {
        await this.finish()
        return done
      }
      await this.finish(exit)
      throw Cause.squash(exit.cause)
    }
  }

  /** `break` out of a for-await: ends quietly (the HTTP request is aborted, the stream billed). */
  async return(): Promise<IteratorResult<A>> {
    await this.finish()
    return done
  }

  stop(why: Ending): Promise<void> {
    this.ending ??= why
    return this.finish()
  }

  private start(): void {
    this.started = true
    const refused = refusal(this.facade, this.signal)
    if (refused !== undefined) {
      this.ending = refused
      this.closed = Promise.resolve()
      return
    }
    this.facade.running.add(this)
    this.signal?.addEventListener("abort", this.onAbort, { once: true })
  }

  private pullChunk(): Promise<Exit.Exit<Chunk, LLMError | Cause.Done>> {
    const fiber = Effect.runFork(
      this.pull ??
        Effect.flatMap(
          Channel.toPullScoped(this.facade.llm.sendStreamingRequest(this.request).channel, this.scope),
          (pull) => (this.pull = pull)
        )
    )
    this.pending = fiber
    return new Promise((resolve) =>
      fiber.addObserver((exit) => {
        if (this.pending === fiber) this.pending = undefined
        resolve(exit)
      })
    )
  }

  /** Throws the cut-off error once the stream is billed; the `next()` after that returns done. */
  private async throwEnding(): Promise<never> {
    const error = endingError(this.facade, this.ending!, this.request)
    this.ending = undefined
    this.chunk = []
    await this.finish()
    throw error
  }

  /** Ends the call once: unregisters it, interrupts a pull in flight, closes the scope (billing it). */
  private finish(exit: Exit.Exit<unknown, unknown> = Exit.void): Promise<void> {
    if (this.closed !== undefined) return this.closed
    this.facade.running.delete(this)
    this.signal?.removeEventListener("abort", this.onAbort)
    const fiber = this.pending
    this.closed = Effect.runPromise(
      Effect.andThen(fiber === undefined ? Effect.void : Fiber.interrupt(fiber), Scope.close(this.scope, exit))
    )
    return this.closed
  }
}

const everyEvent = (event: StreamEvent): StreamEvent => event
const textOf = (event: StreamEvent): string | undefined => (event._tag === "TextDelta" ? event.text : undefined)

const streamOf = <A>(
  facade: Facade,
  request: ChatRequest,
  select: (event: StreamEvent) => A | undefined,
  options: CallOptions | undefined
): AsyncIterable<A> => ({
  [Symbol.asyncIterator]: () => new StreamCall(facade, request, select, options?.signal)
})

/**
 * Builds the orchestrator from a config file path; the object such a file holds (its YAML keys:
 * `active_provider`, `providers`, ...); or a config from `loadConfig` / `parseConfig`. With no
 * argument: the file `LLM_ORCHESTRATOR_CONFIG` names, else `./llm-orchestrator.yaml`. `options.costSinks`
 * adds cost sinks built in code (e.g. the PostgreSQL ledger), as `layerFromConfig` does.
 */
export const createOrchestrator = async (
  config: string | OrchestratorConfig | Readonly<Record<string, unknown>> = defaultConfigPath(),
  options: WiringOptions = {}
): Promise<Orchestrator> => {
  const runtime = ManagedRuntime.make(layerFor(config, options))
  let context: Context.Context<OrchestratorServices>
  try {
    // Built now, so a bad config or an unwritable cost log fails here rather than on the first call.
    context = await runtime.context()
  } catch (error) {
    await runtime.dispose()
    throw error
  }
  const tracker = Context.get(context, CostTracker)
  const facade: Facade = { llm: Context.get(context, CoreOrchestrator), running: new Set(), closing: undefined }
  const { llm } = facade
  return {
    sendRequest: (request, options) => runCall(facade, llm.sendRequest(request), options?.signal, request),
    sendStreamingRequest: (request, options) => streamOf(facade, request, textOf, options),
    runTools: (request, tools, options) =>
      runCall(
        facade,
        runToolLoop(
          request,
          tools.map((tool) => ({
            ...tool,
            execute: (args: Record<string, unknown>, call: ToolCall) =>
              Effect.tryPromise({ try: async (signal) => tool.execute(args, call, signal), catch: (error) => error })
          })),
          options
        ).pipe(Effect.provideService(CoreOrchestrator, llm)),
        options?.signal,
        request
      ),
    streamEvents: (request, options) => streamOf(facade, request, everyEvent, options),
    getAvailableModels: (provider, options) =>
      runCall(facade, llm.getAvailableModels(provider), options?.signal, undefined, provider),
    refreshModels: (provider, options) =>
      runCall(facade, llm.refreshModels(provider), options?.signal, undefined, provider),
    getSessionCost: () => runCall(facade, llm.getSessionCost, undefined),
    getCostReport: () => runCall(facade, llm.getCostReport, undefined),
    // After close() the log is complete and closed: flushing is waiting for close.
    flush: () => facade.closing ?? Effect.runPromise(tracker.flush),
    close: () => {
      // Cut-off streams are billed by their scopes' finalizers, which must run before the runtime
      // closes the cost log: stop every call and wait for it, then dispose.
      facade.closing ??= Promise.allSettled(Array.from(facade.running, (call) => call.stop("closed"))).then(() =>
        runtime.dispose()
      )
      return facade.closing
    }
  }
}

const defaultConfigPath = (): string => process.env[configPathVariable] || defaultConfigFile

const whatToPass =
  "createOrchestrator takes the path of a YAML config file, the object such a file holds, or a config from loadConfig() / parseConfig()"

/** The layer for `createOrchestrator`'s argument, or a ConfigError that says what to pass instead. */
const layerFor = (config: unknown, options: WiringOptions): Layer.Layer<OrchestratorServices, ConfigError> => {
  if (typeof config === "string") return layerFromFile(config, options)
  // Not a parsed config (those have activeProvider): read as the object a YAML file holds.
  if (typeof config === "object" && config !== null && !("activeProvider" in config))
    return Layer.unwrap(Effect.map(parseConfigObject(config), (parsed) => layerFromConfig(parsed, options)))
  const problems = configArgumentProblems(config)
  if (problems.length > 0) throw ConfigError.fromProblems(problems)
  return layerFromConfig(config as OrchestratorConfig, options)
}

const secretFields = {
  apiKey: "api_key",
  accessKeyId: "access_key_id",
  secretAccessKey: "secret_access_key",
  sessionToken: "session_token"
} as const

/** What is wrong with an object passed as a parsed config (a cheap shape check, not a validation). */
const configArgumentProblems = (config: unknown): Array<ConfigProblem> => {
  if (typeof config !== "object" || config === null)
    return [{ path: "", message: `${whatToPass}; got ${config === null ? "null" : typeof config}` }]
  const c = config as Record<string, unknown>
  if (typeof c.activeProvider !== "string" || typeof c.activeModel !== "string")
    return [{ path: "", message: `${whatToPass}; this object has no activeProvider / activeModel` }]
  const providers = c.providers
  if (
    typeof providers !== "object" ||
    providers === null ||
    typeof c.costTracking !== "object" ||
    c.costTracking === null
  )
    return [{ path: "", message: `${whatToPass}; this object has no providers / costTracking` }]
  const problems: Array<ConfigProblem> = []
  for (const [id, provider] of Object.entries(providers as Record<string, Record<string, unknown> | undefined>)) {
    for (const [field, yamlKey] of Object.entries(secretFields)) {
      const value = provider?.[field]
      if (value !== undefined && !Redacted.isRedacted(value))
        problems.push({
          path: `providers.${id}.${yamlKey}`,
          message: `a secret must be a Redacted value, not a plain ${typeof value}: wrap it with Redacted.make(...), or let loadConfig() / parseConfig() read it`
        })
    }
  }
  return problems
}
