/** The `bedrock` provider type: config keys, layer, prices and `check` line (docs/ARCHITECTURE.md). */
import { ConfigRead, commonProviderKeys, type ProviderSettings, type ProviderType } from "@llm-orchestrator/core"
import { type BedrockOptions, BedrockProvider } from "./bedrock.ts"

/** The adapter's options as the config gives them (`ca` has no YAML key: code only). */
export interface BedrockSettings extends BedrockOptions, ProviderSettings {}

/**
 * An inference-profile or foundation-model ARN ends in the id: `arn:aws:bedrock:...:inference-profile/us.x`.
 * genai-prices resolves `us.` / `eu.` / `apac.` / `global.` profiles itself; stripping the geography is
 * only a fallback for prefixes it does not know (which then price as the in-region model).
 */
const modelCandidates = (model: string): ReadonlyArray<string> => {
  const trimmed = model.trim()
  const id = trimmed.startsWith("arn:") ? trimmed.slice(trimmed.lastIndexOf("/") + 1) : trimmed
  const unprefixed = id.replace(/^(?:us|eu|apac|global|us-gov|jp|au|ca)\./, "")
  return unprefixed === id ? [id] : [id, unprefixed]
}

export const bedrockType: ProviderType<BedrockSettings> = {
  name: "bedrock",
  keys: ["region", "profile", "access_key_id", "secret_access_key", "session_token", ...commonProviderKeys],
  exampleModel: "anthropic.claude-3-5-haiku-20241022-v1:0",
  price: { catalogueProvider: "aws", modelCandidates },
  readSettings: ({ reader, path, raw }) => {
    const { childPath } = ConfigRead
    const regionPath = childPath(path, "region")
    const writtenRegion = ConfigRead.readOptionalString(reader, regionPath, raw.region)
    const region =
      writtenRegion ??
      (reader.hasProblemAt(regionPath)
        ? undefined
        : reader.env.AWS_REGION ||
          reader.env.AWS_DEFAULT_REGION ||
          reader.report(regionPath, `is required; set ${regionPath} or AWS_REGION`))
    const profile = ConfigRead.readOptionalString(reader, childPath(path, "profile"), raw.profile)
    const secret = (key: string) => ConfigRead.readOptionalSecret(reader, childPath(path, key), raw[key])
    const accessKeyId = secret("access_key_id")
    const secretAccessKey = secret("secret_access_key")
    const sessionToken = secret("session_token")
    // Static keys are all-or-nothing: half a key pair would silently fall back to another credential.
    const keyProblem = (missing: string, present: string) =>
      reader.report(
        childPath(path, missing),
        `is required when ${present} is set (static AWS keys go together); or remove ${present} to use the default AWS credential chain`
      )
    const keyPaths = ["access_key_id", "secret_access_key", "session_token"].map((key) => childPath(path, key))
    if (!keyPaths.some((keyPath) => reader.hasProblemAt(keyPath))) {
      if (accessKeyId !== undefined && secretAccessKey === undefined) keyProblem("secret_access_key", "access_key_id")
      else if (secretAccessKey !== undefined && accessKeyId === undefined)
        keyProblem("access_key_id", "secret_access_key")
      else if (sessionToken !== undefined && accessKeyId === undefined) {
        reader.report(
          childPath(path, "session_token"),
          "needs access_key_id and secret_access_key (a session token belongs to a static key pair)"
        )
      }
    }
    if (profile !== undefined && (accessKeyId !== undefined || secretAccessKey !== undefined)) {
      reader.report(
        childPath(path, "profile"),
        "set either profile or the static keys (access_key_id, secret_access_key), not both"
      )
    }
    if (region === undefined) return undefined
    return {
      region,
      ...(profile !== undefined ? { profile } : {}),
      ...(accessKeyId !== undefined ? { accessKeyId } : {}),
      ...(secretAccessKey !== undefined ? { secretAccessKey } : {}),
      ...(sessionToken !== undefined ? { sessionToken } : {})
    }
  },
  layer: (settings) => BedrockProvider.layer(settings),
  describe: (settings) => [
    `region ${settings.region}`,
    settings.accessKeyId ? "static keys" : settings.profile ? `profile ${settings.profile}` : "default AWS credentials"
  ]
}
