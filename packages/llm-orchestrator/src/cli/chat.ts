/**
 * `llm-orchestrator chat "prompt"`: streams the answer to stdout as it arrives, then one usage/cost
 * line on stderr. `--no-stream` uses `sendRequest`. `--json` prints the ChatResponse as one JSON
 * object; it streams under the hood unless `--no-stream` (same request path as the text output, so
 * `--json` shows what the plain command did), with `latencyMs` measured by the CLI around the stream.
 * `--provider` / `--model` replace the config's active provider/model for this run. `--tools FILE` offers
 * the model the tools defined in a JSON file (`--tool-choice` as in requests); the calls it makes are
 * printed (one line each: name, arguments, id), and listed in `--json` as `toolCalls`. The CLI does not
 * run tools: that is `runTools` in the library. `--schema FILE` asks for JSON matching the JSON Schema in
 * the file (`responseFormat`); `--json` then lists the decoded answer as `output`. `--image PATH` and
 * `--file PATH` (repeatable) attach images and documents to the prompt, their media type from the
 * file's extension. `--reasoning low|medium|high` and `--reasoning-budget N` ask the model to reason
 * first (`request.reasoning`); its reasoning goes to stderr, each line prefixed "thinking: ", and
 * `--json` lists it as `reasoning`. `--trace` prints the request's span tree (attempts, timings, tokens,
 * cost) on stderr when it ends, whether it succeeded or failed.
 */
import { readFileSync } from "node:fs"
import { basename, extname } from "node:path"
import type {
  Attempt,
  ChatRequest,
  ChatResponse,
  ContentPart,
  Cost,
  FilePart,
  Finish,
  ImagePart,
  Message,
  ResponseFormat,
  StreamEvent,
  ToolCall,
  ToolChoice,
  Usage
} from "@llm-orchestrator/core"
import { Effect, Option, Stream } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { loadConfig } from "../config.ts"
import { LLMOrchestrator } from "../orchestrator.ts"
import { layerFromConfig } from "../wiring.ts"
import { applyOverride } from "./config.ts"
import { CliFailure } from "./failure.ts"
import { formatCount, formatUsd, printErr, printJson, writeErr, writeOut } from "./output.ts"
import { root } from "./root.ts"
import { formatTrace, spanRecorder } from "./trace.ts"

/** What `--json` prints: the ChatResponse, with `cost: null` for an unpriced model (JSON has no undefined). */
export const chatResponseJson = (response: ChatResponse) => ({
  content: response.content,
  provider: response.provider,
  model: response.model,
  finishReason: response.finishReason,
  usage: response.usage,
  cost: response.cost ?? null,
  attempts: response.attempts,
  latencyMs: response.latencyMs,
  ...(response.requestId === undefined ? {} : { requestId: response.requestId }),
  ...(response.toolCalls === undefined ? {} : { toolCalls: response.toolCalls }),
  ...(response.reasoning === undefined ? {} : { reasoning: response.reasoning }),
  ...("output" in response ? { output: response.output } : {})
})

/**
 * The model's reasoning goes to stderr, each line prefixed with "thinking: ", so stdout stays the
 * answer alone (pipe-friendly) and the reasoning is still visible as it streams.
 */
export const reasoningPrefix = "thinking: "

/** `--reasoning` and `--reasoning-budget` as `request.reasoning` (both may be given; core checks them). */
const reasoningOf = (effort: Option.Option<"low" | "medium" | "high">, budget: Option.Option<number>) =>
  Option.isNone(effort) && Option.isNone(budget)
    ? {}
    : {
        reasoning: {
          ...(Option.isSome(effort) ? { effort: effort.value } : {}),
          ...(Option.isSome(budget) ? { budgetTokens: budget.value } : {})
        }
      }

/** One printed line per tool call the model made. */
const toolCallLine = (call: ToolCall): string =>
  `tool call: ${call.name}(${call.rawArguments ?? JSON.stringify(call.arguments)}) [${call.id}]\n`

/** A JSON file given to `flag`, read and checked for its top-level shape (the rest is validated with the request). */
const readJsonFile = <A>(flag: string, path: string, expected: string, accept: (value: unknown) => boolean) =>
  Effect.try({
    try: () => {
      const value: unknown = JSON.parse(readFileSync(path, "utf8"))
      if (!accept(value)) throw new Error(`it must hold ${expected}`)
      return value as A
    },
    catch: (error) => CliFailure.usage(`${flag} ${path}: ${error instanceof Error ? error.message : String(error)}`)
  })

/** The tools of `--tools FILE`: a JSON array of { name, description?, parameters }. */
const readTools = (path: string) =>
  readJsonFile<ChatRequest["tools"] & {}>(
    "--tools",
    path,
    "a JSON array of { name, description?, parameters }",
    Array.isArray
  )

/** Media types by file extension, for `--image` and `--file` (what the request rules accept). */
const mediaTypes: Readonly<Record<"image" | "file", Readonly<Record<string, string>>>> = {
  image: { png: "image/png", jpg: "image/jpeg", jpeg: "image/jpeg", gif: "image/gif", webp: "image/webp" },
  file: { pdf: "application/pdf", txt: "text/plain" }
}

/** An `--image` or `--file` attachment: the file's bytes with the media type its extension names. */
const readAttachment = (kind: "image" | "file", path: string) =>
  Effect.try({
    try: (): ImagePart | FilePart => {
      const extension = extname(path).slice(1).toLowerCase()
      const mediaType = mediaTypes[kind][extension]
      if (mediaType === undefined)
        throw new Error(
          `the extension must be one of ${Object.keys(mediaTypes[kind])
            .map((e) => `.${e}`)
            .join(", ")}`
        )
      return { type: kind, data: new Uint8Array(readFileSync(path)), mediaType, filename: basename(path) }
    },
    catch: (error) => CliFailure.usage(`--${kind} ${path}: ${error instanceof Error ? error.message : String(error)}`)
  })

/** The schema of `--schema FILE`: a JSON Schema object; the file's name (letters, digits, _ and -) names it. */
const readSchema = (path: string) =>
  Effect.map(
    readJsonFile<Record<string, unknown>>(
      "--schema",
      path,
      "a JSON Schema object",
      (value) => typeof value === "object" && value !== null && !Array.isArray(value)
    ),
    (schema): ResponseFormat => {
      const name = basename(path)
        .replace(/\.[^.]*$/, "")
        .replace(/[^A-Za-z0-9_-]/g, "_")
        .slice(0, 64)
      return { type: "json", schema, ...(name === "" ? {} : { name }) }
    }
  )

const toolChoiceOf = (text: string): ToolChoice =>
  text === "auto" || text === "none" || text === "required" ? text : { tool: text }

const usageText = (usage: Usage): string => {
  const extras = [
    usage.cacheReadTokens > 0 ? `${formatCount(usage.cacheReadTokens)} cached` : undefined,
    usage.cacheWriteTokens > 0 ? `${formatCount(usage.cacheWriteTokens)} cache-write` : undefined,
    usage.reasoningTokens > 0 ? `${formatCount(usage.reasoningTokens)} reasoning` : undefined,
    usage.webSearches
      ? `${formatCount(usage.webSearches)} web search${usage.webSearches === 1 ? "" : "es"}`
      : undefined,
    usage.webFetches ? `${formatCount(usage.webFetches)} web fetch${usage.webFetches === 1 ? "" : "es"}` : undefined
  ].filter((x) => x !== undefined)
  const extra = extras.length > 0 ? ` (${extras.join(", ")})` : ""
  return `${formatCount(usage.inputTokens)} in, ${formatCount(usage.outputTokens)} out${extra}`
}

const attemptText = (attempt: Attempt): string =>
  `${attempt.provider}/${attempt.model}#${attempt.attempt} ${attempt.outcome === "success" ? "ok" : (attempt.errorTag ?? attempt.outcome)}`

/** The stderr summary: who answered, tokens, cost (or "unpriced"), and the attempts when it fell back or retried. */
export const costLine = (summary: {
  readonly provider: string
  readonly model: string
  readonly usage: Usage
  readonly cost: Cost | undefined
  readonly attempts: ReadonlyArray<Attempt>
  readonly latencyMs: number
}): string => {
  const parts = [
    `${summary.provider}/${summary.model}`,
    `tokens ${usageText(summary.usage)}`,
    summary.cost === undefined
      ? "cost unpriced"
      : `cost ${formatUsd(summary.cost.total)}${summary.cost.tools ? ` (tools ${formatUsd(summary.cost.tools)})` : ""}`,
    `${Math.round(summary.latencyMs)} ms`
  ]
  if (summary.attempts.length > 1) parts.push(`attempts ${summary.attempts.map(attemptText).join(", ")}`)
  return parts.join(" | ")
}

export const chatCommand = Command.make(
  "chat",
  {
    prompt: Argument.String("prompt").pipe(Argument.withDescription("The user message")),
    provider: Flag.String("provider").pipe(
      Flag.withDescription("Use this configured provider instead of active_provider"),
      Flag.optional
    ),
    model: Flag.String("model").pipe(
      Flag.withDescription("Use this model instead of active_model (with --provider: that provider's model)"),
      Flag.optional
    ),
    system: Flag.String("system").pipe(Flag.withDescription("A system prompt"), Flag.optional),
    temperature: Flag.Finite("temperature").pipe(Flag.optional),
    maxTokens: Flag.Int("max-tokens").pipe(Flag.withDescription("Cap the answer's length"), Flag.optional),
    tags: Flag.KeyValuePair("tag").pipe(
      Flag.withDescription("Cost attribution tag key=value (repeatable), recorded in the cost log"),
      Flag.withDefault({})
    ),
    stream: Flag.Boolean("stream").pipe(
      Flag.withDescription("Stream the answer as it arrives (--no-stream: one request, printed at the end)"),
      Flag.withDefault(true)
    ),
    json: Flag.Boolean("json").pipe(
      Flag.withDescription("Print the ChatResponse as one JSON object"),
      Flag.withDefault(false)
    ),
    tools: Flag.String("tools").pipe(
      Flag.withDescription("A JSON file with an array of tools { name, description?, parameters } the model may call"),
      Flag.optional
    ),
    toolChoice: Flag.String("tool-choice").pipe(
      Flag.withDescription("auto, none, required, or the name of the one tool the model must call"),
      Flag.optional
    ),
    images: Flag.String("image").pipe(
      Flag.withDescription("An image to send with the prompt: .png, .jpg, .gif or .webp (repeatable)"),
      Flag.atLeast(0)
    ),
    files: Flag.String("file").pipe(
      Flag.withDescription("A document to send with the prompt: .pdf or .txt (repeatable)"),
      Flag.atLeast(0)
    ),
    reasoning: Flag.Literals("reasoning", ["low", "medium", "high"]).pipe(
      Flag.withDescription("Ask the model to reason first with this effort; the reasoning goes to stderr"),
      Flag.optional
    ),
    reasoningBudget: Flag.Int("reasoning-budget").pipe(
      Flag.withDescription("Ask the model to reason first within this many tokens (Claude: at least 1024)"),
      Flag.optional
    ),
    trace: Flag.Boolean("trace").pipe(
      Flag.withDescription("Print the request's span tree (attempts, timings, tokens, cost) on stderr"),
      Flag.withDefault(false)
    ),
    schema: Flag.String("schema").pipe(
      Flag.withDescription(
        "A JSON file with the JSON Schema (an object) the answer must match; --json shows it decoded"
      ),
      Flag.optional
    )
  },
  (input) =>
    Effect.gen(function* () {
      const { config: configPath } = yield* root
      const loaded = yield* loadConfig(configPath)
      const config = yield* applyOverride(loaded, {
        provider: Option.getOrUndefined(input.provider),
        model: Option.getOrUndefined(input.model)
      })
      const messages: Array<Message> = [
        ...(Option.isSome(input.system) ? [{ role: "system" as const, content: input.system.value }] : []),
        { role: "user", content: yield* userContent(input.prompt, input.images, input.files) }
      ]
      const tools = Option.isSome(input.tools) ? yield* readTools(input.tools.value) : undefined
      const responseFormat = Option.isSome(input.schema) ? yield* readSchema(input.schema.value) : undefined
      const request: ChatRequest = {
        messages,
        ...(tools === undefined ? {} : { tools }),
        ...(responseFormat === undefined ? {} : { responseFormat }),
        ...(Option.isSome(input.toolChoice) ? { toolChoice: toolChoiceOf(input.toolChoice.value) } : {}),
        ...(Option.isSome(input.temperature) ? { temperature: input.temperature.value } : {}),
        ...(Option.isSome(input.maxTokens) ? { maxTokens: input.maxTokens.value } : {}),
        ...reasoningOf(input.reasoning, input.reasoningBudget),
        ...(Object.keys(input.tags).length > 0 ? { metadata: input.tags } : {})
      }
      const program = Effect.gen(function* () {
        const llm = yield* LLMOrchestrator
        const response = input.stream
          ? yield* streamChat(llm, request, !input.json)
          : yield* Effect.tap(llm.sendRequest(request), (r) =>
              input.json
                ? Effect.void
                : Effect.andThen(
                    r.reasoning === undefined ? Effect.void : writeErr(prefixed(r.reasoning, true)),
                    Effect.andThen(printText(r.content), writeOut((r.toolCalls ?? []).map(toolCallLine).join("")))
                  )
            )
        if (input.json) yield* printJson(chatResponseJson(response))
        else yield* printErr(costLine(response))
      })
      // The layer's scope closes when the command ends: the cost log is flushed before exit.
      if (!input.trace) return yield* Effect.provide(program, layerFromConfig(config))
      const recorder = spanRecorder()
      yield* Effect.provide(program, layerFromConfig(config, { telemetry: { tracer: recorder.tracer } })).pipe(
        Effect.ensuring(Effect.suspend(() => writeErr(formatTrace(recorder.spans))))
      )
    })
).pipe(Command.withDescription("Send one prompt to the active (or chosen) model; the answer on stdout, cost on stderr"))

/** The prompt alone, or the prompt's text part followed by the attached images and files. */
const userContent = (prompt: string, images: ReadonlyArray<string>, files: ReadonlyArray<string>) =>
  images.length === 0 && files.length === 0
    ? Effect.succeed(prompt)
    : Effect.map(
        Effect.all([
          ...images.map((path) => readAttachment("image", path)),
          ...files.map((path) => readAttachment("file", path))
        ]),
        (parts): Array<ContentPart> => [{ type: "text", text: prompt }, ...parts]
      )

/** Reasoning text with each line prefixed (`atLineStart`: the text starts a line); ends with a line break. */
const prefixed = (text: string, atLineStart: boolean): string =>
  (atLineStart ? reasoningPrefix : "") +
  text.replace(/\n(?!$)/g, `\n${reasoningPrefix}`) +
  (text.endsWith("\n") ? "" : "\n")

/** The answer, ending with a newline so the shell prompt starts on its own line. */
const printText = (text: string) => writeOut(text.endsWith("\n") || text === "" ? text : `${text}\n`)

/** Streams the deltas (printing them when `print`), then builds the ChatResponse from the final `Finish`. */
const streamChat = (llm: LLMOrchestrator["Service"], request: ChatRequest, print: boolean) =>
  Effect.gen(function* () {
    const started = performance.now()
    // `content`: the text since the last printed line break or tool call; `text`: the whole answer.
    let content = ""
    let text = ""
    let finish: Finish | undefined
    const toolCalls: Array<ToolCall> = []
    let reasoning = ""
    // Reasoning printed so far ends mid-line: the next output (or the end) closes its line first.
    let reasoningOpen = false
    const closeReasoning = () => {
      if (!reasoningOpen) return Effect.void
      reasoningOpen = false
      return reasoning.endsWith("\n") ? Effect.void : writeErr("\n")
    }
    const handle = (event: Exclude<StreamEvent, { _tag: "ReasoningDelta" }>): Effect.Effect<void> => {
      if (event._tag === "Finish") {
        return Effect.sync(() => {
          finish = event
        })
      }
      if (event._tag === "ToolCall") {
        const { _tag, ...call } = event
        toolCalls.push(call)
        // A call starts on a line of its own.
        const line = (content !== "" && !content.endsWith("\n") ? "\n" : "") + toolCallLine(call)
        content = ""
        return print ? writeOut(line) : Effect.void
      }
      if (event._tag !== "TextDelta") return Effect.void // a call's start and pieces: printed whole, above
      content += event.text
      text += event.text
      return print ? writeOut(event.text) : Effect.void
    }
    yield* llm.sendStreamingRequest(request).pipe(
      Stream.runForEach((event) => {
        if (event._tag === "ReasoningDelta") {
          const first = reasoning === "" || reasoning.endsWith("\n")
          reasoning += event.text
          if (!print) return Effect.void
          reasoningOpen = true
          return writeErr((first ? reasoningPrefix : "") + event.text.replace(/\n(?!$)/g, `\n${reasoningPrefix}`))
        }
        if (print && reasoningOpen) return Effect.andThen(closeReasoning(), handle(event))
        return handle(event)
      }),
      // Partial text was printed: end its line so the error message starts on a fresh one.
      Effect.onError(() => (print && content !== "" && !content.endsWith("\n") ? writeOut("\n") : Effect.void))
    )
    if (print) yield* closeReasoning()
    if (print && content !== "" && !content.endsWith("\n")) yield* writeOut("\n")
    if (finish === undefined) return yield* Effect.die(new Error("the stream ended without its Finish event"))
    const response: ChatResponse = {
      content: text,
      provider: finish.provider,
      model: finish.model,
      finishReason: finish.finishReason,
      usage: finish.usage,
      cost: finish.cost,
      attempts: finish.attempts,
      latencyMs: Math.round(performance.now() - started),
      ...(finish.requestId === undefined ? {} : { requestId: finish.requestId }),
      ...(toolCalls.length > 0 ? { toolCalls } : {}),
      ...(reasoning === "" ? {} : { reasoning }),
      ...(finish.reasoningParts === undefined ? {} : { reasoningParts: finish.reasoningParts }),
      ...("output" in finish ? { output: finish.output } : {})
    }
    return response
  })
