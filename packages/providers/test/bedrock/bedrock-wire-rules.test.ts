/**
 * The Bedrock adapter's rules, row by row (found by mutation testing: each row fails when its branch
 * is changed):
 * - an AWS error is classified by its name (x-amzn-errortype) and, for a ValidationException or an
 *   unnamed 400, by its wording; through the real SDK against the simulator, each message checked;
 * - the layer's settings checks, each a ConfigError at its key;
 * - which listed models and inference profiles become `ModelInfo`s;
 * - the price lookup's candidates for profile ids and ARNs.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, LLMProvider } from "@llm-orchestrator/core"
import { bedrockErrorType, bedrockSimulator } from "@llm-orchestrator/testing"
import { Effect, Redacted } from "effect"
import { type BedrockOptions, BedrockProvider } from "../../src/bedrock/bedrock.ts"
import { modelsFromListings } from "../../src/bedrock/mapping.ts"
import { bedrockType } from "../../src/bedrock/type.ts"
import { errorFields } from "../error-fields.ts"

const model = "anthropic.claude-3-5-haiku-20241022-v1:0"
const where = `bedrock model ${model}`
const hello: ChatRequest = { messages: [{ role: "user", content: "Hello" }] }
const staticKeys = {
  accessKeyId: Redacted.make("AKIDWIRERULES"),
  secretAccessKey: Redacted.make("wire-rules-secret-access-key")
}

describe("an AWS error: its name, or for a validation error its wording, decides", () => {
  /** An AWS JSON error; `name` undefined sends no x-amzn-errortype (as some real 400s do). */
  const awsError = (status: number, name: string | undefined, message: string) =>
    ({
      kind: "cassette",
      status,
      headers: {
        "content-type": "application/json",
        "x-amzn-requestid": "req-bedrock-1",
        ...(name === undefined ? {} : { "x-amzn-errortype": bedrockErrorType(name) })
      },
      body: JSON.stringify({ message })
    }) as const
  const rows: ReadonlyArray<readonly [string, ReturnType<typeof awsError>, string, string]> = [
    [
      "ModelTimeoutException",
      awsError(408, "ModelTimeoutException", "Model has timed out in processing the request."),
      "TimeoutError",
      `${where} timed out while processing the request: Model has timed out in processing the request.`
    ],
    [
      "a bare id that needs an inference profile",
      awsError(
        400,
        "ValidationException",
        "Invocation of model ID anthropic.claude with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model."
      ),
      "ModelNotFoundError",
      `${where} cannot be called directly: Invocation of model ID anthropic.claude with on-demand throughput isn't supported. Retry your request with the ID or ARN of an inference profile that contains this model.. Use its inference profile id (e.g. us.${model})`
    ],
    [
      "a context overflow",
      awsError(400, "ValidationException", "Input is too long for requested model."),
      "ContextLengthExceededError",
      `${where}: the prompt is longer than the model's context window: Input is too long for requested model.. Shorten the messages or use a model with a larger context`
    ],
    [
      "an unnamed 400 read like a ValidationException",
      awsError(400, undefined, "The provided model identifier is invalid."),
      "ModelNotFoundError",
      `${where} not found: The provided model identifier is invalid.. Check the model id (\`llm-orchestrator models bedrock\` lists them)`
    ],
    [
      "any other ValidationException",
      awsError(400, "ValidationException", "temperature must be between 0 and 1"),
      "InvalidRequestError",
      `${where} rejected the request (ValidationException): temperature must be between 0 and 1`
    ],
    [
      "ResourceNotFoundException",
      awsError(404, "ResourceNotFoundException", "Model not found."),
      "ModelNotFoundError",
      `${where} not found: Model not found.. Check the model id (\`llm-orchestrator models bedrock\` lists them)`
    ]
  ]

  it.each(rows)("%s", (_, reply, tag, message) =>
    Effect.runPromise(
      Effect.scoped(
        Effect.gen(function* () {
          const sim = yield* bedrockSimulator()
          sim.script(reply)
          const provider = yield* Effect.provide(
            Effect.service(LLMProvider),
            BedrockProvider.layer({ region: "us-east-1", baseUrl: sim.url, ...staticKeys })
          )
          const error = yield* Effect.flip(provider.generate(hello, model))
          expect(errorFields(error)).toEqual({ tag, message, status: reply.status, requestId: "req-bedrock-1" })
        })
      )
    )
  )
})

describe("the layer's settings checks", () => {
  const problemsOf = (options: Partial<BedrockOptions>) =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        Effect.scoped(
          Effect.provide(
            Effect.service(LLMProvider),
            BedrockProvider.layer({ region: "us-east-1", ...options } as BedrockOptions)
          )
        )
      )
      return error._tag === "ConfigError" ? error.problems : error
    })

  it.effect("a blank region, half a key pair, a session token alone, a base_url scheme, a CA over http", () =>
    Effect.gen(function* () {
      expect(yield* problemsOf({ region: "  " })).toEqual([
        {
          path: "providers.bedrock.region",
          message: "Bedrock needs a region: set providers.bedrock.region or AWS_REGION"
        }
      ])
      const allOrNothing =
        "static AWS keys are all-or-nothing: set both access_key_id and secret_access_key (and session_token for temporary keys), or neither to use the AWS credential chain"
      expect(yield* problemsOf({ accessKeyId: staticKeys.accessKeyId })).toEqual([
        { path: "providers.bedrock.secret_access_key", message: allOrNothing }
      ])
      expect(yield* problemsOf({ secretAccessKey: staticKeys.secretAccessKey })).toEqual([
        { path: "providers.bedrock.access_key_id", message: allOrNothing }
      ])
      expect(yield* problemsOf({ sessionToken: Redacted.make("token") })).toEqual([
        { path: "providers.bedrock.access_key_id", message: allOrNothing }
      ])
      expect(yield* problemsOf({ baseUrl: "ftp://127.0.0.1:1" })).toEqual([
        { path: "providers.bedrock.base_url", message: "base_url must start with http:// or https://" }
      ])
      expect(yield* problemsOf({ baseUrl: "localhost:8080" })).toEqual([
        { path: "providers.bedrock.base_url", message: "base_url must start with http:// or https://" }
      ])
      expect(yield* problemsOf({ baseUrl: "http://127.0.0.1:1", ca: "-----BEGIN CERTIFICATE-----" })).toEqual([
        {
          path: "providers.bedrock.ca",
          message: "a certificate authority applies to https only, but base_url is http://"
        }
      ])
    })
  )

  it.effect("a secret key with a line break is refused at its key, without repeating it", () =>
    Effect.gen(function* () {
      const problems = yield* problemsOf({ ...staticKeys, secretAccessKey: Redacted.make("abc\ndef-secret") })
      expect(Array.isArray(problems) && problems.map((p) => p.path)).toEqual(["providers.bedrock.secret_access_key"])
      expect(JSON.stringify(problems)).not.toContain("def-secret")
    })
  )
})

describe("which listed models become ModelInfos", () => {
  const arn = (id: string) => `arn:aws:bedrock:us-east-1::foundation-model/${id}`
  const foundation = [
    {
      modelId: "anthropic.claude-3-haiku-20240307-v1:0",
      modelName: "Claude 3 Haiku",
      outputModalities: ["TEXT"],
      inferenceTypesSupported: ["ON_DEMAND"],
      modelLifecycle: { status: "LEGACY" }
    },
    {
      modelId: "anthropic.claude-sonnet-4-5-20250929-v1:0",
      modelName: "Claude Sonnet 4.5",
      outputModalities: ["TEXT"],
      inferenceTypesSupported: ["INFERENCE_PROFILE"],
      modelLifecycle: { status: "ACTIVE" }
    },
    {
      modelId: "amazon.titan-image-generator-v2:0",
      outputModalities: ["IMAGE"],
      inferenceTypesSupported: ["ON_DEMAND"]
    },
    { modelId: "meta.llama-provisioned", outputModalities: ["TEXT"], inferenceTypesSupported: ["PROVISIONED"] }
  ] as const
  const profile = (id: string, modelId: string, status?: string, name?: string) => ({
    inferenceProfileId: id,
    ...(name === undefined ? {} : { inferenceProfileName: name }),
    ...(status === undefined ? {} : { status }),
    models: [{ modelArn: arn(modelId) }]
  })

  it("on-demand text models under their id (LEGACY ones deprecated); profiles of text models under theirs", () => {
    const listed = modelsFromListings(
      foundation as never,
      [
        profile("us.anthropic.claude-sonnet-4-5-20250929-v1:0", "anthropic.claude-sonnet-4-5-20250929-v1:0", "ACTIVE"),
        profile(
          "eu.anthropic.claude-3-haiku-20240307-v1:0",
          "anthropic.claude-3-haiku-20240307-v1:0",
          undefined,
          "EU Haiku"
        ),
        profile("us.old.profile", "anthropic.claude-sonnet-4-5-20250929-v1:0", "LEGACY"),
        profile("us.image.profile", "amazon.titan-image-generator-v2:0", "ACTIVE"),
        profile("us.llama.profile", "meta.llama-provisioned", "ACTIVE"),
        profile("anthropic.claude-3-haiku-20240307-v1:0", "anthropic.claude-3-haiku-20240307-v1:0", "ACTIVE", "dup")
      ] as never
    )
    expect(listed).toEqual([
      {
        id: "anthropic.claude-3-haiku-20240307-v1:0",
        provider: "bedrock",
        displayName: "Claude 3 Haiku",
        deprecated: true
      },
      {
        id: "us.anthropic.claude-sonnet-4-5-20250929-v1:0",
        provider: "bedrock",
        displayName: "Claude Sonnet 4.5"
      },
      {
        id: "eu.anthropic.claude-3-haiku-20240307-v1:0",
        provider: "bedrock",
        displayName: "EU Haiku",
        deprecated: true
      }
    ])
  })
})

describe("the price lookup's candidates for an id", () => {
  const candidates = (id: string) => bedrockType.price.modelCandidates?.(id)

  it("a cross-region profile id is also looked up without its region prefix; a bare id as is", () => {
    expect(candidates(" us.anthropic.claude-3-5-haiku-20241022-v1:0 ")).toEqual([
      "us.anthropic.claude-3-5-haiku-20241022-v1:0",
      "anthropic.claude-3-5-haiku-20241022-v1:0"
    ])
    expect(candidates("apac.amazon.nova-lite-v1:0")).toEqual(["apac.amazon.nova-lite-v1:0", "amazon.nova-lite-v1:0"])
    expect(candidates("anthropic.claude-3-5-haiku-20241022-v1:0")).toEqual(["anthropic.claude-3-5-haiku-20241022-v1:0"])
    // "usx." is not a region prefix.
    expect(candidates("usx.model-v1:0")).toEqual(["usx.model-v1:0"])
  })

  it("an ARN is looked up by its last path segment", () => {
    expect(
      candidates("arn:aws:bedrock:us-east-1:123456789012:inference-profile/us.anthropic.claude-3-5-haiku-20241022-v1:0")
    ).toEqual(["us.anthropic.claude-3-5-haiku-20241022-v1:0", "anthropic.claude-3-5-haiku-20241022-v1:0"])
    expect(candidates("arn:aws:bedrock:us-east-1::foundation-model/amazon.nova-pro-v1:0")).toEqual([
      "amazon.nova-pro-v1:0"
    ])
  })
})
