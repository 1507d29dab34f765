/**
 * The tool loop (docs/ARCHITECTURE.md, "Tool calls"): ask, run the tools the model called, send their
 * results, ask again, until the model answers without calling a tool or `maxSteps` calls were made.
 * Each step is one `sendRequest` (fallback, retries, budget and cost records as for any call); the
 * loop adds the steps' usage and cost.
 */
import { Effect } from "effect"
import type {
  ChatRequest,
  ChatResponse,
  Cost,
  Message,
  ToolCall,
  ToolDefinition,
  ToolResultPart,
  Usage
} from "./domain.ts"
import { decodeWith, effectSchemaOf } from "./effect-schema.ts"
import type { LLMError } from "./errors.ts"
import { optionalField } from "./internal/optional.ts"
import { LLMOrchestrator } from "./orchestrator/orchestrator.ts"

/** A tool with the code that runs it. A failure of `execute` is sent to the model as an error result. */
export interface ExecutableTool<R = never> extends ToolDefinition {
  readonly execute: (args: Record<string, unknown>, call: ToolCall) => Effect.Effect<unknown, unknown, R>
}

export interface ToolLoopOptions {
  /** The most model calls the loop makes (default 8). */
  readonly maxSteps?: number
}

export interface ToolLoopResult {
  /** The last answer: text when the model finished, or its unexecuted tool calls when `maxSteps` ran out. */
  readonly response: ChatResponse
  /** Every model call's answer, in order. */
  readonly steps: ReadonlyArray<ChatResponse>
  /**
   * The conversation to continue from: the request's messages, then each executed step's reasoning parts,
   * tool calls and results.
   */
  readonly messages: ReadonlyArray<Message>
  /** The steps' usage added up. */
  readonly usage: Usage
  /** The steps' cost added up; undefined when a step's model has no known price (never a made-up $0). */
  readonly cost: Cost | undefined
}

export const defaultMaxSteps = 8

const errorText = (error: unknown): string =>
  error instanceof Error ? error.message : typeof error === "string" ? error : JSON.stringify(error)

/** One tool call's result: the tool's value, or an error result the model can read and recover from. */
const runCall = <R>(
  tools: ReadonlyMap<string, ExecutableTool<R>>,
  call: ToolCall
): Effect.Effect<ToolResultPart, never, R> => {
  const answer = (result: unknown, isError?: true): ToolResultPart => ({
    type: "tool-result",
    id: call.id,
    name: call.name,
    result,
    ...(isError ? { isError } : {})
  })
  const tool = tools.get(call.name)
  if (tool === undefined)
    return Effect.succeed(
      answer(`there is no tool named "${call.name}"; the tools are: ${[...tools.keys()].join(", ")}`, true)
    )
  if (call.rawArguments !== undefined)
    return Effect.succeed(answer(`the arguments were not a JSON object: ${call.rawArguments}`, true))
  // Parameters made from an Effect Schema (schemaTool): `execute` gets the arguments decoded, or never runs.
  const schema = effectSchemaOf(tool.parameters)
  let args: unknown = call.arguments
  if (schema !== undefined) {
    const decoded = decodeWith(schema, call.arguments)
    if (!decoded.ok)
      return Effect.succeed(
        answer(`the arguments do not match the parameters of ${call.name}: ${decoded.problem}`, true)
      )
    args = decoded.value
  }
  return Effect.match(tool.execute(args as Record<string, unknown>, call), {
    onSuccess: (result) => answer(result ?? null),
    onFailure: (error) => answer(`the tool failed: ${errorText(error)}`, true)
  })
}

const addUsage = (a: Usage, b: Usage): Usage => {
  const sum: Record<string, number> = { ...a }
  for (const [key, value] of Object.entries(b)) sum[key] = (sum[key] ?? 0) + (value as number)
  return sum as unknown as Usage
}

const addCost = (a: Cost, b: Cost): Cost => {
  const tools = (a.tools ?? 0) + (b.tools ?? 0)
  return {
    input: a.input + b.input,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    output: a.output + b.output,
    reasoning: a.reasoning + b.reasoning,
    ...(tools > 0 ? { tools } : {}),
    total: a.total + b.total,
    currency: "USD"
  }
}

/**
 * Runs `request` with `tools` until the model answers without a tool call, or `maxSteps` model calls.
 * The request's `toolChoice` applies to the first call only (later calls are "auto"): forcing a tool on
 * every call would never let the model answer. The tools the model called in one step run together;
 * their results go back in one message each, in the order of the calls.
 */
export const runToolLoop = <R = never>(
  request: Omit<ChatRequest, "tools">,
  tools: ReadonlyArray<ExecutableTool<R>>,
  options: ToolLoopOptions = {}
): Effect.Effect<ToolLoopResult, LLMError, LLMOrchestrator | R> =>
  Effect.gen(function* () {
    const llm = yield* LLMOrchestrator
    const maxSteps = options.maxSteps ?? defaultMaxSteps
    const definitions: Array<ToolDefinition> = tools.map(({ name, description, parameters, providerOptions }) => ({
      name,
      ...optionalField("description", description),
      parameters,
      ...optionalField("providerOptions", providerOptions)
    }))
    const byName = new Map(tools.map((tool) => [tool.name, tool]))
    const messages: Array<Message> = [...request.messages]
    const steps: Array<ChatResponse> = []
    for (;;) {
      const { toolChoice, ...rest } = request
      const response = yield* llm.sendRequest({
        ...rest,
        messages: [...messages],
        tools: definitions,
        ...(toolChoice !== undefined && steps.length === 0 ? { toolChoice } : {})
      })
      steps.push(response)
      const calls = response.toolCalls ?? []
      if (calls.length === 0 || steps.length >= maxSteps) break
      messages.push({
        role: "assistant",
        content: [
          // The reasoning first, signatures included: Anthropic and Gemini refuse the next step without it.
          ...(response.reasoningParts ?? []),
          ...(response.content === "" ? [] : [{ type: "text" as const, text: response.content }]),
          ...calls.map((call) => ({
            type: "tool-call" as const,
            id: call.id,
            name: call.name,
            arguments: call.arguments
          }))
        ]
      })
      const results = yield* Effect.forEach(calls, (call) => runCall(byName, call), { concurrency: "unbounded" })
      for (const result of results) messages.push({ role: "tool", content: [result] })
    }
    let cost: Cost | undefined = steps[0]!.cost
    for (const step of steps.slice(1)) cost = cost && step.cost ? addCost(cost, step.cost) : undefined
    return {
      response: steps.at(-1)!,
      steps,
      messages,
      usage: steps.slice(1).reduce((sum, step) => addUsage(sum, step.usage), steps[0]!.usage),
      cost
    }
  })
