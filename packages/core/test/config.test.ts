// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config texts deliberately contain ${VAR} references

import { readFileSync } from "node:fs"
import { fileURLToPath } from "node:url"
import { describe, expect, it } from "@effect/vitest"
import {
  defaultCircuitBreaker,
  defaultDiscovery,
  defaultRetry,
  type OrchestratorConfig,
  type ProviderInstance
} from "@llm-orchestrator/core"
import { Effect, Redacted } from "effect"
import { checkConfig, loadConfig, parseConfig } from "llm-orchestrator"
import { seeds } from "./config-support.ts"

const isInstance = (value: unknown): value is ProviderInstance =>
  typeof value === "object" && value !== null && "type" in value && "settings" in value

const seed = (name: string) => fileURLToPath(new URL(`../../../examples/configs/${name}`, import.meta.url))

/**
 * The config with every Redacted replaced by `{ secret: value }`, so one toEqual checks secrets too,
 * and each provider instance as its type's name beside its settings.
 */
const reveal = (value: unknown): unknown => {
  if (Redacted.isRedacted(value)) return { secret: Redacted.value(value) }
  if (isInstance(value)) return { type: value.type.name, ...(reveal(value.settings) as object) }
  if (Array.isArray(value)) return value.map(reveal)
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, reveal(inner)]))
  }
  return value
}

/** What every key the seed files do not write loads as (config/types.ts defaults). */
const defaults = {
  retry: defaultRetry,
  fallback: { chain: [], onContentFilter: false },
  circuitBreaker: defaultCircuitBreaker,
  discovery: defaultDiscovery
}

const env = { OPENAI_API_KEY: "sk-dev-openai-0001", ANTHROPIC_API_KEY: "sk-ant-prod-0002" }

describe("the seed configs load exactly as written", () => {
  it.effect("config.dev.yaml", () =>
    Effect.gen(function* () {
      const config = yield* loadConfig(seed("config.dev.yaml"), { env })
      expect(config.activeProvider).toBe("openai")
      expect(config.activeModel).toBe("gpt-4o-mini")
      expect(Object.keys(config.providers)).toEqual(["openai"])
      const openai = seeds(config).openai!
      expect(Redacted.isRedacted(openai.apiKey)).toBe(true)
      expect(Redacted.value(openai.apiKey)).toBe(env.OPENAI_API_KEY)
      expect(openai.fallbackModels).toEqual(["gpt-4o-mini"])
      expect(openai.api).toBe("chat")
      expect(config.costTracking).toEqual({ enabled: true, logPath: "./dev_costs.log", prices: {} })
      expect(reveal(config)).toEqual({
        activeProvider: "openai",
        activeModel: "gpt-4o-mini",
        providers: {
          openai: {
            type: "openai",
            apiKey: { secret: env.OPENAI_API_KEY },
            fallbackModels: ["gpt-4o-mini"],
            api: "chat"
          }
        },
        costTracking: { enabled: true, logPath: "./dev_costs.log", prices: {} },
        ...defaults
      })
    })
  )

  it.effect("config.prod.yaml (block list with a trailing comment)", () =>
    Effect.gen(function* () {
      const config = yield* loadConfig(seed("config.prod.yaml"), { env })
      expect(config.activeProvider).toBe("anthropic")
      expect(config.activeModel).toBe("claude-opus-4-20250514")
      const anthropic = seeds(config).anthropic!
      expect(Redacted.value(anthropic.apiKey)).toBe(env.ANTHROPIC_API_KEY)
      expect(anthropic.fallbackModels).toEqual(["claude-opus-4-20250514", "claude-sonnet-4-5"])
      expect(config.costTracking.logPath).toBe("/var/log/llm_costs.log")
      expect(reveal(config)).toEqual({
        activeProvider: "anthropic",
        activeModel: "claude-opus-4-20250514",
        providers: {
          anthropic: {
            type: "anthropic",
            apiKey: { secret: env.ANTHROPIC_API_KEY },
            fallbackModels: ["claude-opus-4-20250514", "claude-sonnet-4-5"]
          }
        },
        costTracking: { enabled: true, logPath: "/var/log/llm_costs.log", prices: {} },
        ...defaults
      })
    })
  )

  it.effect("config.local.yaml: an openai-compatible instance first, OpenAI after it", () =>
    Effect.gen(function* () {
      const config = yield* loadConfig(seed("config.local.yaml"), { env })
      expect(reveal(config)).toEqual({
        activeProvider: "local",
        activeModel: "llama3.1:8b",
        providers: {
          local: {
            type: "openai-compatible",
            baseUrl: "http://127.0.0.1:11434/v1",
            timeoutMs: 120_000,
            fallbackModels: []
          },
          openai: { type: "openai", apiKey: { secret: env.OPENAI_API_KEY }, fallbackModels: [], api: "chat" }
        },
        fallback: { chain: [{ provider: "openai", model: "gpt-4o-mini" }], onContentFilter: false },
        costTracking: {
          enabled: true,
          logPath: "./costs.jsonl",
          prices: { "local/llama3.1:8b": { input: 0, output: 0 } }
        },
        retry: defaultRetry,
        circuitBreaker: defaultCircuitBreaker,
        discovery: defaultDiscovery
      })
    })
  )

  it.effect("config.migration.yaml: two providers configured, one active; cost tracking defaults on, no log", () =>
    Effect.gen(function* () {
      const config = yield* loadConfig(seed("config.migration.yaml"), { env })
      expect(config.activeProvider).toBe("openai")
      expect(config.activeModel).toBe("gpt-4")
      expect(Object.keys(config.providers)).toEqual(["openai", "anthropic"])
      expect(Redacted.value(seeds(config).openai!.apiKey)).toBe(env.OPENAI_API_KEY)
      expect(Redacted.value(seeds(config).anthropic!.apiKey)).toBe(env.ANTHROPIC_API_KEY)
      expect(reveal(config)).toEqual({
        activeProvider: "openai",
        activeModel: "gpt-4",
        providers: {
          openai: {
            type: "openai",
            apiKey: { secret: env.OPENAI_API_KEY },
            fallbackModels: ["gpt-4", "gpt-4o-mini"],
            api: "chat"
          },
          anthropic: {
            type: "anthropic",
            apiKey: { secret: env.ANTHROPIC_API_KEY },
            fallbackModels: ["claude-opus-4-20250514"]
          }
        },
        costTracking: { enabled: true, prices: {} },
        ...defaults
      })
    })
  )

  it.effect("the variables default to process.env", () =>
    Effect.gen(function* () {
      process.env.OPENAI_API_KEY = "sk-from-process-env"
      const config = yield* loadConfig(seed("config.dev.yaml")).pipe(
        Effect.ensuring(Effect.sync(() => delete process.env.OPENAI_API_KEY))
      )
      expect(Redacted.value(seeds(config).openai!.apiKey)).toBe("sk-from-process-env")
    })
  )

  it("each seed needs exactly its own variables", () => {
    const fileText = (name: string) => readFileSync(seed(name), "utf8")
    expect(checkConfig(fileText("config.migration.yaml"), { env: { OPENAI_API_KEY: "k" } })).toEqual([
      {
        path: "providers.anthropic.api_key",
        message:
          "environment variable ANTHROPIC_API_KEY is not set; export it, or write ${ANTHROPIC_API_KEY:-...} for a default"
      }
    ])
    expect(checkConfig(fileText("config.dev.yaml"), { env: { OPENAI_API_KEY: "k" } })).toEqual([])
  })
})

describe("every key, typed", () => {
  const everything = `
active_provider: bedrock
active_model: anthropic.claude-3-5-haiku-20241022-v1:0
providers:
  openai:
    api_key: \${OPENAI_API_KEY}
    fallback_models: [gpt-4o, gpt-4o-mini]
    base_url: http://127.0.0.1:4010/v1
    timeout: 30
    organization: org-123
    project: proj_abc
    api: responses
  anthropic:
    api_key: \${ANTHROPIC_API_KEY}
    timeout: 2m
  gemini:
    api_key: "\${GEMINI_API_KEY}"
    fallback_models: [gemini-2.5-flash]
    timeout: 0.5
  bedrock:
    region: eu-west-1
    access_key_id: \${AWS_ACCESS_KEY_ID}
    secret_access_key: \${AWS_SECRET_ACCESS_KEY}
    session_token: \${AWS_SESSION_TOKEN}
    timeout: 1h
    base_url: https://bedrock-runtime.eu-west-1.amazonaws.com
  vertex:
    project: my-project
    location: us-central1
    credentials_file: /etc/gcp/wif.json
    api_key: \${VERTEX_API_KEY}
    timeout: 1500ms
retry:
  max_attempts: 5
  initial_delay: 250ms
  max_delay: 20s
  max_retry_after: 90
fallback:
  chain:
    - { provider: anthropic, model: claude-sonnet-4-5 }
    - provider: openai
      model: gpt-4o-mini
  on_content_filter: true
circuit_breaker:
  failure_threshold: 3
  cooldown: 1m
discovery:
  validate: true
  ttl: 0
cost_tracking:
  enabled: false
  log_path: ./costs.jsonl
  budget_usd: 12.5
  prices:
    gpt-4o-mini: { input: 0.15, output: 0.6, cache_read: 0.075 }
    "claude-3.5-haiku": { input: 0.8, output: 4, cache_read: 0.08, cache_write: 1, cache_write_1h: 1.6, web_search_per_thousand: 10 }
`
  const secrets = {
    OPENAI_API_KEY: "sk-o",
    ANTHROPIC_API_KEY: "sk-a",
    GEMINI_API_KEY: "g-key",
    AWS_ACCESS_KEY_ID: "AKIA-EXAMPLE",
    AWS_SECRET_ACCESS_KEY: "aws-secret",
    AWS_SESSION_TOKEN: "aws-token",
    VERTEX_API_KEY: "v-key"
  }

  it.effect("loads every documented key into its camelCase field, durations in ms, secrets Redacted", () =>
    Effect.gen(function* () {
      const config: OrchestratorConfig = yield* parseConfig(everything, { env: secrets })
      expect(reveal(config)).toEqual({
        activeProvider: "bedrock",
        activeModel: "anthropic.claude-3-5-haiku-20241022-v1:0",
        providers: {
          openai: {
            type: "openai",
            apiKey: { secret: secrets.OPENAI_API_KEY },
            fallbackModels: ["gpt-4o", "gpt-4o-mini"],
            baseUrl: "http://127.0.0.1:4010/v1",
            timeoutMs: 30_000,
            organization: "org-123",
            project: "proj_abc",
            api: "responses"
          },
          anthropic: {
            type: "anthropic",
            apiKey: { secret: secrets.ANTHROPIC_API_KEY },
            fallbackModels: [],
            timeoutMs: 120_000
          },
          gemini: {
            type: "gemini",
            apiKey: { secret: secrets.GEMINI_API_KEY },
            fallbackModels: ["gemini-2.5-flash"],
            timeoutMs: 500
          },
          bedrock: {
            type: "bedrock",
            region: "eu-west-1",
            fallbackModels: [],
            timeoutMs: 3_600_000,
            baseUrl: "https://bedrock-runtime.eu-west-1.amazonaws.com",
            accessKeyId: { secret: secrets.AWS_ACCESS_KEY_ID },
            secretAccessKey: { secret: secrets.AWS_SECRET_ACCESS_KEY },
            sessionToken: { secret: secrets.AWS_SESSION_TOKEN }
          },
          vertex: {
            type: "vertex",
            project: "my-project",
            location: "us-central1",
            credentialsFile: "/etc/gcp/wif.json",
            apiKey: { secret: secrets.VERTEX_API_KEY },
            fallbackModels: [],
            timeoutMs: 1500
          }
        },
        retry: { maxAttempts: 5, initialDelayMs: 250, maxDelayMs: 20_000, maxRetryAfterMs: 90_000 },
        fallback: {
          chain: [
            { provider: "anthropic", model: "claude-sonnet-4-5" },
            { provider: "openai", model: "gpt-4o-mini" }
          ],
          onContentFilter: true
        },
        circuitBreaker: { failureThreshold: 3, cooldownMs: 60_000 },
        discovery: { validate: true, ttlMs: 0 },
        costTracking: {
          enabled: false,
          logPath: "./costs.jsonl",
          budgetUsd: 12.5,
          prices: {
            "gpt-4o-mini": { input: 0.15, output: 0.6, cacheRead: 0.075 },
            "claude-3.5-haiku": {
              input: 0.8,
              output: 4,
              cacheRead: 0.08,
              cacheWrite: 1,
              cacheWrite1h: 1.6,
              webSearchPerThousand: 10
            }
          }
        }
      })
    })
  )

  it.effect("a config with all five providers in their shortest form loads (bedrock default chain, vertex ADC)", () =>
    Effect.gen(function* () {
      const design = `
active_provider: openai
active_model: gpt-4o-mini
providers:
  openai:    { api_key: "\${OPENAI_API_KEY}", fallback_models: [gpt-4o, gpt-4o-mini] }
  anthropic: { api_key: "\${ANTHROPIC_API_KEY}", fallback_models: [claude-sonnet-4-5] }
  gemini:    { api_key: "\${GEMINI_API_KEY}" }
  bedrock:   { region: us-east-1 }                 # default AWS credential chain
  vertex:    { project: "\${GOOGLE_CLOUD_PROJECT}", location: global }   # ADC
cost_tracking: { enabled: true, log_path: ./costs.jsonl }
`
      const config = yield* parseConfig(design, {
        env: { OPENAI_API_KEY: "a", ANTHROPIC_API_KEY: "b", GEMINI_API_KEY: "c", GOOGLE_CLOUD_PROJECT: "proj-7" }
      })
      expect(seeds(config).bedrock).toEqual({ region: "us-east-1", fallbackModels: [] })
      expect(seeds(config).vertex).toEqual({ project: "proj-7", location: "global", fallbackModels: [] })
      expect(seeds(config).gemini!.fallbackModels).toEqual([])
      expect(config.costTracking).toEqual({ enabled: true, logPath: "./costs.jsonl", prices: {} })
    })
  )
})

describe("optional keys", () => {
  it.effect("bedrock with only a profile keeps it; vertex without a location uses global", () =>
    Effect.gen(function* () {
      const config = yield* parseConfig(
        "active_provider: bedrock\nactive_model: m\nproviders:\n  bedrock: { region: us-east-1, profile: dev }\n  vertex: { project: p }\n",
        { env: {} }
      )
      expect(seeds(config).bedrock).toEqual({ region: "us-east-1", profile: "dev", fallbackModels: [] })
      expect(seeds(config).vertex).toEqual({ project: "p", location: "global", fallbackModels: [] })
    })
  )

  it.effect("keys written with no value load as absent; unwritten prices are absent, not undefined", () =>
    Effect.gen(function* () {
      const base = "active_provider: openai\nactive_model: m\nproviders:\n  openai: { api_key: k }\n"
      const empty = yield* parseConfig(`${base}fallback:\n  chain:\ncost_tracking:\n  fsync:\n  prices:\n`, {
        env: {}
      })
      expect(empty.fallback).toStrictEqual({ chain: [], onContentFilter: false })
      expect(empty.costTracking).toStrictEqual({ enabled: true, prices: {} })
      const priced = yield* parseConfig(`${base}cost_tracking:\n  prices:\n    m: { input: 1, output: 2 }\n`, {
        env: {}
      })
      // toStrictEqual: a key set to undefined would read as "priced at undefined" to `key in price` checks.
      expect(priced.costTracking.prices).toStrictEqual({ m: { input: 1, output: 2 } })
    })
  )
})

describe("variables and defaults", () => {
  const minimal = (extra: string) =>
    `active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: k\n${extra}`

  it.effect("${VAR:-default} uses the default when the variable is unset or empty, the value otherwise", () =>
    Effect.gen(function* () {
      const text = minimal("    base_url: ${OPENAI_BASE_URL:-https://api.openai.com/v1}\n")
      const unset = yield* parseConfig(text, { env: {} })
      const empty = yield* parseConfig(text, { env: { OPENAI_BASE_URL: "" } })
      const set = yield* parseConfig(text, { env: { OPENAI_BASE_URL: "http://127.0.0.1:9/v1" } })
      expect(seeds(unset).openai!.baseUrl).toBe("https://api.openai.com/v1")
      expect(seeds(empty).openai!.baseUrl).toBe("https://api.openai.com/v1")
      expect(seeds(set).openai!.baseUrl).toBe("http://127.0.0.1:9/v1")
    })
  )

  it.effect("variables expand inside longer strings, defaults nest, and $$ writes a dollar", () =>
    Effect.gen(function* () {
      const text = `active_provider: openai
active_model: "\${MODEL_FAMILY}-\${MODEL_SIZE:-mini}"
providers:
  openai:
    api_key: "pre-$$-\${KEY}-post"
    base_url: "http://\${HOST:-\${FALLBACK_HOST}}:\${PORT}/v1"
    organization: "costs $5"
`
      const config = yield* parseConfig(text, {
        env: { MODEL_FAMILY: "gpt-4o", KEY: "abc", FALLBACK_HOST: "10.0.0.2", PORT: "8080" }
      })
      expect(config.activeModel).toBe("gpt-4o-mini")
      expect(Redacted.value(seeds(config).openai!.apiKey)).toBe("pre-$-abc-post")
      expect(seeds(config).openai!.baseUrl).toBe("http://10.0.0.2:8080/v1")
      expect(seeds(config).openai!.organization).toBe("costs $5")
    })
  )

  it.effect("a variable's value is never parsed as YAML (quotes, colons, # stay text)", () =>
    Effect.gen(function* () {
      // log_path: a free-form string (organization, a header value, may not hold the line break).
      const tricky = `a"b: c # d'\n- e`
      const config = yield* parseConfig(minimal("cost_tracking:\n  log_path: ${LOG}\n"), { env: { LOG: tricky } })
      expect(config.costTracking.logPath).toBe(tricky)
    })
  )

  it.effect("numbers, booleans and durations can come from variables", () =>
    Effect.gen(function* () {
      const text = minimal(`    timeout: \${TIMEOUT:-45}
retry: { max_attempts: "\${ATTEMPTS}" }
cost_tracking: { enabled: "\${TRACK:-false}", budget_usd: "\${BUDGET}", allow_unpriced: true, reserve_output_tokens: 1000 }
discovery: { validate: "\${VALIDATE}" }
`)
      const config = yield* parseConfig(text, { env: { ATTEMPTS: "4", BUDGET: "2.5", VALIDATE: "TRUE" } })
      expect(seeds(config).openai!.timeoutMs).toBe(45_000)
      expect(config.retry.maxAttempts).toBe(4)
      expect(config.costTracking).toEqual({
        enabled: false,
        budgetUsd: 2.5,
        allowUnpriced: true,
        reserveOutputTokens: 1000,
        prices: {}
      })
      expect(config.discovery.validate).toBe(true)
    })
  )

  it.effect(
    "cost_tracking.max_buffered_records and fsync are read; absent, they stay unset (the log's defaults apply)",
    () =>
      Effect.gen(function* () {
        const set = yield* parseConfig(minimal("cost_tracking: { max_buffered_records: 5000, fsync: none }\n"))
        expect(set.costTracking).toEqual({ enabled: true, prices: {}, maxBufferedRecords: 5000, fsync: "none" })
        const unset = yield* parseConfig(minimal(""))
        expect(unset.costTracking).toEqual({ enabled: true, prices: {} })
      })
  )

  it.effect("an optional key that expands to empty (${ORG:-}) is absent", () =>
    Effect.gen(function* () {
      const config = yield* parseConfig(minimal("    organization: ${ORG:-}\n    base_url: ${URL:-}\n"), { env: {} })
      expect(seeds(config).openai).toEqual({
        apiKey: seeds(config).openai!.apiKey,
        fallbackModels: [],
        api: "chat"
      })
      expect("organization" in seeds(config).openai!).toBe(false)
    })
  )

  it.effect("bedrock region comes from AWS_REGION, then AWS_DEFAULT_REGION, when the key is absent", () =>
    Effect.gen(function* () {
      const text = "active_provider: bedrock\nactive_model: m\nproviders:\n  bedrock:\n"
      const fromRegion = yield* parseConfig(text, { env: { AWS_REGION: "ap-south-1", AWS_DEFAULT_REGION: "x" } })
      const fromDefault = yield* parseConfig(text, { env: { AWS_DEFAULT_REGION: "ca-central-1" } })
      const written = yield* parseConfig(`${text}    region: us-west-2\n`, { env: { AWS_REGION: "ap-south-1" } })
      expect(seeds(fromRegion).bedrock!.region).toBe("ap-south-1")
      expect(seeds(fromDefault).bedrock!.region).toBe("ca-central-1")
      expect(seeds(written).bedrock!.region).toBe("us-west-2")
    })
  )

  it.effect("durations: seconds as a number, ms / s / m / h strings, a bare numeric string is seconds", () =>
    Effect.gen(function* () {
      const cases: ReadonlyArray<[string, number]> = [
        ["2", 2000],
        ["0.25", 250],
        ['"500ms"', 500],
        ['"30s"', 30_000],
        ['"1.5m"', 90_000],
        ['"2h"', 7_200_000],
        ['"10"', 10_000],
        ['"7 s"', 7000]
      ]
      for (const [written, ms] of cases) {
        const config = yield* parseConfig(minimal(`circuit_breaker: { cooldown: ${written} }\n`), { env: {} })
        expect([written, config.circuitBreaker.cooldownMs]).toEqual([written, ms])
      }
    })
  )

  it.effect("YAML anchors and merge keys work (shared provider settings)", () =>
    Effect.gen(function* () {
      const text = `active_provider: openai
active_model: gpt-4o
common: &common { timeout: 20s, fallback_models: [gpt-4o-mini] }
providers:
  openai: { <<: *common, api_key: k }
`
      // `common` is not a config key: anchors must live under a known key, so this reports it...
      expect(checkConfig(text, { env: {} })).toEqual([
        {
          path: "common",
          message:
            "unknown key; the keys here are active_provider, active_model, providers, retry, fallback, circuit_breaker, discovery, cost_tracking, request_timeout, telemetry"
        }
      ])
      // ...while an anchor on a real key is reused through a merge key.
      const reused = `active_provider: openai
active_model: gpt-4o
providers:
  anthropic: &common { api_key: a, timeout: 20s, fallback_models: [claude-sonnet-4-5] }
  openai: { <<: *common, api_key: k, fallback_models: [gpt-4o-mini] }
`
      const config = yield* parseConfig(reused, { env: {} })
      expect(seeds(config).openai!.timeoutMs).toBe(20_000)
      expect(seeds(config).openai!.fallbackModels).toEqual(["gpt-4o-mini"])
    })
  )
})
