/**
 * A scripted `LLMProvider` with no HTTP at all, for users' unit tests: canned replies, usage and
 * errors per call, so an Effect program swaps it in for a real provider layer.
 *
 *   const fake = makeFakeProvider({ id: "openai" })
 *   fake.scriptModel("gpt-4o-mini", { error: new RateLimitError({...}) }, { text: "hi" })
 *   LLMOrchestrator.layer({ activeProvider: "openai", activeModel: "gpt-4o-mini", providers: { openai: { layer: fake.layer } } })
 */
import {
  type ChatRequest,
  emptyUsage,
  type FinishReason,
  type LLMError,
  LLMProvider,
  type ModelInfo,
  type ProviderId,
  type ProviderStreamEvent,
  type ReasoningPart,
  type ToolCall,
  type Usage
} from "@llm-orchestrator/core"
import { Effect, Layer, Stream } from "effect"
import { splitText } from "./simulator/script.ts"

export type FakeStep =
  | {
      /** May be "" when the step only calls tools. */
      readonly text: string
      /** Tool calls after the text (streams: start, arguments in two deltas, the call); finish reason "tool-calls". */
      readonly toolCalls?: ReadonlyArray<ToolCall>
      /**
       * The model's reasoning before the text: `response.reasoning` and one reasoning part (source the
       * fake's id, signature `sig:<text>`); streams send it as two `ReasoningDelta`s first.
       */
      readonly reasoning?: string
      readonly usage?: Partial<Usage>
      readonly finishReason?: FinishReason
      /** Stream deltas: a count of pieces, or the pieces (default: words). */
      readonly chunks?: number | ReadonlyArray<string>
      /** Simulated latency before answering (uses the Effect clock, so TestClock controls it). */
      readonly delayMs?: number
    }
  | { readonly error: LLMError }
  /**
   * Stream calls only: exactly these provider events, one inner array per network chunk (empty texts,
   * usage before text, no finish...), then the end, or nothing more ever when `hang` is set, or
   * `failWith` (a failure after exactly these events).
   */
  | {
      readonly events: ReadonlyArray<ReadonlyArray<ProviderStreamEvent>>
      readonly hang?: boolean
      readonly failWith?: LLMError
    }
  /** Streams `afterChunks` deltas (and the usage known so far), then fails. Plain calls fail at once. */
  | {
      readonly text: string
      readonly failAfterChunks: number
      readonly error: LLMError
      readonly usage?: Partial<Usage>
      readonly chunks?: number | ReadonlyArray<string>
    }

export interface FakeCall {
  readonly model: string
  readonly request: ChatRequest
  readonly stream: boolean
}

export interface FakeProviderOptions {
  readonly id: ProviderId
  /** What `listModels` returns (ids or full ModelInfo). Default: none. */
  readonly models?: ReadonlyArray<string | ModelInfo>
  /** The reply when nothing is scripted. Default: a short text naming the model. */
  readonly defaultStep?: (model: string, request: ChatRequest) => FakeStep
  /** Make `listModels` fail with this error. */
  readonly listError?: LLMError
}

const fullUsage = (usage: Partial<Usage> | undefined, deltas: number): Usage => ({
  ...emptyUsage,
  inputTokens: 10,
  outputTokens: deltas,
  ...usage
})

const reasoningPart = (source: string, text: string): ReasoningPart => ({
  type: "reasoning",
  text,
  source,
  signature: `sig:${text}`
})

/** A tool call as a provider streams it: its start, its arguments JSON in two deltas, the call. */
const toolCallEvents = (call: ToolCall): Array<ProviderStreamEvent> => {
  const json = JSON.stringify(call.arguments)
  const half = Math.ceil(json.length / 2)
  return [
    { _tag: "ToolCallStart", id: call.id, name: call.name },
    { _tag: "ToolCallDelta", id: call.id, argumentsDelta: json.slice(0, half) },
    { _tag: "ToolCallDelta", id: call.id, argumentsDelta: json.slice(half) },
    { _tag: "ToolCall", ...call }
  ]
}

export const makeFakeProvider = (options: FakeProviderOptions) => {
  const calls: Array<FakeCall> = []
  const queues = new Map<string, Array<FakeStep>>()
  const anyQueue: Array<FakeStep> = []
  let listCalls = 0

  const next = (model: string, request: ChatRequest): FakeStep =>
    queues.get(model)?.shift() ??
    anyQueue.shift() ??
    options.defaultStep?.(model, request) ?? { text: `Hello from ${options.id} ${model}.` }

  const toModels = (list: ReadonlyArray<string | ModelInfo>): ReadonlyArray<ModelInfo> =>
    list.map((m) => (typeof m === "string" ? { id: m, provider: options.id } : m))
  let models = toModels(options.models ?? [])
  let listError = options.listError

  const service = LLMProvider.of({
    id: options.id,
    generate: (request, model) =>
      Effect.suspend(() => {
        calls.push({ model, request, stream: false })
        const step = next(model, request)
        if ("error" in step) return Effect.fail(step.error)
        if ("events" in step) return Effect.die(new Error("an events step scripts stream calls only"))
        const pieces = splitText(step.text, step.chunks)
        const toolCalls = "toolCalls" in step ? step.toolCalls : undefined
        const reply = Effect.succeed({
          content: step.text,
          provider: options.id,
          model,
          finishReason: step.finishReason ?? (toolCalls ? "tool-calls" : "stop"),
          usage: fullUsage(step.usage, pieces.length),
          ...(toolCalls ? { toolCalls } : {}),
          ...(step.reasoning !== undefined
            ? { reasoning: step.reasoning, reasoningParts: [reasoningPart(options.id, step.reasoning)] }
            : {})
        })
        return step.delayMs ? Effect.delay(reply, step.delayMs) : reply
      }),
    stream: (request, model) =>
      Stream.suspend(() => {
        calls.push({ model, request, stream: true })
        const step = next(model, request)
        if ("events" in step) {
          const events = Stream.fromArrays(...step.events)
          if (step.failWith) return Stream.concat(events, Stream.fail(step.failWith))
          return step.hang ? Stream.concat(events, Stream.never) : events
        }
        if (!("text" in step)) return Stream.fail(step.error)
        const pieces = splitText(step.text, step.chunks)
        const usage = fullUsage(step.usage, pieces.length)
        if ("failAfterChunks" in step) {
          const sent = pieces.slice(0, step.failAfterChunks)
          const events: Array<ProviderStreamEvent> = [
            { _tag: "UsageSnapshot", usage: { ...usage, outputTokens: sent.length } },
            ...sent.map((text) => ({ _tag: "TextDelta" as const, text }))
          ]
          return Stream.concat(Stream.fromIterable(events), Stream.fail(step.error))
        }
        const toolCalls = "toolCalls" in step ? (step.toolCalls ?? []) : []
        const reasoning = "reasoning" in step ? step.reasoning : undefined
        const half = Math.ceil((reasoning ?? "").length / 2)
        const events: Array<ProviderStreamEvent> = [
          ...(reasoning !== undefined
            ? [
                { _tag: "ReasoningDelta" as const, text: reasoning.slice(0, half) },
                { _tag: "ReasoningDelta" as const, text: reasoning.slice(half) }
              ]
            : []),
          ...(step.text === "" && toolCalls.length > 0
            ? []
            : pieces.map((text) => ({ _tag: "TextDelta" as const, text }))),
          ...toolCalls.flatMap(toolCallEvents),
          {
            _tag: "ProviderFinish",
            finishReason: step.finishReason ?? (toolCalls.length > 0 ? "tool-calls" : "stop"),
            usage,
            model,
            ...(reasoning !== undefined ? { reasoningParts: [reasoningPart(options.id, reasoning)] } : {})
          }
        ]
        // One event per chunk, as a network stream delivers them (so consumers can stop mid-way).
        const stream = Stream.rechunk(Stream.fromIterable(events), 1)
        return step.delayMs ? Stream.concat(Stream.fromEffectDrain(Effect.sleep(step.delayMs)), stream) : stream
      }),
    listModels: Effect.suspend(() => {
      listCalls++
      return listError ? Effect.fail(listError) : Effect.succeed(models)
    })
  })

  return {
    layer: Layer.succeed(LLMProvider, service),
    /** Every call the provider received, in order. */
    calls,
    /** How many times `listModels` ran. */
    get listCalls() {
      return listCalls
    },
    /** What the next `listModels` returns: a provider that added or removed models. */
    setModels(list: ReadonlyArray<string | ModelInfo>) {
      models = toModels(list)
    },
    /** Makes the next `listModels` fail with `error` (or succeed again with undefined). */
    setListError(error: LLMError | undefined) {
      listError = error
    },
    /** Queues steps for the next calls of any model (after the model's own queue). */
    script(...steps: ReadonlyArray<FakeStep>) {
      anyQueue.push(...steps)
    },
    /** Queues steps for the next calls naming `model`. */
    scriptModel(model: string, ...steps: ReadonlyArray<FakeStep>) {
      const queue = queues.get(model) ?? []
      queue.push(...steps)
      queues.set(model, queue)
    }
  }
}

export type FakeProvider = ReturnType<typeof makeFakeProvider>
