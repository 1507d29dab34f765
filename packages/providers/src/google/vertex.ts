/**
 * Google Vertex AI through `@google/genai` (`vertexai: true`), loaded when the layer is built.
 * Credentials: an API key (express mode), or Application Default Credentials through
 * google-auth-library: `credentials_file` (service account or Workload Identity Federation JSON),
 * GOOGLE_APPLICATION_CREDENTIALS, gcloud's ADC file, or the metadata server.
 */
import type { Model } from "@google/genai"
import { ConfigError, LLMProvider, type ModelInfo } from "@llm-orchestrator/core"
import { Config, Effect, Layer, Redacted } from "effect"
import type { GoogleAuthOptions } from "google-auth-library"
import { layerFromEnv, loadSdk, optionalEnv, redactor, sdkFetch, unsafeHeaderValues } from "../kit/index.ts"
import { makeGoogleProvider } from "./google.ts"
import { checkVertexModelId } from "./model-ids.ts"

export interface VertexOptions {
  /** The Google Cloud project; required unless `apiKey` (express mode) or `baseUrl` is set. */
  readonly project?: string
  /** e.g. us-central1; default "global". */
  readonly location?: string
  /** A service-account or Workload Identity Federation JSON file (otherwise ADC finds credentials). */
  readonly credentialsFile?: string
  /** Express mode: an API key instead of OAuth credentials. */
  readonly apiKey?: Redacted.Redacted<string>
  /** A proxy or a simulator instead of https://{location}-aiplatform.googleapis.com. */
  readonly baseUrl?: string
  /** Per-attempt timeout in milliseconds (default 10 min; 0: none). */
  readonly timeoutMs?: number
  /** Streams: the longest wait for more text once text has begun (default 60 s; 0: none). */
  readonly idleTimeoutMs?: number
  /**
   * google-auth-library options (its `GoogleAuthOptions`) merged over `credentialsFile`, e.g. an
   * `authClient` already holding a token (tests, or applications that manage credentials themselves).
   * Typed loosely so that an app without Vertex (and without that optional package) type-checks.
   */
  readonly googleAuthOptions?: Readonly<Record<string, unknown>>
}

/**
 * Publisher models carry no capability list through the SDK (it keeps only name, version and a few
 * labels), so non-chat families are recognised by name.
 */
const nonChatModel = /embedding|imagen|veo-|chirp|lyria|-tts\b|^text-(bison|unicorn)|^code(chat|gecko)/

const vertexModelInfo = (model: Model): ModelInfo | undefined => {
  const id = model.name?.split("/").at(-1)
  if (!id || nonChatModel.test(id)) return undefined
  return { id, provider: "vertex", ...(model.displayName ? { displayName: model.displayName } : {}) }
}

const problem = (path: string, message: string) =>
  Effect.fail(ConfigError.fromProblems([{ path: `providers.vertex.${path}`, message }]))

const layer = (options: VertexOptions): Layer.Layer<LLMProvider, ConfigError> =>
  Layer.effect(
    LLMProvider,
    Effect.gen(function* () {
      const apiKey = options.apiKey === undefined ? undefined : Redacted.value(options.apiKey)
      if (apiKey !== undefined && apiKey.trim() === "") return yield* problem("api_key", "the Vertex API key is empty")
      const unsafe = unsafeHeaderValues([["providers.vertex.api_key", apiKey]])
      if (unsafe !== undefined) return yield* Effect.fail(unsafe)
      if (apiKey !== undefined && options.credentialsFile !== undefined)
        return yield* problem(
          "credentials_file",
          "set either api_key (express mode) or credentials_file (Application Default Credentials), not both"
        )
      if (options.project === undefined && apiKey === undefined && options.baseUrl === undefined)
        return yield* problem(
          "project",
          "Vertex AI needs a project: set providers.vertex.project (or GOOGLE_CLOUD_PROJECT), or api_key for express mode"
        )
      const { GoogleGenAI } = yield* loadSdk("providers.vertex", "@google/genai", () => import("@google/genai"))
      const location = options.location ?? "global"
      const googleAuthOptions: GoogleAuthOptions = {
        // A known project spares ADC its own project lookup (a Cloud Resource Manager call for
        // Workload Identity credentials).
        ...(options.project !== undefined ? { projectId: options.project } : {}),
        ...(options.credentialsFile !== undefined ? { keyFilename: options.credentialsFile } : {}),
        ...(options.googleAuthOptions as GoogleAuthOptions | undefined)
      }
      const client = yield* Effect.try({
        try: () =>
          new GoogleGenAI({
            vertexai: true,
            // Express mode uses the project-less paths; a project with an API key stays project-scoped.
            ...(options.project !== undefined ? { project: options.project, location } : {}),
            ...(apiKey !== undefined ? { apiKey } : { googleAuthOptions }),
            httpOptions: { fetch: sdkFetch, ...(options.baseUrl !== undefined ? { baseUrl: options.baseUrl } : {}) }
          }),
        catch: (error) =>
          ConfigError.fromProblems([
            {
              path: "providers.vertex",
              message: `cannot set up Vertex AI: ${error instanceof Error ? error.message : String(error)}`
            }
          ])
      })
      return LLMProvider.of(
        makeGoogleProvider({
          provider: "vertex",
          client,
          timeoutMs: options.timeoutMs,
          idleTimeoutMs: options.idleTimeoutMs,
          redact: redactor([apiKey]),
          modelInfo: vertexModelInfo,
          checkModelId: checkVertexModelId
        })
      )
    })
  )

/**
 * GOOGLE_CLOUD_PROJECT, GOOGLE_CLOUD_LOCATION (default global), VERTEX_API_KEY (express mode),
 * VERTEX_CREDENTIALS_FILE (else ADC reads GOOGLE_APPLICATION_CREDENTIALS itself), VERTEX_BASE_URL,
 * VERTEX_TIMEOUT_MS.
 */
const layerConfig = layerFromEnv(
  {
    project: optionalEnv(Config.String("GOOGLE_CLOUD_PROJECT")),
    location: Config.String("GOOGLE_CLOUD_LOCATION").pipe(Config.withDefault("global")),
    apiKey: optionalEnv(Config.Redacted("VERTEX_API_KEY")),
    credentialsFile: optionalEnv(Config.String("VERTEX_CREDENTIALS_FILE")),
    baseUrl: optionalEnv(Config.String("VERTEX_BASE_URL")),
    timeoutMs: optionalEnv(Config.Int("VERTEX_TIMEOUT_MS"))
  },
  layer
)

export const VertexProvider = { layer, layerConfig }
