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
import type { ModelPrice } from "../domain.ts"
import { ConfigError, type ConfigProblem } from "../errors.ts"
import { optionalField } from "../internal/optional.ts"
import { closest } from "../internal/suggest.ts"
import { modelIdOwner, type ProviderInstance, type ProviderType } from "../provider-type.ts"
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
  readOptionalSecret,
  readOptionalString,
  readRequiredSecret,
  readRequiredString
} from "./read.ts"
import {
  type ChainEntry,
  type CircuitBreakerConfig,
  type CostTrackingConfig,
  type DiscoveryConfig,
  defaultCircuitBreaker,
  defaultDiscovery,
  defaultRetry,
  type FallbackConfig,
  type LedgerConfig,
  type OrchestratorConfig,
  type ProvidersConfig,
  type RetryConfig,
  type SharedBudgetConfig,
  type TelemetryConfig
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
  "request_timeout",
  "telemetry"
]
/** Instance names go into cost records, logs and CLI output: short, plain words. */
const instanceName = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/

/** The provider types a config may use, by name, with the lists messages need. */
interface TypeIndex {
  readonly byName: ReadonlyMap<string, ProviderType>
  readonly names: ReadonlyArray<string>
  readonly list: string
}

const indexTypes = (types: ReadonlyArray<ProviderType>): TypeIndex => {
  const byName = new Map(types.map((type) => [type.name, type]))
  const names = [...byName.keys()]
  return { byName, names, list: names.join(", ") }
}

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
 * mapping finds the same keys in linear time. Merge keys (`<<`) may repeat, as yaml allows: each parses
 * to its own Symbol, so the Set never matches two of them (a quoted "<<" is a plain key). A loop
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
        if (isScalar(key)) {
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
    // Stryker disable next-line ObjectLiteral: 100 is also yaml's default; written out because it is the "billion laughs" guard
    root = document.toJS({ maxAliasCount: 100 })
  } catch (error) {
    // An alias to a missing anchor, or too many aliases (a "billion laughs" file), throws here.
    // Stryker disable next-line StringLiteral: equivalent, toJS throws only Error instances
    const message = error instanceof Error ? withoutQuote(error.message) : "cannot be read"
    reader.report("", `invalid YAML${source === undefined ? "" : ` in ${source}`}: ${message}`)
    return undefined
  }
  return mappingRoot(reader, root, where)
}

/** The config's root: a mapping of its top-level keys, or a problem saying what it is instead. */
const mappingRoot = (reader: Reader, root: unknown, where: string): Record<string, unknown> | undefined => {
  if (isMapping(root)) return root
  reader.report(
    "",
    `${where} must be a mapping of keys (active_provider, active_model, providers, ...), got ${describe(root)}`
  )
  return undefined
}

// ---------------------------------------------------------------------------------------------------
// plain value -> OrchestratorConfig

interface ProviderNames {
  /** Instances written under `providers` (whether or not their settings are valid), with their types. */
  readonly configured: ReadonlyMap<string, ProviderType>
  /** Names that an unknown `providers.<name>` was suggested as: not reported twice. */
  readonly suggested: ReadonlyArray<string>
  /** False when `providers` itself is missing, empty or not a mapping (already reported once). */
  readonly usable: boolean
}

const readCommon = (reader: Reader, path: string, raw: Record<string, unknown>, name: string, type: ProviderType) => {
  const fallbackModels = readModelList(
    reader,
    childPath(path, "fallback_models"),
    raw.fallback_models,
    type.exampleModel,
    modelIdOwner(name, type)
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
  const url = URL.parse(text)
  return url !== null && (url.protocol === "http:" || url.protocol === "https:")
}

/**
 * For an unknown key, say when it belongs to another provider type (`region` under openai). Only called
 * for keys that are not `type`'s own, so `type` is never among the owners.
 */
const otherTypeHint = (types: TypeIndex, name: string, type: ProviderType) => (key: string) => {
  const owners = types.names.filter((other) => types.byName.get(other)!.keys.includes(key))
  return owners.length === 0
    ? undefined
    : `unknown key for ${name} (${key} is a key of ${owners.join(" and ")}); the keys here are ${["type", ...type.keys].join(", ")}`
}

/**
 * The type of instance `name`: its `type:` when written, else the type named like the instance. Unknown
 * types are reported (with a suggestion, remembered in `suggested`).
 */
const readInstanceType = (
  reader: Reader,
  types: TypeIndex,
  path: string,
  name: string,
  raw: unknown,
  suggested: Array<string>
): ProviderType | undefined => {
  const written = isMapping(raw) ? raw.type : undefined
  if (written === undefined || written === null) {
    const type = types.byName.get(name)
    if (type !== undefined) return type
    const suggestion = closest(name, types.names)
    if (suggestion === undefined) {
      return reader.report(
        path,
        `unknown provider; the provider types are ${types.list} (a name of your own needs type: set to one of them)`
      )
    }
    suggested.push(suggestion)
    return reader.report(
      path,
      `unknown provider; did you mean ${suggestion}? Providers: ${types.list} (a name of your own needs type: set to one of them)`
    )
  }
  const typeName = readEnum(reader, childPath(path, "type"), written, types.names, {
    noun: "provider type",
    plural: "provider types"
  })
  // Stryker disable next-line ConditionalExpression: equivalent, no type is named undefined
  return typeName === undefined ? undefined : types.byName.get(typeName)
}

const readProviders = (
  reader: Reader,
  types: TypeIndex,
  raw: unknown
): { providers: ProvidersConfig; names: ProviderNames } => {
  const path = "providers"
  const configured = new Map<string, ProviderType>()
  // Stryker disable next-line ArrayDeclaration: only a provider named "Stryker was here" could tell
  const suggested: Array<string> = []
  const providers: Record<string, ProviderInstance> = {}
  if (raw === undefined || raw === null) {
    reader.report(path, `is required; configure at least one provider (${types.list})`)
    return { providers, names: { configured, suggested, usable: false } }
  }
  if (!isMapping(raw)) {
    reader.report(path, `expected a mapping of provider names (${types.list}) to their settings, got ${describe(raw)}`)
    return { providers, names: { configured, suggested, usable: false } }
  }
  if (Object.keys(raw).length === 0) {
    reader.report(path, `is empty; configure at least one provider (${types.list})`)
    return { providers, names: { configured, suggested, usable: false } }
  }
  for (const name of Object.keys(raw)) {
    const providerPath = childPath(path, name)
    const type = readInstanceType(reader, types, providerPath, name, raw[name], suggested)
    if (type === undefined) continue
    if (!instanceName.test(name)) {
      reader.report(
        providerPath,
        "is not a usable provider name: names are 1 to 64 letters, digits and _ . -, starting with a letter or a digit"
      )
      continue
    }
    configured.set(name, type)
    const keys = ["type", ...type.keys]
    const settings = readMapping(
      reader,
      providerPath,
      raw[name],
      keys,
      `a mapping of ${type.name} settings (${keys.join(", ")})`,
      otherTypeHint(types, name, type)
    )
    if (settings === undefined) continue
    const own = type.readSettings({ reader, path: providerPath, raw: settings })
    const common = readCommon(reader, providerPath, settings, name, type)
    // Stryker disable next-line ConditionalExpression: equivalent, settings that could not be read are a reported problem, and a config with problems is not returned
    if (own !== undefined) providers[name] = { type, settings: { ...common, ...own } }
  }
  return { providers, names: { configured, suggested, usable: true } }
}

/** The name of a configured instance (active_provider, chain entries), with its type. */
const readConfiguredProvider = (
  reader: Reader,
  types: TypeIndex,
  path: string,
  raw: unknown,
  names: ProviderNames,
  missingFix: string
): { readonly name: string; readonly type: ProviderType } | undefined => {
  const written = typeof raw === "string" ? raw.trim() : undefined
  // Already reported: `providers` is unusable, or `providers.opnai` said "did you mean openai?".
  if (written !== undefined && (!names.usable || names.suggested.includes(written))) return undefined
  if (written !== undefined && !names.configured.has(written) && types.byName.has(written)) {
    const configured = names.configured.size > 0 ? ` (configured: ${[...names.configured.keys()].join(", ")})` : ""
    return reader.report(path, `provider "${written}" is not configured; add it under providers${configured}`)
  }
  const known = names.configured.size > 0 ? [...names.configured.keys()] : types.names
  const name = readEnum(reader, path, raw, known, { noun: "provider", plural: "providers", missingFix })
  // Stryker disable next-line ConditionalExpression: equivalent, no provider is named undefined
  const type = name === undefined ? undefined : names.configured.get(name)
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, a known name that is a type but not configured was reported above
  return name === undefined || type === undefined ? undefined : { name, type }
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

const readFallback = (reader: Reader, types: TypeIndex, raw: unknown, names: ProviderNames): FallbackConfig => {
  const path = "fallback"
  const fallback = readMapping(reader, path, raw, ["chain", "on_content_filter", "on_invalid_output"])
  const onContentFilter = readBoolean(reader, childPath(path, "on_content_filter"), fallback?.on_content_filter)
  const onInvalidOutput = readBoolean(reader, childPath(path, "on_invalid_output"), fallback?.on_invalid_output)
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
        types,
        childPath(entryPath, "provider"),
        entry.provider,
        names,
        `set it to one of ${names.configured.size > 0 ? [...names.configured.keys()].join(", ") : types.list}`
      )
      const model = readModelId(
        reader,
        childPath(entryPath, "model"),
        entry.model,
        "set it to a model name",
        provider && modelIdOwner(provider.name, provider.type)
      )
      // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, a missing provider or model is always a reported problem, and a config with problems is not returned
      if (provider !== undefined && model !== undefined) chain.push({ provider: provider.name, model })
    })
  }
  return { chain, onContentFilter: onContentFilter ?? false, ...optionalField("onInvalidOutput", onInvalidOutput) }
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

const readSharedBudget = (reader: Reader, path: string, raw: unknown): SharedBudgetConfig | undefined => {
  const budget = readMapping(
    reader,
    path,
    raw,
    ["name", "usd", "window", "per_tag"],
    "a mapping {name, usd, window, per_tag}"
  )
  if (budget === undefined) return undefined
  const name = readRequiredString(
    reader,
    childPath(path, "name"),
    budget.name,
    "name the budget (it is its key in the database)"
  )
  const usd = readNumber(reader, childPath(path, "usd"), budget.usd, { above: 0, unit: "USD" })
  if (budget.usd === undefined || budget.usd === null)
    reader.report(childPath(path, "usd"), "is required; set the limit in USD")
  const window = readEnum(reader, childPath(path, "window"), budget.window, ["total", "day", "month"] as const)
  const perTag = readOptionalString(reader, childPath(path, "per_tag"), budget.per_tag)
  // Stryker disable next-line ConditionalExpression,LogicalOperator: equivalent, a missing name or usd is always a reported problem, and a config with problems is not returned
  if (name === undefined || usd === undefined) return undefined
  return { name, usd, window: window ?? "total", ...optionalField("perTag", perTag) }
}

const readLedger = (reader: Reader, path: string, raw: unknown): LedgerConfig | undefined => {
  if (raw === undefined || raw === null) return undefined
  const ledger = readMapping(reader, path, raw, ["url", "table", "schema", "budgets"])
  if (ledger === undefined) return undefined
  const url = readRequiredSecret(
    reader,
    childPath(path, "url"),
    ledger.url,
    `set it to the PostgreSQL URL, e.g. "\${DATABASE_URL}"`
  )
  const table = readOptionalString(reader, childPath(path, "table"), ledger.table)
  const schema = readOptionalString(reader, childPath(path, "schema"), ledger.schema)
  const budgetsPath = childPath(path, "budgets")
  const budgets: Array<SharedBudgetConfig> = []
  if (ledger.budgets !== undefined && ledger.budgets !== null && !Array.isArray(ledger.budgets)) {
    reader.report(budgetsPath, `expected a list of {name, usd, window, per_tag}, got ${describe(ledger.budgets)}`)
  } else {
    const seen = new Set<string>()
    for (const [index, entry] of ((ledger.budgets ?? []) as ReadonlyArray<unknown>).entries()) {
      const budget = readSharedBudget(reader, childPath(budgetsPath, index), entry)
      if (budget === undefined) continue
      if (seen.has(budget.name))
        reader.report(
          childPath(childPath(budgetsPath, index), "name"),
          `${JSON.stringify(budget.name)} names another budget too; give each its own name`
        )
      seen.add(budget.name)
      budgets.push(budget)
    }
  }
  // Stryker disable next-line ConditionalExpression: equivalent, a missing url is always a reported problem, and a config with problems is not returned
  if (url === undefined) return undefined
  return { url, ...optionalField("table", table), ...optionalField("schema", schema), budgets }
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
    "fsync",
    "ledger"
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
  const ledger = readLedger(reader, childPath(path, "ledger"), cost?.ledger)
  return {
    enabled: enabled ?? true,
    ...(logPath !== undefined ? { logPath } : {}),
    ...(budgetUsd !== undefined ? { budgetUsd } : {}),
    ...(allowUnpriced !== undefined ? { allowUnpriced } : {}),
    ...(reserveOutputTokens !== undefined ? { reserveOutputTokens } : {}),
    prices,
    ...(maxBufferedRecords !== undefined ? { maxBufferedRecords } : {}),
    ...(fsync !== undefined ? { fsync } : {}),
    ...optionalField("ledger", ledger)
  }
}

/** An HTTP header name (RFC 9110 token). */
const headerName = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/

const readTelemetry = (reader: Reader, raw: unknown): TelemetryConfig | undefined => {
  if (raw === null || raw === undefined) return undefined
  const path = "telemetry"
  const section = readMapping(reader, path, raw, [
    "enabled",
    "service_name",
    "sample_ratio",
    "capture_content",
    "otlp",
    "prometheus"
  ])
  const enabled = readBoolean(reader, childPath(path, "enabled"), section?.enabled)
  const serviceName = readOptionalString(reader, childPath(path, "service_name"), section?.service_name)
  const sampleRatio = readNumber(reader, childPath(path, "sample_ratio"), section?.sample_ratio, {
    min: 0,
    unit: "fraction of requests traced, 0 to 1"
  })
  if (sampleRatio !== undefined && sampleRatio > 1)
    reader.report(childPath(path, "sample_ratio"), "must be at most 1 (1 traces every request)")
  const captureContent = readBoolean(reader, childPath(path, "capture_content"), section?.capture_content)
  const otlpPath = childPath(path, "otlp")
  const rawOtlp = section?.otlp
  let otlp: TelemetryConfig["otlp"]
  if (rawOtlp !== null && rawOtlp !== undefined) {
    const o = readMapping(reader, otlpPath, rawOtlp, ["endpoint", "headers", "export_interval"])
    const endpoint = readOptionalString(reader, childPath(otlpPath, "endpoint"), o?.endpoint)
    if (endpoint === undefined && o !== undefined)
      reader.report(
        childPath(otlpPath, "endpoint"),
        "is required; set it to your collector's OTLP/HTTP base URL, e.g. http://127.0.0.1:4318"
      )
    else if (endpoint !== undefined && !/^https?:\/\/[^\s]+$/.test(endpoint))
      reader.report(
        childPath(otlpPath, "endpoint"),
        "must be an http:// or https:// URL (the collector's OTLP/HTTP base URL)"
      )
    const headersPath = childPath(otlpPath, "headers")
    const headers: Record<string, Redacted.Redacted<string>> = {}
    const rawHeaders = o?.headers
    if (rawHeaders !== null && rawHeaders !== undefined) {
      if (!isMapping(rawHeaders))
        reader.report(headersPath, `expected a mapping of header names to values, got ${describe(rawHeaders)}`)
      else
        for (const [name, value] of Object.entries(rawHeaders)) {
          if (!headerName.test(name)) {
            reader.report(childPath(headersPath, name), "is not a valid HTTP header name")
            continue
          }
          const secret = readOptionalSecret(reader, childPath(headersPath, name), value)
          if (secret !== undefined) headers[name] = secret
        }
    }
    const exportIntervalMs = readDuration(reader, childPath(otlpPath, "export_interval"), o?.export_interval)
    if (exportIntervalMs === 0) reader.report(childPath(otlpPath, "export_interval"), "must be more than 0")
    if (endpoint !== undefined)
      otlp = { endpoint: endpoint.replace(/\/+$/, ""), headers, ...optionalField("exportIntervalMs", exportIntervalMs) }
  }
  const promPath = childPath(path, "prometheus")
  const rawProm = section?.prometheus
  let prometheus: TelemetryConfig["prometheus"]
  if (rawProm !== null && rawProm !== undefined) {
    const p = readMapping(reader, promPath, rawProm, ["host", "port"])
    const host = readOptionalString(reader, childPath(promPath, "host"), p?.host)
    const port = readNumber(reader, childPath(promPath, "port"), p?.port, {
      integer: true,
      min: 0,
      unit: "TCP port; 0 picks a free one"
    })
    if (port !== undefined && port > 65535) reader.report(childPath(promPath, "port"), "must be at most 65535")
    if (p !== undefined && p.port === undefined) reader.report(childPath(promPath, "port"), "is required; e.g. 9464")
    if (port !== undefined) prometheus = { host: host ?? "127.0.0.1", port }
  }
  return {
    enabled: enabled ?? true,
    serviceName: serviceName ?? "llm-orchestrator",
    sampleRatio: sampleRatio ?? 1,
    captureContent: captureContent ?? false,
    ...optionalField("otlp", otlp),
    ...optionalField("prometheus", prometheus)
  }
}

const readConfig = (
  reader: Reader,
  types: TypeIndex,
  root: Record<string, unknown>
): OrchestratorConfig | undefined => {
  readMapping(reader, "", root, topLevelKeys)
  const { providers, names } = readProviders(reader, types, root.providers)
  const active = readConfiguredProvider(
    reader,
    types,
    "active_provider",
    root.active_provider,
    names,
    `set it to the provider to use (${names.configured.size > 0 ? [...names.configured.keys()].join(", ") : types.list})`
  )
  // Stryker disable next-line OptionalChaining: equivalent, there is always at least one provider type
  const example = active?.type.exampleModel ?? types.byName.values().next().value?.exampleModel
  const activeModel = readModelId(
    reader,
    "active_model",
    root.active_model,
    // Stryker disable next-line ConditionalExpression,StringLiteral: equivalent, every provider type has an example model
    `set it to the model to use${example === undefined ? "" : `, e.g. ${example}`}`,
    active && modelIdOwner(active.name, active.type)
  )
  const config = {
    providers,
    retry: readRetry(reader, root.retry),
    fallback: readFallback(reader, types, root.fallback, names),
    circuitBreaker: readCircuitBreaker(reader, root.circuit_breaker),
    discovery: readDiscovery(reader, root.discovery),
    costTracking: readCostTracking(reader, root.cost_tracking),
    ...optionalField("requestTimeoutMs", readDuration(reader, "request_timeout", root.request_timeout, true)),
    ...optionalField("telemetry", readTelemetry(reader, root.telemetry))
  }
  if (active === undefined || activeModel === undefined) return undefined
  return { activeProvider: active.name, activeModel, ...config }
}

/** What a config is read from: the text of a YAML file, or the value such a file holds. */
type ConfigSource = { readonly yamlText: string } | { readonly value: unknown }

const analyse = (
  types: TypeIndex,
  input: ConfigSource,
  options: ParseConfigOptions
): { readonly problems: ReadonlyArray<ConfigProblem>; readonly config: OrchestratorConfig | undefined } => {
  const reader = new Reader(options.env ?? process.env)
  const root =
    "yamlText" in input
      ? parseYaml(reader, input.yamlText, options.source)
      : mappingRoot(reader, input.value, options.source === undefined ? "the config" : options.source)
  const config = root === undefined ? undefined : readConfig(reader, types, root)
  return { problems: reader.problems, config: reader.problems.length === 0 ? config : undefined }
}

// ---------------------------------------------------------------------------------------------------
// Public API

export interface ConfigLoader {
  /** Every problem of a config text at once (what `llm-orchestrator check` prints); empty when valid. */
  readonly checkConfig: (yamlText: string, options?: ParseConfigOptions) => ReadonlyArray<ConfigProblem>
  /** Parses and validates a config text; fails with one `ConfigError` listing every problem. */
  readonly parseConfig: (
    yamlText: string,
    options?: ParseConfigOptions
  ) => Effect.Effect<OrchestratorConfig, ConfigError>
  /**
   * Validates the value a config file holds, as a plain object with the file's keys (`active_provider`,
   * `providers`, ...; `${VAR}` references are read as in a file); the same problems as `parseConfig`.
   */
  readonly parseConfigObject: (
    value: unknown,
    options?: ParseConfigOptions
  ) => Effect.Effect<OrchestratorConfig, ConfigError>
  /** Reads, parses and validates a config file. */
  readonly loadConfig: (path: string, options?: LoadConfigOptions) => Effect.Effect<OrchestratorConfig, ConfigError>
}

/**
 * The config functions for a list of provider types (the providers package's `providerTypes` for the
 * built-in ones; a later type of the same name replaces an earlier one).
 */
export const makeConfigLoader = (providerTypes: ReadonlyArray<ProviderType>): ConfigLoader => {
  const types = indexTypes(providerTypes)
  const validated = (input: ConfigSource, options: ParseConfigOptions) =>
    Effect.suspend(() => {
      const { problems, config } = analyse(types, input, options)
      if (config !== undefined) return Effect.succeed(config)
      // No config comes only with problems: every undefined the walker returns was reported.
      return Effect.fail(ConfigError.fromProblems(problems))
    })
  const parseConfig = (yamlText: string, options: ParseConfigOptions = {}) => validated({ yamlText }, options)
  return {
    checkConfig: (yamlText, options = {}) => analyse(types, { yamlText }, options).problems,
    parseConfig,
    parseConfigObject: (value, options = {}) => validated({ value }, options),
    loadConfig: (path, options = {}) =>
      readConfigFile(path).pipe(
        Effect.flatMap((text) => parseConfig(text, { source: path, ...(options.env ? { env: options.env } : {}) }))
      )
  }
}

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
    // Stryker disable next-line StringLiteral: no test can make readFile fail with EPERM on Linux (it is EACCES's twin)
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
