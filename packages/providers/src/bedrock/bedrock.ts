/**
 * AWS Bedrock over the official SDKs: `@aws-sdk/client-bedrock-runtime` (Converse, ConverseStream) for
 * calls and `@aws-sdk/client-bedrock` (ListFoundationModels + ListInferenceProfiles) for discovery.
 * Both SDKs are imported when the layer is built, so users of other providers never load them.
 */
import type {
  BedrockClient,
  FoundationModelSummary,
  InferenceProfileSummary,
  ListInferenceProfilesCommandOutput
} from "@aws-sdk/client-bedrock"
import type { BedrockRuntimeClient, ConverseStreamOutput } from "@aws-sdk/client-bedrock-runtime"
import {
  type CallDeadline,
  type ChatRequest,
  ConfigError,
  InvalidRequestError,
  LLMProvider,
  type LLMProviderShape,
  NetworkError,
  type ProviderStreamEvent,
  resolveAttemptTimeouts,
  type Usage
} from "@llm-orchestrator/core"
import { Config, Effect, Layer, Redacted, Stream } from "effect"
import {
  type CallContext,
  callSdk,
  layerFromEnv,
  listPages,
  loadSdk,
  optionalEnv,
  reasoningFields,
  redactor,
  streamCut,
  streamEndedError,
  streamSdk,
  ThinkingAssembler,
  ToolCallAssembler,
  unsafeHeaderValues
} from "../kit/index.ts"
import {
  type BedrockErrorContext,
  bedrockError,
  finishReasonFromStop,
  modelsFromListings,
  reasoningPartsFromContent,
  source,
  toConverseInput,
  toolCallsFromContent,
  usageFromBedrock
} from "./mapping.ts"

export interface BedrockOptions {
  /** Required (e.g. us-east-1); `layerConfig` reads AWS_REGION, then AWS_DEFAULT_REGION. */
  readonly region: string
  /** A named profile of the shared AWS config/credentials files (SSO, assume-role, process, ...). */
  readonly profile?: string
  /** Static keys, all-or-nothing; otherwise `profile`, otherwise the default AWS credential chain. */
  readonly accessKeyId?: Redacted.Redacted<string>
  readonly secretAccessKey?: Redacted.Redacted<string>
  readonly sessionToken?: Redacted.Redacted<string>
  /** Endpoint override for both clients (a VPC endpoint, a proxy, or a simulator). */
  readonly baseUrl?: string
  /**
   * PEM certificate authorities that both clients trust for https instead of Node's bundled set (a
   * private CA in front of a VPC endpoint, a TLS-inspecting proxy, a test server's own certificate).
   * Only these two clients' connections are affected, never the process. Set in code only; https only.
   */
  readonly ca?: string | ReadonlyArray<string>
  /** Per-attempt timeout in milliseconds (default 10 min; 0: none). */
  readonly timeoutMs?: number
  /** Streams: the longest wait for more text once text has begun (default 60 s; 0: none). */
  readonly idleTimeoutMs?: number
}

type RuntimeSdk = typeof import("@aws-sdk/client-bedrock-runtime")
type ControlSdk = typeof import("@aws-sdk/client-bedrock")

const provider = "bedrock" as const

// ---------------------------------------------------------------------------------------------------
// The layer

const configError = (path: string, message: string) => ConfigError.fromProblems([{ path, message }])

const validate = (options: BedrockOptions): Effect.Effect<void, ConfigError> => {
  if (!options.region?.trim())
    return Effect.fail(
      configError("providers.bedrock.region", "Bedrock needs a region: set providers.bedrock.region or AWS_REGION")
    )
  const keys = [options.accessKeyId, options.secretAccessKey].filter((k) => k !== undefined).length
  if (keys === 1 || (keys === 0 && options.sessionToken !== undefined))
    return Effect.fail(
      configError(
        options.accessKeyId === undefined ? "providers.bedrock.access_key_id" : "providers.bedrock.secret_access_key",
        "static AWS keys are all-or-nothing: set both access_key_id and secret_access_key (and session_token for temporary keys), or neither to use the AWS credential chain"
      )
    )
  if (options.baseUrl !== undefined && !/^https?:\/\//.test(options.baseUrl))
    return Effect.fail(configError("providers.bedrock.base_url", `base_url must start with http:// or https://`))
  if (options.ca !== undefined && options.baseUrl?.startsWith("http://") === true)
    return Effect.fail(
      configError("providers.bedrock.ca", "a certificate authority applies to https only, but base_url is http://")
    )
  const plain = (value: Redacted.Redacted<string> | undefined) =>
    value === undefined ? undefined : Redacted.value(value)
  // The access key id and session token go in headers; a control character in the secret key is as wrong.
  const unsafe = unsafeHeaderValues([
    ["providers.bedrock.access_key_id", plain(options.accessKeyId)],
    ["providers.bedrock.secret_access_key", plain(options.secretAccessKey)],
    ["providers.bedrock.session_token", plain(options.sessionToken)]
  ])
  if (unsafe !== undefined) return Effect.fail(unsafe)
  return Effect.void
}

const make = (options: BedrockOptions) =>
  Effect.gen(function* () {
    yield* validate(options)
    // Real AWS endpoints are always https and keep the runtime SDK's default HTTP/2 handler. A plain
    // http:// endpoint (a simulator, a local proxy) cannot speak h2c with that handler, so it gets the
    // HTTP/1.1 NodeHttpHandler: the same SDK code path, on a transport such endpoints understand.
    // Certificate authorities of our own need handlers built here too, with the SDKs' own transports.
    const plainHttp = options.baseUrl?.startsWith("http://") === true
    const ca = typeof options.ca === "string" ? [options.ca] : options.ca !== undefined ? [...options.ca] : undefined
    const [runtimeSdk, controlSdk, handlers] = yield* Effect.all(
      [
        loadSdk(
          "providers.bedrock",
          "@aws-sdk/client-bedrock-runtime",
          (): Promise<RuntimeSdk> => import("@aws-sdk/client-bedrock-runtime")
        ),
        loadSdk(
          "providers.bedrock",
          "@aws-sdk/client-bedrock",
          (): Promise<ControlSdk> => import("@aws-sdk/client-bedrock")
        ),
        plainHttp || ca !== undefined
          ? loadSdk("providers.bedrock", "@smithy/node-http-handler", () => import("@smithy/node-http-handler"))
          : Effect.succeed(undefined)
      ],
      { concurrency: "unbounded" }
    )
    const redact = redactor(
      [options.accessKeyId, options.secretAccessKey, options.sessionToken].map((s) =>
        s === undefined ? undefined : Redacted.value(s)
      )
    )
    const credentials =
      options.accessKeyId !== undefined && options.secretAccessKey !== undefined
        ? {
            accessKeyId: Redacted.value(options.accessKeyId),
            secretAccessKey: Redacted.value(options.secretAccessKey),
            ...(options.sessionToken !== undefined ? { sessionToken: Redacted.value(options.sessionToken) } : {})
          }
        : undefined
    const credentialSource =
      credentials !== undefined
        ? "the static access keys"
        : options.profile !== undefined
          ? `AWS profile "${options.profile}"`
          : "the default AWS credential chain"
    const errorContext: BedrockErrorContext = { redact, credentialSource }
    const common = {
      region: options.region.trim(),
      maxAttempts: 1, // the orchestrator owns retries
      ...(options.baseUrl !== undefined ? { endpoint: options.baseUrl } : {}),
      // Static keys skip the chain; a profile selects the shared-config entry; otherwise the default chain.
      ...(credentials !== undefined
        ? { credentials }
        : options.profile !== undefined
          ? { profile: options.profile }
          : {})
    }
    // The runtime SDK's default: HTTP/2 with `disableConcurrentStreams` (a session per request).
    const runtimeHandler =
      handlers === undefined
        ? undefined
        : plainHttp
          ? new handlers.NodeHttpHandler()
          : new handlers.NodeHttp2Handler({ disableConcurrentStreams: true, nodeHttp2ConnectOptions: { ca } })
    // The control SDK's default is HTTP/1.1 over an https.Agent; only its trusted authorities change.
    const controlHandler =
      ca !== undefined && handlers !== undefined ? new handlers.NodeHttpHandler({ httpsAgent: { ca } }) : undefined
    const runtime: BedrockRuntimeClient = yield* Effect.acquireRelease(
      Effect.sync(
        () =>
          new runtimeSdk.BedrockRuntimeClient({
            ...common,
            ...(runtimeHandler !== undefined ? { requestHandler: runtimeHandler } : {})
          })
      ),
      (client) => Effect.sync(() => client.destroy())
    )
    const control: BedrockClient = yield* Effect.acquireRelease(
      Effect.sync(
        () =>
          new controlSdk.BedrockClient({
            ...common,
            ...(controlHandler !== undefined ? { requestHandler: controlHandler } : {})
          })
      ),
      (client) => Effect.sync(() => client.destroy())
    )

    const timeouts = resolveAttemptTimeouts(options)
    const context = (model: string, deadline?: CallDeadline): CallContext => ({
      provider,
      model,
      timeoutMs: timeouts.timeoutMs,
      idleTimeoutMs: timeouts.idleTimeoutMs,
      deadline
    })

    const generate: LLMProviderShape["generate"] = (request, model, deadline) => {
      const ctx = context(model, deadline)
      const input = toConverseInput(request, model, ctx)
      if (input instanceof InvalidRequestError) return Effect.fail(input)
      return callSdk(
        ctx,
        ({ signal }) => runtime.send(new runtimeSdk.ConverseCommand(input), { abortSignal: signal }),
        (error) => bedrockError(ctx, error, errorContext)
      ).pipe(
        Effect.flatMap((output) => {
          // The SDK reads an empty or foreign 200 body as an empty object: that is no Converse answer.
          if (output.output === undefined)
            return Effect.fail(
              new NetworkError({
                provider,
                model,
                ...(output.$metadata.requestId !== undefined ? { requestId: output.$metadata.requestId } : {}),
                message: `bedrock model ${model}: the response has no output message (an empty or foreign 200 body); the endpoint or a proxy in front of it is misbehaving`
              })
            )
          const content = output.output.message?.content ?? []
          const toolCalls = toolCallsFromContent(content)
          return Effect.succeed({
            content: content.map((block) => block.text ?? "").join(""),
            provider,
            model,
            finishReason: finishReasonFromStop(output.stopReason),
            usage: usageFromBedrock(output.usage),
            ...(toolCalls !== undefined ? { toolCalls } : {}),
            ...reasoningFields(reasoningPartsFromContent(content)),
            ...(output.$metadata.requestId !== undefined ? { requestId: output.$metadata.requestId } : {})
          })
        })
      )
    }

    // Suspended so each run of the returned Stream has its own request id state.
    const stream: LLMProviderShape["stream"] = (request, model, deadline) =>
      Stream.suspend(() => streamOnce(request, model, deadline))

    const streamOnce = (request: ChatRequest, model: string, deadline: CallDeadline | undefined) => {
      const ctx = context(model, deadline)
      const input = toConverseInput(request, model, ctx)
      if (input instanceof InvalidRequestError) return Stream.fail(input)
      let requestId: string | undefined
      return streamSdk<ConverseStreamOutput>(
        ctx,
        async ({ signal }) => {
          const response = await runtime.send(new runtimeSdk.ConverseStreamCommand(input), {
            abortSignal: signal
          })
          requestId = response.$metadata.requestId
          if (!response.stream) throw streamEndedError(ctx, "it started", requestId)
          return response.stream
        },
        (error) => bedrockError(ctx, error, { ...errorContext, streamRequestId: requestId }),
        () => {
          let stopReason: string | undefined
          let usage: Usage | undefined
          // Tool calls are keyed by their content block index: start, input pieces, stop.
          const toolCalls = new ToolCallAssembler()
          // Created at the first reasoning delta: nothing is allocated for a stream without reasoning.
          let thinking: ThinkingAssembler | undefined
          return {
            onChunk: (event): ReadonlyArray<ProviderStreamEvent> => {
              const delta = event.contentBlockDelta
              if (delta !== undefined) {
                if (delta.delta?.text) return [{ _tag: "TextDelta", text: delta.delta.text }]
                const reasoning = delta.delta?.reasoningContent
                if (reasoning !== undefined) {
                  // Bedrock sends no start for a reasoning block: its first delta opens it.
                  const index = delta.contentBlockIndex ?? 0
                  thinking ??= new ThinkingAssembler(source)
                  if (!thinking.isOpen(index))
                    thinking.start(
                      index,
                      "",
                      reasoning.redactedContent !== undefined
                        ? Buffer.from(reasoning.redactedContent).toString("base64")
                        : undefined
                    )
                  if (reasoning.signature !== undefined) thinking.sign(index, reasoning.signature)
                  return reasoning.text !== undefined ? thinking.text(index, reasoning.text) : []
                }
                const input = delta.delta?.toolUse?.input
                return input !== undefined ? toolCalls.delta(delta.contentBlockIndex ?? 0, input) : []
              }
              const toolUse = event.contentBlockStart?.start?.toolUse
              if (toolUse !== undefined)
                return toolCalls.start(
                  event.contentBlockStart?.contentBlockIndex ?? 0,
                  toolUse.toolUseId ?? "",
                  toolUse.name ?? ""
                )
              if (event.contentBlockStop) {
                const index = event.contentBlockStop.contentBlockIndex ?? 0
                if (thinking?.end(index)) return []
                return toolCalls.end(index)
              }
              if (event.messageStop) stopReason = event.messageStop.stopReason ?? "end_turn"
              if (event.metadata?.usage) {
                usage = usageFromBedrock(event.metadata.usage)
                return [{ _tag: "UsageSnapshot", usage }]
              }
              return []
            },
            // Bedrock always ends a complete stream with messageStop then metadata (the usage).
            onEnd: () =>
              stopReason === undefined
                ? streamCut("messageStop", requestId)
                : usage === undefined
                  ? streamCut("its usage metadata", requestId)
                  : {
                      _tag: "ProviderFinish",
                      finishReason: finishReasonFromStop(stopReason),
                      usage,
                      model,
                      ...(requestId !== undefined ? { requestId } : {}),
                      ...(thinking !== undefined ? { reasoningParts: thinking.parts } : {})
                    }
          }
        }
      )
    }

    const listing = context("(model listing)")
    const listError = (error: unknown) => bedrockError(listing, error, errorContext)
    // ListFoundationModels is one page; ListInferenceProfiles follows nextToken. Both are capped.
    const listFoundation = listPages<FoundationModelSummary, never>(
      listing,
      async (_cursor, signal) => {
        const output = await control.send(new controlSdk.ListFoundationModelsCommand({}), { abortSignal: signal })
        return { items: output.modelSummaries ?? [], next: undefined }
      },
      listError
    )
    const listProfiles = listPages<InferenceProfileSummary, string>(
      listing,
      async (token, signal) => {
        const page: ListInferenceProfilesCommandOutput = await control.send(
          new controlSdk.ListInferenceProfilesCommand({
            maxResults: 1000,
            ...(token !== undefined ? { nextToken: token } : {})
          }),
          { abortSignal: signal }
        )
        return { items: page.inferenceProfileSummaries ?? [], next: page.nextToken || undefined }
      },
      listError
    )
    const listModels = Effect.map(
      Effect.all([listFoundation, listProfiles], { concurrency: 2 }),
      ([foundation, profiles]) => modelsFromListings(foundation, profiles)
    )

    return LLMProvider.of({ id: provider, generate, stream, listModels, honorsDeadline: true })
  })

/** Builds the Bedrock provider from explicit options (the parsed `providers.bedrock` config fits). */
const layer = (options: BedrockOptions): Layer.Layer<LLMProvider, ConfigError> =>
  Layer.effect(LLMProvider, make(options))

/**
 * The same from the environment: AWS_REGION (or AWS_DEFAULT_REGION), AWS_PROFILE, BEDROCK_BASE_URL,
 * BEDROCK_TIMEOUT_MS. Credentials come from the default AWS chain (which reads AWS_ACCESS_KEY_ID etc.).
 * A missing region fails with the core `ConfigError` naming what to set.
 */
const layerConfig = layerFromEnv(
  {
    region: optionalEnv(Config.String("AWS_REGION").pipe(Config.orElse(() => Config.String("AWS_DEFAULT_REGION")))),
    profile: optionalEnv(Config.String("AWS_PROFILE")),
    baseUrl: optionalEnv(Config.String("BEDROCK_BASE_URL")),
    timeoutMs: optionalEnv(Config.Int("BEDROCK_TIMEOUT_MS"))
  },
  (options) => layer({ ...options, region: options.region ?? "" })
)

export const BedrockProvider = { layer, layerConfig }
