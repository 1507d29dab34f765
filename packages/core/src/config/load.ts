/**
 * Loading the YAML config (docs/ARCHITECTURE.md, "Config") into a validated `OrchestratorConfig`.
 *
 * The `yaml` package parses (its own error positions give the line and column). The walker over the
 * parsed value is written by hand rather than with Schema: Schema stops at, or words, problems its own
 * way, while a config user needs every problem at once, each with its key path, a "did you mean?"
 * for unknown keys, the variable behind a missing `${VAR}`, and never the value of a secret.
 */
import { readFile } from "node:fs/promises"
import { Effect, type Redacted } from "effect"
import { type Document, isMap, isScalar, isSeq, LineCounter, parseDocument, type YAMLError } from "yaml"
import { type ModelPrice, type ProviderId, providerIds } from "../domain.ts"
import { ConfigError, type ConfigProblem } from "../errors.ts"
import { optionalField } from "../internal/optional.ts"
import { closest } from "../internal/suggest.ts"
import {
  childPath,
  describe,
  type Env,
  isMapping,
  Reader,
  readBoolean,
  readDuration,
  readEnum,
  readMapping,
  readModelId,
  readModelList,
  readNumber,
  readOptionalHeaderValue,
  readOptionalSecret,
  readOptionalString,
  readRequiredSecret
} from "./read.ts"
import {
  type AnthropicConfig,
  type BedrockConfig,
  type ChainEntry,
  type CircuitBreakerConfig,
  type CostTrackingConfig,
  type DiscoveryConfig,
  defaultCircuitBreaker,
  defaultDiscovery,
  defaultRetry,
  type FallbackConfig,
  type GeminiConfig,
  type OpenAIConfig,
  type OrchestratorConfig,
  type ProvidersConfig,
  type RetryConfig,
  type VertexConfig
} from "./types.ts"

export interface ParseConfigOptions {
  /** Where `${VAR}` values come from; defaults to `process.env`. */
  readonly env?: Env
  /** The file name, for messages about the file as a whole (empty, invalid YAML). */
  readonly source?: string
}

export interface LoadConfigOptions {
  readonly env?: Env
}

const topLevelKeys = [
  "active_provider",
  "active_model",
  "providers",
  "retry",
  "fallback",
  "circuit_breaker",
  "discovery",
  "cost_tracking",
  "request_timeout"
]
const commonProviderKeys = ["api_key", "fallback_models", "base_url", "timeout", "idle_timeout"]
const providerKeys: Readonly<Record<ProviderId, ReadonlyArray<string>>> = {
  openai: [...commonProviderKeys, "organization", "project", "api"],
  anthropic: commonProviderKeys,
  gemini: commonProviderKeys,
  bedrock: [
    "region",
    "profile",
    "access_key_id",
    "secret_access_key",
    "session_token",
    "fallback_models",
    "base_url",
    "timeout",
    "idle_timeout"
  ],
  vertex: [
    "project",
    "location",
    "credentials_file",
    "api_key",
    "fallback_models",
    "base_url",
    "timeout",
    "idle_timeout"
  ]
}
const apiKeyVariable: Readonly<Record<"openai" | "anthropic" | "gemini", string>> = {
  openai: "OPENAI_API_KEY",
  anthropic: "ANTHROPIC_API_KEY",
  gemini: "GEMINI_API_KEY"
}
const exampleModel: Readonly<Record<ProviderId, string>> = {
  openai: "gpt-4o-mini",
  anthropic: "claude-sonnet-4-5",
  gemini: "gemini-2.5-flash",
  bedrock: "anthropic.claude-3-5-haiku-20241022-v1:0",
  vertex: "gemini-2.5-flash"
}
const providerList = providerIds.join(", ")

// ---------------------------------------------------------------------------------------------------
// YAML text -> plain value

/**
 * The part of a yaml message before "word: <text quoted from the file>" (it could be part of a secret).
 * A colon after a space is yaml naming the character itself ("Missing , or : between flow map items").
 */
const withoutQuote = (message: string): string => message.split(/(?<=\S):\s/)[0]!

/**
 * yaml's messages are kept, but any part that may quote the file (a tag, an escape sequence, a block
 * header) is cut. The line and column say where to look.
 */
const safeYamlMessage = (error: YAMLError): string => {
  if (error.code === "BAD_DQ_ESCAPE") {
    return "invalid escape sequence in a double-quoted string; write \\\\ for a backslash, or use single quotes"
  }
  return withoutQuote(error.message)
}

/**
 * Offsets of the keys written twice in one mapping. yaml's own check (`uniqueKeys`) compares each key
 * with every earlier key of its mapping: quadratic, seconds for a mapping of 20,000 keys. One Set per
 * mapping finds the same keys in linear time. Merge keys (`<<`) may repeat, as yaml allows. A loop
 * over an explicit stack, not recursion: nesting depth cannot overflow the call stack here.
 */
const duplicateKeyOffsets = (document: Document.Parsed): Array<number> => {
  const offsets: Array<number> = []
  const pending: Array<unknown> = [document.contents]
  while (pending.length > 0) {
    const node = pending.pop()
    if (isMap(node)) {
      const seen = new Set<unknown>()
      for (const pair of node.items) {
        const key = pair.key
        if (isScalar(key) && key.value !== "<<") {
          // Stryker disable next-line OptionalChaining: equivalent, every key yaml parses from text has a range
          if (seen.has(key.value)) offsets.push(key.range?.[0] ?? 0)
          else seen.add(key.value)
        }
        pending.push(key, pair.value)
      }
    } else if (isSeq(node)) for (const item of node.items) pending.push(item)
  }
  return offsets
}

/** The root mapping of a config text, or undefined when the text is not one (the problems are reported). */
const parseYaml = (reader: Reader, text: string, source: string | undefined): Record<string, unknown> | undefined => {
  const where = source === undefined ? "the config" : `config file ${source}`
  if (text.trim() === "") {
    reader.report("", `${where} is empty; it needs at least active_provider, active_model and providers`)
    return undefined
  }
  const lineCounter = new LineCounter()
  // prettyErrors would append the offending source line to each message (it may hold a secret).
  // uniqueKeys: false turns off yaml's quadratic duplicate check; duplicateKeyOffsets does it instead.
  const document = parseDocument(text, { lineCounter, prettyErrors: false, merge: true, uniqueKeys: false })
  const problems = document.errors.map((error) => ({ offset: error.pos[0], message: safeYamlMessage(error) }))
  for (const offset of duplicateKeyOffsets(document)) problems.push({ offset, message: "Map keys must be unique" })
  if (problems.length > 0) {
    for (const { offset, message } of problems.sort((a, b) => a.offset - b.offset)) {
      const { line, col } = lineCounter.linePos(offset)
      const inFile = source === undefined ? "" : ` in ${source}`
      reader.report("", `invalid YAML${inFile} at line ${line}, column ${col}: ${message}`)
    }
    return undefined
  }
  if (document.contents === null) {
    reader.report(
      "",
      `${where} is empty (only comments); it needs at least active_provider, active_model and providers`
    )
    return undefined
  }
  let root: unknown
  try {
    root = document.toJS({ maxAliasCount: 100 })
  } catch (error) {
    // An alias to a missing anchor, or too many aliases (a "billion laughs" file), throws here.
    // Stryker disable next-line StringLiteral: equivalent, toJS throws only Error instances
    const message = error instanceof Error ? withoutQuote(error.message) : "cannot be read"
    reader.report("", `invalid YAML${source === undefined ? "" : ` in ${source}`}: ${message}`)
    return undefined
  }
  if (!isMapping(root)) {
    reader.report(
      "",
      `${where} must be a mapping of keys (active_provider, active_model, providers, ...), got ${describe(root)}`
    )
    return undefined
  }
  return root
}

// ---------------------------------------------------------------------------------------------------
// plain value -> OrchestratorConfig

interface ProviderNames {
  /** Providers written under `providers` (whether or not their settings are valid). */
  readonly configured: ReadonlyArray<ProviderId>
  /** Provider names that an unknown `providers.<name>` was suggested as: not reported twice. */
  readonly suggested: ReadonlyArray<string>
  /** False when `providers` itself is missing, empty or not a mapping (already reported once). */
  readonly usable: boolean
}

const readCommon = (reader: Reader, path: string, raw: Record<string, unknown>, provider: ProviderId) => {
  const fallbackModels = readModelList(
    reader,
    childPath(path, "fallback_models"),
    raw.fallback_models,
    exampleModel[provider],
    provider
  )
  const baseUrl = readOptionalString(reader, childPath(path, "base_url"), raw.base_url)
  if (baseUrl !== undefined && !isHttpUrl(baseUrl)) {
    reader.report(childPath(path, "base_url"), 'expected an http(s) URL such as "http://127.0.0.1:8080/v1"')
  }
  const timeoutMs = readDuration(reader, childPath(path, "timeout"), raw.timeout, true)
  const idleTimeoutMs = readDuration(reader, childPath(path, "idle_timeout"), raw.idle_timeout, true)
  return {
    fallbackModels: fallbackModels ?? [],
    ...(baseUrl !== undefined && isHttpUrl(baseUrl) ? { baseUrl } : {}),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(idleTimeoutMs !== undefined ? { idleTimeoutMs } : {})
  }
}

const isHttpUrl = (text: string): boolean => {
  try {
    const url = new URL(text)
    return url.protocol === "http:" || url.protocol === "https:"
    // Stryker disable next-line BlockStatement: equivalent, undefined is as falsy as false for both callers
  } catch {
    return false
  }
}

const readApiKey = (
  reader: Reader,
  path: string,
  raw: Record<string, unknown>,
  provider: keyof typeof apiKeyVariable
) => readRequiredSecret(reader, childPath(path, "api_key"), raw.api_key, `set it to \${${apiKeyVariable[provider]}}`)

const readOpenAI = (reader: Reader, path: string, raw: Record<string, unknown>): OpenAIConfig | undefined => {
  const apiKey = readApiKey(reader, path, raw, "openai")
  const common = readCommon(reader, path, raw, "openai")
  const organization = readOptionalHeaderValue(reader, childPath(path, "organization"), raw.organization)
  const project = readOptionalHeaderValue(reader, childPath(path, "project"), raw.project)
  const api = readEnum(reader, childPath(path, "api"), raw.api, ["chat", "responses"] as const, {
    noun: "api"
  })
  if (apiKey === undefined) return undefined
  return {
    apiKey,
    ...common,
    ...(organization !== undefined ? { organization } : {}),
    ...(project !== undefined ? { project } : {}),
    api: api ?? "chat"
  }
}

const readKeyOnly = (
  reader: Reader,
  path: string,
  raw: Record<string, unknown>,
  provider: "anthropic" | "gemini"
): AnthropicConfig | GeminiConfig | undefined => {
  const apiKey = readApiKey(reader, path, raw, provider)
  const common = readCommon(reader, path, raw, provider)
  return apiKey === undefined ? undefined : { apiKey, ...common }
}

const readBedrock = (reader: Reader, path: string, raw: Record<string, unknown>): BedrockConfig | undefined => {
  const regionPath = childPath(path, "region")
  const writtenRegion = readOptionalString(reader, regionPath, raw.region)
  const region =
    writtenRegion ??
    (reader.hasProblemAt(regionPath)
      ? undefined
      : reader.env.AWS_REGION ||
        reader.env.AWS_DEFAULT_REGION ||
        reader.report(regionPath, `is required; set ${regionPath} or AWS_REGION`))
  const profile = readOptionalString(reader, childPath(path, "profile"), raw.profile)
  const accessKeyId = readOptionalSecret(reader, childPath(path, "access_key_id"), raw.access_key_id)
  const secretAccessKey = readOptionalSecret(reader, childPath(path, "secret_access_key"), raw.secret_access_key)
  const sessionToken = readOptionalSecret(reader, childPath(path, "session_token"), raw.session_token)
  const common = readCommon(reader, path, raw, "bedrock")
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
    ...common,
    ...(profile !== undefined ? { profile } : {}),
    ...(accessKeyId !== undefined ? { accessKeyId } : {}),
    ...(secretAccessKey !== undefined ? { secretAccessKey } : {}),
    ...(sessionToken !== undefined ? { sessionToken } : {})
  }
}

const readVertex = (reader: Reader, path: string, raw: Record<string, unknown>): VertexConfig => {
  const project = readOptionalString(reader, childPath(path, "project"), raw.project)
  const location = readOptionalString(reader, childPath(path, "location"), raw.location)
  const credentialsFile = readOptionalString(reader, childPath(path, "credentials_file"), raw.credentials_file)
  const apiKey: Redacted.Redacted<string> | undefined = readOptionalSecret(
    reader,
    childPath(path, "api_key"),
    raw.api_key
  )
  const common = readCommon(reader, path, raw, "vertex")
  return {
    ...common,
    ...(project !== undefined ? { project } : {}),
    location: location ?? "global",
    ...(credentialsFile !== undefined ? { credentialsFile } : {}),
    ...(apiKey !== undefined ? { apiKey } : {})
  }
}

/**
 * For an unknown key, say when it belongs to another provider (`region` under openai). Only called for
 * keys that are not `provider`'s own, so `provider` is never among the owners.
 */
const otherProviderHint = (provider: ProviderId) => (key: string) => {
  const owners = providerIds.filter((id) => providerKeys[id].includes(key))
  return owners.length === 0
    ? undefined
    : `unknown key for ${provider} (${key} is a key of ${owners.join(" and ")}); the keys here are ${providerKeys[provider].join(", ")}`
}

const readProviders = (reader: Reader, raw: unknown): { providers: ProvidersConfig; names: ProviderNames } => {
  const path = "providers"
  const configured: Array<ProviderId> = []
  const suggested: Array<string> = []
  const providers: { -readonly [K in keyof ProvidersConfig]: ProvidersConfig[K] } = {}
  if (raw === undefined || raw === null) {
    reader.report(path, `is required; configure at least one provider (${providerList})`)
    return { providers, names: { configured, suggested, usable: false } }
  }
  if (!isMapping(raw)) {
    reader.report(
      path,
      `expected a mapping of provider names (${providerList}) to their settings, got ${describe(raw)}`
    )
    return { providers, names: { configured, suggested, usable: false } }
  }
  if (Object.keys(raw).length === 0) {
    reader.report(path, `is empty; configure at least one provider (${providerList})`)
    return { providers, names: { configured, suggested, usable: false } }
  }
  for (const name of Object.keys(raw)) {
    const providerPath = childPath(path, name)
    if (!(providerIds as ReadonlyArray<string>).includes(name)) {
      const suggestion = closest(name, providerIds)
      if (suggestion === undefined) reader.report(providerPath, `unknown provider; the providers are ${providerList}`)
      else {
        suggested.push(suggestion)
        reader.report(providerPath, `unknown provider; did you mean ${suggestion}? Providers: ${providerList}`)
      }
      continue
    }
    const id = name as ProviderId
    configured.push(id)
    const settings = readMapping(
      reader,
      providerPath,
      raw[name],
      providerKeys[id],
      `a mapping of ${id} settings (${providerKeys[id].join(", ")})`,
      otherProviderHint(id)
    )
    if (settings === undefined) continue
    switch (id) {
      case "openai": {
        const openai = readOpenAI(reader, providerPath, settings)
        if (openai) providers.openai = openai
        break
      }
      case "anthropic": {
        const anthropic = readKeyOnly(reader, providerPath, settings, "anthropic")
        if (anthropic) providers.anthropic = anthropic
        break
      }
      case "gemini": {
        const gemini = readKeyOnly(reader, providerPath, settings, "gemini")
        if (gemini) providers.gemini = gemini
        break
      }
      case "bedrock": {
        const bedrock = readBedrock(reader, providerPath, settings)
        if (bedrock) providers.bedrock = bedrock
        break
      }
      case "vertex":
        providers.vertex = readVertex(reader, providerPath, settings)
        break
    }
  }
  return { providers, names: { configured, suggested, usable: true } }
}

/** A provider name that must also be configured under `providers` (active_provider, chain entries). */
const readConfiguredProvider = (
  reader: Reader,
  path: string,
  raw: unknown,
  names: ProviderNames,
  missingFix: string
): ProviderId | undefined => {
  const id = readEnum(reader, path, raw, providerIds, { noun: "provider", plural: "providers", missingFix })
  if (id === undefined || names.configured.includes(id)) return id
  // Already reported: `providers` is unusable, or `providers.opnai` said "did you mean openai?".
  if (!names.usable || names.suggested.includes(id)) return undefined
  const configured = names.configured.length > 0 ? ` (configured: ${names.configured.join(", ")})` : ""
  return reader.report(path, `provider "${id}" is not configured; add it under providers${configured}`)
}

const readRetry = (reader: Reader, raw: unknown): RetryConfig => {
  const path = "retry"
  const retry = readMapping(reader, path, raw, ["max_attempts", "initial_delay", "max_delay", "max_retry_after"])
  if (retry === undefined) return defaultRetry
  const maxAttempts = readNumber(reader, childPath(path, "max_attempts"), retry.max_attempts, {
    integer: true,
    min: 1,
    unit: "tries per model, the first included"
  })
  const initialDelayMs = readDuration(reader, childPath(path, "initial_delay"), retry.initial_delay)
  const maxDelayMs = readDuration(reader, childPath(path, "max_delay"), retry.max_delay)
  const maxRetryAfterMs = readDuration(reader, childPath(path, "max_retry_after"), retry.max_retry_after)
  const result: RetryConfig = {
    maxAttempts: maxAttempts ?? defaultRetry.maxAttempts,
    initialDelayMs: initialDelayMs ?? defaultRetry.initialDelayMs,
    maxDelayMs: maxDelayMs ?? defaultRetry.maxDelayMs,
    maxRetryAfterMs: maxRetryAfterMs ?? defaultRetry.maxRetryAfterMs
  }
  // The defaults are in order, so this fires only when a delay was written.
  if (result.maxDelayMs < result.initialDelayMs) {
    reader.report(childPath(path, "max_delay"), "must be at least initial_delay")
  }
  return result
}

const readFallback = (reader: Reader, raw: unknown, names: ProviderNames): FallbackConfig => {
  const path = "fallback"
  const fallback = readMapping(reader, path, raw, ["chain", "on_content_filter"])
  const onContentFilter = readBoolean(reader, childPath(path, "on_content_filter"), fallback?.on_content_filter)
  const chainPath = childPath(path, "chain")
  const rawChain = fallback?.chain
  const chain: Array<ChainEntry> = []
  if (rawChain !== undefined && rawChain !== null && !Array.isArray(rawChain)) {
    reader.report(chainPath, `expected a list of {provider, model} entries, got ${describe(rawChain)}`)
  } else if (Array.isArray(rawChain)) {
    rawChain.forEach((item: unknown, index) => {
      const entryPath = childPath(chainPath, index)
      const entry = readMapping(reader, entryPath, item, ["provider", "model"], "a mapping {provider, model}")
      if (entry === undefined) return
      const provider = readConfiguredProvider(
        reader,
        childPath(entryPath, "provider"),
        entry.provider,
        names,
        `set it to one of ${providerList}`
      )
      const model = readModelId(reader, childPath(entryPath, "model"), entry.model, "set it to a model name", provider)
      // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, a missing provider or model is always a reported problem, and a config with problems is not returned
      if (provider !== undefined && model !== undefined) chain.push({ provider, model })
    })
  }
  return { chain, onContentFilter: onContentFilter ?? false }
}

const readCircuitBreaker = (reader: Reader, raw: unknown): CircuitBreakerConfig => {
  const path = "circuit_breaker"
  const breaker = readMapping(reader, path, raw, ["failure_threshold", "cooldown"])
  const failureThreshold = readNumber(reader, childPath(path, "failure_threshold"), breaker?.failure_threshold, {
    integer: true,
    min: 1
  })
  const cooldownMs = readDuration(reader, childPath(path, "cooldown"), breaker?.cooldown)
  return {
    failureThreshold: failureThreshold ?? defaultCircuitBreaker.failureThreshold,
    cooldownMs: cooldownMs ?? defaultCircuitBreaker.cooldownMs
  }
}

const readDiscovery = (reader: Reader, raw: unknown): DiscoveryConfig => {
  const path = "discovery"
  const discovery = readMapping(reader, path, raw, ["validate", "ttl"])
  const validate = readBoolean(reader, childPath(path, "validate"), discovery?.validate)
  const ttlMs = readDuration(reader, childPath(path, "ttl"), discovery?.ttl)
  return { validate: validate ?? defaultDiscovery.validate, ttlMs: ttlMs ?? defaultDiscovery.ttlMs }
}

const priceKeys = ["input", "output", "cache_read", "cache_write", "cache_write_1h", "web_search_per_thousand"]

const readPrices = (reader: Reader, path: string, raw: unknown): Record<string, ModelPrice> => {
  const prices: Record<string, ModelPrice> = {}
  if (raw === undefined || raw === null) return prices
  if (!isMapping(raw)) {
    reader.report(path, `expected a mapping of model names to {input, output} prices, got ${describe(raw)}`)
    return prices
  }
  const perMillion = { min: 0, unit: "USD per million tokens" }
  for (const [model, value] of Object.entries(raw)) {
    const modelPath = childPath(path, model)
    const price = readMapping(
      reader,
      modelPath,
      value,
      priceKeys,
      "a mapping {input, output, cache_read, cache_write, cache_write_1h, web_search_per_thousand}"
    )
    if (price === undefined) continue
    const required = (key: "input" | "output") => {
      const keyPath = childPath(modelPath, key)
      if (price[key] === undefined || price[key] === null) {
        return reader.report(keyPath, `is required (USD per million ${key} tokens)`)
      }
      return readNumber(reader, keyPath, price[key], perMillion)
    }
    const input = required("input")
    const output = required("output")
    const cacheRead = readNumber(reader, childPath(modelPath, "cache_read"), price.cache_read, perMillion)
    const cacheWrite = readNumber(reader, childPath(modelPath, "cache_write"), price.cache_write, perMillion)
    const cacheWrite1h = readNumber(reader, childPath(modelPath, "cache_write_1h"), price.cache_write_1h, perMillion)
    const webSearchPerThousand = readNumber(
      reader,
      childPath(modelPath, "web_search_per_thousand"),
      price.web_search_per_thousand,
      { min: 0, unit: "USD per 1,000 web searches" }
    )
    // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, a missing input or output price is always a reported problem, and a config with problems is not returned
    if (input === undefined || output === undefined) continue
    prices[model] = {
      input,
      output,
      ...(cacheRead !== undefined ? { cacheRead } : {}),
      ...(cacheWrite !== undefined ? { cacheWrite } : {}),
      ...(cacheWrite1h !== undefined ? { cacheWrite1h } : {}),
      ...(webSearchPerThousand !== undefined ? { webSearchPerThousand } : {})
    }
  }
  return prices
}

const readCostTracking = (reader: Reader, raw: unknown): CostTrackingConfig => {
  const path = "cost_tracking"
  const cost = readMapping(reader, path, raw, [
    "enabled",
    "log_path",
    "budget_usd",
    "allow_unpriced",
    "reserve_output_tokens",
    "prices",
    "max_buffered_records",
    "fsync"
  ])
  const enabled = readBoolean(reader, childPath(path, "enabled"), cost?.enabled)
  const logPath = readOptionalString(reader, childPath(path, "log_path"), cost?.log_path)
  const budgetUsd = readNumber(reader, childPath(path, "budget_usd"), cost?.budget_usd, { above: 0, unit: "USD" })
  const allowUnpriced = readBoolean(reader, childPath(path, "allow_unpriced"), cost?.allow_unpriced)
  const reserveOutputTokens = readNumber(
    reader,
    childPath(path, "reserve_output_tokens"),
    cost?.reserve_output_tokens,
    {
      integer: true,
      min: 1,
      unit: "output tokens"
    }
  )
  const prices = readPrices(reader, childPath(path, "prices"), cost?.prices)
  const maxBufferedRecords = readNumber(reader, childPath(path, "max_buffered_records"), cost?.max_buffered_records, {
    integer: true,
    min: 1,
    unit: "records kept in memory while the log cannot be written"
  })
  const fsync = readEnum(reader, childPath(path, "fsync"), cost?.fsync, ["batch", "none"] as const)
  return {
    enabled: enabled ?? true,
    ...(logPath !== undefined ? { logPath } : {}),
    ...(budgetUsd !== undefined ? { budgetUsd } : {}),
    ...(allowUnpriced !== undefined ? { allowUnpriced } : {}),
    ...(reserveOutputTokens !== undefined ? { reserveOutputTokens } : {}),
    prices,
    ...(maxBufferedRecords !== undefined ? { maxBufferedRecords } : {}),
    ...(fsync !== undefined ? { fsync } : {})
  }
}

const readConfig = (reader: Reader, root: Record<string, unknown>): OrchestratorConfig | undefined => {
  readMapping(reader, "", root, topLevelKeys)
  const { providers, names } = readProviders(reader, root.providers)
  const activeProvider = readConfiguredProvider(
    reader,
    "active_provider",
    root.active_provider,
    names,
    `set it to the provider to use (${names.configured.length > 0 ? names.configured.join(", ") : providerList})`
  )
  const activeModel = readModelId(
    reader,
    "active_model",
    root.active_model,
    `set it to the model to use, e.g. ${exampleModel[activeProvider ?? "openai"]}`,
    activeProvider
  )
  const config = {
    providers,
    retry: readRetry(reader, root.retry),
    fallback: readFallback(reader, root.fallback, names),
    circuitBreaker: readCircuitBreaker(reader, root.circuit_breaker),
    discovery: readDiscovery(reader, root.discovery),
    costTracking: readCostTracking(reader, root.cost_tracking),
    ...optionalField("requestTimeoutMs", readDuration(reader, "request_timeout", root.request_timeout, true))
  }
  if (activeProvider === undefined || activeModel === undefined) return undefined
  return { activeProvider, activeModel, ...config }
}

const analyse = (
  yamlText: string,
  options: ParseConfigOptions
): { readonly problems: ReadonlyArray<ConfigProblem>; readonly config: OrchestratorConfig | undefined } => {
  const reader = new Reader(options.env ?? process.env)
  const root = parseYaml(reader, yamlText, options.source)
  const config = root === undefined ? undefined : readConfig(reader, root)
  return { problems: reader.problems, config: reader.problems.length === 0 ? config : undefined }
}

// ---------------------------------------------------------------------------------------------------
// Public API

/** Every problem of a config text at once (what `llm-orchestrator check` prints); empty when valid. */
export const checkConfig = (yamlText: string, options: ParseConfigOptions = {}): ReadonlyArray<ConfigProblem> =>
  analyse(yamlText, options).problems

/** Parses and validates a config text; fails with one `ConfigError` listing every problem. */
export const parseConfig = (
  yamlText: string,
  options: ParseConfigOptions = {}
): Effect.Effect<OrchestratorConfig, ConfigError> =>
  Effect.suspend(() => {
    const { problems, config } = analyse(yamlText, options)
    if (config !== undefined) return Effect.succeed(config)
    // No config comes only with problems: every undefined the walker returns was reported.
    return Effect.fail(ConfigError.fromProblems(problems))
  })

/** Reads a config file's text; a missing or unreadable file is a `ConfigError` with path "". */
export const readConfigFile = (path: string): Effect.Effect<string, ConfigError> =>
  Effect.tryPromise({
    try: () => readFile(path, "utf8"),
    catch: (cause) => ConfigError.fromProblems([{ path: "", message: fileProblem(path, cause) }])
  })

const fileProblem = (path: string, cause: unknown): string => {
  // Object(): a cause that is not an object (never seen from readFile) reads as having no code.
  const code: unknown = Object(cause).code
  switch (code) {
    case "ENOENT":
      return `config file ${path} not found; pass the path of your config file`
    case "EACCES":
    case "EPERM":
      return `config file ${path} is not readable (permission denied); check its permissions`
    case "EISDIR":
      return `config file ${path} is a directory; pass the path of your config file`
    default: {
      // Stryker disable next-line ConditionalExpression,StringLiteral: the "" branch is unreachable, readFile rejects only with errors that carry a string code
      const detail = typeof code === "string" ? ` (${code})` : ""
      return `config file ${path} could not be read${detail}`
    }
  }
}

/** Reads, parses and validates a config file. */
export const loadConfig = (
  path: string,
  options: LoadConfigOptions = {}
): Effect.Effect<OrchestratorConfig, ConfigError> =>
  readConfigFile(path).pipe(
    Effect.flatMap((text) => parseConfig(text, { source: path, ...(options.env ? { env: options.env } : {}) }))
  )
