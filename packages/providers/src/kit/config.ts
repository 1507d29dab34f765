/**
 * Config reading shared by the provider types: the `api_key` every key-based provider has, and the
 * pieces of a `check` summary.
 */
import { ConfigRead, type ProviderSettingsInput } from "@llm-orchestrator/core"
import type { Redacted } from "effect"

/** A required `api_key`; the fix names the environment variable people keep it in. */
export const readApiKey = (
  { reader, path, raw }: ProviderSettingsInput,
  variable: string
): Redacted.Redacted<string> | undefined =>
  ConfigRead.readRequiredSecret(reader, ConfigRead.childPath(path, "api_key"), raw.api_key, `set it to \${${variable}}`)
