/**
 * The two things the bench compares, per provider, on the same simulator with the same wire payloads:
 * the raw vendor SDK (`maxRetries: 0`) and the orchestrator (built once from a YAML config through
 * `parseConfig` + `layerFromConfig`, cost tracking on with a JSONL log, held in a `ManagedRuntime` so
 * no layer is built per request).
 */
import * as nodePath from "node:path"
import Anthropic from "@anthropic-ai/sdk"
import { AnthropicProvider, OpenAIProvider } from "@llm-orchestrator/providers"
import { Effect, ManagedRuntime, Redacted, Stream } from "effect"
import {
  type ChatRequest,
  type ChatResponse,
  LLMOrchestrator,
  LLMProvider,
  layerFromConfig,
  parseConfig,
  type ToolDefinition,
  type WiringOptions
} from "llm-orchestrator"
import OpenAI from "openai"
import { sdkFetch } from "../packages/providers/src/kit/transport.ts"
import { benchModels, benchToolName, type SimulatorUrls, streamChunks } from "./simulator-server.ts"

export type BenchProvider = "openai" | "anthropic"

export type { SimulatorUrls } from "./simulator-server.ts"

/**
 * One finished stream: milliseconds to the first text (tool-call streams: the first arguments delta)
 * and to the end, and the deltas seen; tool-call streams also time the call's start (its id and name,
 * before any arguments) and count the calls completed.
 */
export interface StreamTiming {
  readonly ttftMs: number
  readonly totalMs: number
  readonly deltas: number
  readonly callStartMs?: number
  readonly calls?: number
}

export interface Arm {
  readonly plain: () => Promise<unknown>
  readonly stream: () => Promise<StreamTiming>
  /** A stream whose answer is one tool call (the `tools` model), its arguments in `streamChunks` deltas. */
  readonly toolStream: () => Promise<StreamTiming>
}

/** The same plain request run with `Effect.runPromise`, not the arm's `ManagedRuntime` (bench/no-socket.ts). */
export interface DirectRun {
  readonly plainDirect: () => Promise<unknown>
}

export interface OrchestratorArm extends Arm, DirectRun {
  /** The failing model first (503), then the active model; the orchestrator's retry is 1 attempt. */
  readonly failover: () => Promise<ChatResponse>
  readonly dispose: () => Promise<void>
}

export const apiKeys = { openai: "sk-bench-openai-000000000000", anthropic: "sk-ant-bench-000000000000" } as const
export const system = "You are the benchmark. Answer in exactly two hundred words."
export const user = "Write two hundred words, please."
export const maxTokens = 256

/** The one tool the tool-call streams offer (the `tools` models call it whatever the request says). */
const toolParameters = {
  type: "object" as const,
  properties: { text: { type: "string", description: "The text to show." } },
  required: ["text"]
}
const toolDescription = "Shows a text to the user."
export const benchTool: ToolDefinition = {
  name: benchToolName,
  description: toolDescription,
  parameters: toolParameters
}

/** What a raw SDK caller keeps of a streamed call to run it: its id, name and arguments text. */
interface RawCall {
  readonly id: string
  readonly name: string
  arguments: string
}

/** The calls' arguments parsed, as a raw caller must before running them (the orchestrator delivers them parsed). */
const parseCalls = (calls: Iterable<RawCall>): number => {
  let count = 0
  for (const call of calls) {
    JSON.parse(call.arguments)
    count++
  }
  return count
}

// ---- Raw SDKs ----------------------------------------------------------------------------------------

/**
 * `withSignal`: pass a fresh AbortSignal on every call, as any caller that wants to cancel must (the
 * SDKs then link it to their own controller, which has a cost of its own).
 */
/**
 * The raw SDK as an application makes it (its default transport, the global `fetch`), or with
 * `transport: "ours"` on the transport our adapters hand it (providers/src/kit/transport.ts): what our
 * layer costs by itself, apart from the transport.
 */
export const rawArm = (
  provider: BenchProvider,
  urls: SimulatorUrls,
  options: { withSignal?: boolean; model?: string; transport?: "fetch" | "ours" } = {}
): Arm => {
  const requestOptions = () => (options.withSignal ? { signal: new AbortController().signal } : undefined)
  const model = options.model ?? benchModels[provider].active
  const transport = options.transport === "ours" ? { fetch: sdkFetch } : {}
  if (provider === "openai") {
    const client = new OpenAI({ apiKey: apiKeys.openai, baseURL: `${urls.openai}/v1`, maxRetries: 0, ...transport })
    // The same body the orchestrator's adapter sends (chatBody in providers/src/openai/openai.ts).
    const body = {
      model,
      messages: [
        { role: "system" as const, content: system },
        { role: "user" as const, content: user }
      ],
      max_completion_tokens: maxTokens
    }
    // With the tool, as chatBody in providers/src/openai/mapping.ts puts it (tools before max_completion_tokens).
    const toolBody = {
      model: benchModels.openai.tools,
      messages: body.messages,
      tools: [
        {
          type: "function" as const,
          function: { name: benchToolName, description: toolDescription, parameters: toolParameters }
        }
      ],
      max_completion_tokens: maxTokens
    }
    return {
      plain: () => client.chat.completions.create(body, requestOptions()),
      stream: async () => {
        const start = performance.now()
        let ttft = -1
        let deltas = 0
        const stream = await client.chat.completions.create(
          { ...body, stream: true, stream_options: { include_usage: true } },
          requestOptions()
        )
        for await (const chunk of stream) {
          if (chunk.choices[0]?.delta?.content) {
            if (ttft < 0) ttft = performance.now() - start
            deltas++
          }
        }
        return { ttftMs: ttft, totalMs: performance.now() - start, deltas }
      },
      toolStream: async () => {
        const start = performance.now()
        let callStart = -1
        let ttft = -1
        let deltas = 0
        // By the wire's index: a call's first chunk has its id and name, the next ones its arguments.
        const calls: Array<RawCall> = []
        const stream = await client.chat.completions.create(
          { ...toolBody, stream: true, stream_options: { include_usage: true } },
          requestOptions()
        )
        for await (const chunk of stream) {
          for (const piece of chunk.choices[0]?.delta?.tool_calls ?? []) {
            if (piece.id) {
              if (callStart < 0) callStart = performance.now() - start
              calls[piece.index] = { id: piece.id, name: piece.function?.name ?? "", arguments: "" }
            }
            const call = calls[piece.index]
            const text = piece.function?.arguments
            if (call !== undefined && text) {
              if (ttft < 0) ttft = performance.now() - start
              deltas++
              call.arguments += text
            }
          }
        }
        const parsed = parseCalls(calls)
        return { ttftMs: ttft, totalMs: performance.now() - start, deltas, callStartMs: callStart, calls: parsed }
      }
    }
  }
  const client = new Anthropic({ apiKey: apiKeys.anthropic, baseURL: urls.anthropic, maxRetries: 0, ...transport })
  // The same body as toParams in providers/src/anthropic/anthropic.ts.
  const body = { model, max_tokens: maxTokens, messages: [{ role: "user" as const, content: user }], system }
  // With the tool, as toolOf in providers/src/anthropic/mapping.ts writes it (after system, as toParams orders it).
  const toolBody = {
    ...body,
    model: benchModels.anthropic.tools,
    tools: [{ name: benchToolName, description: toolDescription, input_schema: toolParameters }]
  }
  return {
    plain: () => client.messages.create(body, requestOptions()),
    stream: async () => {
      const start = performance.now()
      let ttft = -1
      let deltas = 0
      const stream = await client.messages.create({ ...body, stream: true }, requestOptions())
      for await (const event of stream) {
        if (event.type === "content_block_delta" && event.delta.type === "text_delta" && event.delta.text) {
          if (ttft < 0) ttft = performance.now() - start
          deltas++
        }
      }
      return { ttftMs: ttft, totalMs: performance.now() - start, deltas }
    },
    toolStream: async () => {
      const start = performance.now()
      let callStart = -1
      let ttft = -1
      let deltas = 0
      // By content block index: a tool_use block's start has its id and name, its deltas the arguments.
      const calls = new Map<number, RawCall>()
      const stream = await client.messages.create({ ...toolBody, stream: true }, requestOptions())
      for await (const event of stream) {
        if (event.type === "content_block_start" && event.content_block.type === "tool_use") {
          if (callStart < 0) callStart = performance.now() - start
          calls.set(event.index, { id: event.content_block.id, name: event.content_block.name, arguments: "" })
        } else if (
          event.type === "content_block_delta" &&
          event.delta.type === "input_json_delta" &&
          event.delta.partial_json
        ) {
          const call = calls.get(event.index)
          if (call === undefined) continue
          if (ttft < 0) ttft = performance.now() - start
          deltas++
          call.arguments += event.delta.partial_json
        }
      }
      const parsed = parseCalls(calls.values())
      return { ttftMs: ttft, totalMs: performance.now() - start, deltas, callStartMs: callStart, calls: parsed }
    }
  }
}

/** Runs an Effect stream to its end in `runtime`, timing its first text delta and its end. */
const timeStream = (
  runtime: ManagedRuntime.ManagedRuntime<never, unknown>,
  open: () => Stream.Stream<{ readonly _tag: string }, unknown>
): Promise<StreamTiming> => {
  const start = performance.now()
  let ttft = -1
  let deltas = 0
  return runtime
    .runPromise(
      Stream.runForEach(open(), (event) =>
        Effect.sync(() => {
          if (event._tag === "TextDelta") {
            if (ttft < 0) ttft = performance.now() - start
            deltas++
          }
        })
      )
    )
    .then(() => ({ ttftMs: ttft, totalMs: performance.now() - start, deltas }))
}

/** As `timeStream` for a tool-call stream: its first `ToolCallStart` and `ToolCallDelta`, its end, the complete calls. */
const timeToolStream = (
  runtime: ManagedRuntime.ManagedRuntime<never, unknown>,
  open: () => Stream.Stream<{ readonly _tag: string }, unknown>
): Promise<StreamTiming> => {
  const start = performance.now()
  let callStart = -1
  let ttft = -1
  let deltas = 0
  let calls = 0
  return runtime
    .runPromise(
      Stream.runForEach(open(), (event) =>
        Effect.sync(() => {
          if (event._tag === "ToolCallDelta") {
            if (ttft < 0) ttft = performance.now() - start
            deltas++
          } else if (event._tag === "ToolCallStart") {
            if (callStart < 0) callStart = performance.now() - start
          } else if (event._tag === "ToolCall") calls++
        })
      )
    )
    .then(() => ({ ttftMs: ttft, totalMs: performance.now() - start, deltas, callStartMs: callStart, calls }))
}

// ---- The provider adapter alone (no orchestrator, no cost tracking) ----------------------------------

export const benchRequest: ChatRequest = {
  messages: [
    { role: "system", content: system },
    { role: "user", content: user }
  ],
  maxTokens
}

/** The same request offering the tool (the model is given apart: the `tools` model). */
export const benchToolRequest: ChatRequest = { ...benchRequest, tools: [benchTool] }

export const adapterArm = async (
  provider: BenchProvider,
  urls: SimulatorUrls
): Promise<Arm & DirectRun & { dispose: () => Promise<void> }> => {
  const layer =
    provider === "openai"
      ? OpenAIProvider.layer({ apiKey: Redacted.make(apiKeys.openai), baseUrl: `${urls.openai}/v1` })
      : AnthropicProvider.layer({ apiKey: Redacted.make(apiKeys.anthropic), baseUrl: urls.anthropic })
  const runtime = ManagedRuntime.make(layer)
  const adapter = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* LLMProvider
    })
  )
  const model = benchModels[provider].active
  return {
    plain: () => runtime.runPromise(adapter.generate(benchRequest, model)),
    plainDirect: () => Effect.runPromise(adapter.generate(benchRequest, model)),
    stream: () => timeStream(runtime, () => adapter.stream(benchRequest, model)),
    toolStream: () => timeToolStream(runtime, () => adapter.stream(benchToolRequest, benchModels[provider].tools)),
    dispose: () => runtime.dispose()
  }
}

// ---- The orchestrator --------------------------------------------------------------------------------

/**
 * Cost tracking as configured: off, in memory only, with the JSONL log (the default for the bench), or
 * with the log and `fsync: none` (what the fsync after each batch costs).
 */
export type CostMode = "off" | "memory" | "log" | "log-fsync-none"

const configYaml = (
  provider: BenchProvider,
  urls: SimulatorUrls,
  logPath: string,
  failover: boolean,
  cost: CostMode
): string => {
  const models = benchModels[provider]
  const providerBlock =
    provider === "openai"
      ? [`  openai:`, `    api_key: "${apiKeys.openai}"`, `    base_url: "${urls.openai}/v1"`]
      : [`  anthropic:`, `    api_key: "${apiKeys.anthropic}"`, `    base_url: "${urls.anthropic}"`]
  // The steady-state config carries a realistic fallback list (unused while the active model answers).
  const fallbacks = failover ? [models.active] : provider === "openai" ? ["gpt-4o"] : ["claude-haiku-4-5-20251001"]
  return [
    `active_provider: ${provider}`,
    `active_model: "${failover ? models.failing : models.active}"`,
    "providers:",
    ...providerBlock,
    `    fallback_models: ${JSON.stringify(fallbacks)}`,
    "cost_tracking:",
    `  enabled: ${cost !== "off"}`,
    ...(cost.startsWith("log") ? [`  log_path: ${JSON.stringify(logPath)}`] : []),
    ...(cost === "log-fsync-none" ? ["  fsync: none"] : []),
    // Failover: one failed call then one good call; a breaker that never opens keeps every request failing over.
    ...(failover ? ["retry:", "  max_attempts: 1", "circuit_breaker:", "  failure_threshold: 1000000000"] : []),
    ""
  ].join("\n")
}

export const orchestratorArm = async (
  provider: BenchProvider,
  urls: SimulatorUrls,
  logDir: string,
  options: {
    readonly failover?: boolean
    readonly cost?: CostMode
    /** More cost sinks beside the JSONL log (bench/ledger.ts: the PostgreSQL ledger). */
    readonly costSinks?: WiringOptions["costSinks"]
    /** YAML appended to the config (bench/telemetry.ts: a `telemetry:` section). */
    readonly extraYaml?: string
    /** The model the plain and stream requests name (default: the config's active model). */
    readonly model?: string
  } = {}
): Promise<OrchestratorArm> => {
  const failover = options.failover ?? false
  const logPath = nodePath.join(logDir, `${provider}${failover ? "-failover" : ""}.jsonl`)
  const config = await Effect.runPromise(
    parseConfig(configYaml(provider, urls, logPath, failover, options.cost ?? "log") + (options.extraYaml ?? ""))
  )
  const runtime = ManagedRuntime.make(
    layerFromConfig(config, options.costSinks === undefined ? {} : { costSinks: options.costSinks })
  )
  const llm = await runtime.runPromise(
    Effect.gen(function* () {
      return yield* LLMOrchestrator
    })
  )
  const request: ChatRequest = {
    ...benchRequest,
    ...(options.model === undefined ? {} : { model: options.model }),
    metadata: { feature: "bench" }
  }
  const toolRequest: ChatRequest = { ...request, model: benchModels[provider].tools, tools: [benchTool] }
  return {
    plain: () => runtime.runPromise(llm.sendRequest(request)),
    plainDirect: () => Effect.runPromise(llm.sendRequest(request)),
    failover: () => runtime.runPromise(llm.sendRequest(request)),
    stream: () => timeStream(runtime, () => llm.sendStreamingRequest(request)),
    toolStream: () => timeToolStream(runtime, () => llm.sendStreamingRequest(toolRequest)),
    dispose: () => runtime.dispose()
  }
}

/** Fails loudly when an arm does not do what the bench claims (wrong text, no fallback...). */
export const checkArms = async (
  provider: BenchProvider,
  raw: Arm,
  orch: OrchestratorArm,
  failover: OrchestratorArm
) => {
  const [rawStream, orchStream] = [await raw.stream(), await orch.stream()]
  if (rawStream.deltas !== streamChunks || orchStream.deltas !== streamChunks)
    throw new Error(`${provider}: expected ${streamChunks} deltas, raw ${rawStream.deltas}, orch ${orchStream.deltas}`)
  const [rawTools, orchTools] = [await raw.toolStream(), await orch.toolStream()]
  if (
    rawTools.deltas !== streamChunks ||
    orchTools.deltas !== streamChunks ||
    rawTools.calls !== 1 ||
    orchTools.calls !== 1
  )
    throw new Error(
      `${provider}: expected one tool call in ${streamChunks} deltas, raw ${rawTools.calls} in ${rawTools.deltas}, orch ${orchTools.calls} in ${orchTools.deltas}`
    )
  const response = await failover.failover()
  const [first, second] = response.attempts
  if (
    response.attempts.length !== 2 ||
    first?.model !== benchModels[provider].failing ||
    first.errorTag !== "ProviderUnavailableError" ||
    second?.model !== benchModels[provider].active ||
    second.outcome !== "success"
  )
    throw new Error(`${provider}: the failover did not go failing -> active: ${JSON.stringify(response.attempts)}`)
  const plain = await orch.plain()
  if (!(plain as ChatResponse).cost) throw new Error(`${provider}: the bench model has no price (cost tracking idle)`)
}
