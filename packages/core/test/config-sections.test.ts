// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config texts deliberately contain ${VAR} references
/**
 * How the config's sections and names are read (found by mutation testing in config/load.ts): a section
 * that is not a mapping is a problem, not a crash; YAML merge keys may repeat while any other key may
 * not, in lists too; fallback chain entries name configured providers, with the fix each mistake needs;
 * a provider's optional settings appear only when written; where the config came from is named.
 */
import { describe, expect, it } from "@effect/vitest"
import type { ConfigProblem } from "@llm-orchestrator/core"
import { Effect } from "effect"
import { checkConfig, parseConfig, parseConfigObject } from "llm-orchestrator"
import { seeds } from "./config-support.ts"

const types = "openai, anthropic, gemini, bedrock, vertex, openai-compatible"
const withOpenAI = (extra = "") =>
  `active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: sk-test\n${extra}`
const problems = (yaml: string): ReadonlyArray<ConfigProblem> => checkConfig(yaml, { env: {} })
const duration = 'expected a duration: a number of seconds, or a string such as "500ms", "30s", "2m" or "1h"'

describe("a section that is not a mapping is a problem, not a crash", () => {
  it.each([
    ["fallback: 5", "fallback", "expected a mapping (chain, on_content_filter, on_invalid_output), got a number"],
    ["circuit_breaker: x", "circuit_breaker", "expected a mapping (failure_threshold, cooldown), got a string"],
    ["discovery: [1]", "discovery", "expected a mapping (validate, ttl), got a list"],
    [
      "cost_tracking: true",
      "cost_tracking",
      "expected a mapping (enabled, log_path, budget_usd, allow_unpriced, reserve_output_tokens, prices, max_buffered_records, fsync, ledger), got a boolean"
    ]
  ])("%s", (line, path, message) => {
    expect(problems(withOpenAI(`${line}\n`))).toEqual([{ path, message }])
  })

  it("a missing providers section says what to add", () => {
    expect(problems("active_provider: openai\nactive_model: gpt-4o-mini\n")).toEqual([
      { path: "providers", message: `is required; configure at least one provider (${types})` }
    ])
  })
})

describe("keys written twice", () => {
  it.effect("merge keys (<<) may repeat, and both merge", () =>
    Effect.gen(function* () {
      const yaml = withOpenAI("circuit_breaker:\n  <<: {failure_threshold: 3}\n  <<: {cooldown: 10s}\n")
      expect(problems(yaml)).toEqual([])
      expect((yield* parseConfig(yaml, { env: {} })).circuitBreaker).toEqual({
        failureThreshold: 3,
        cooldownMs: 10_000
      })
    })
  )

  it('a quoted "<<" is a plain key, not a merge key: written twice, it is a duplicate as yaml itself says', () => {
    expect(problems(withOpenAI('cost_tracking:\n  "<<": {enabled: true}\n  "<<": {enabled: false}\n'))).toEqual([
      { path: "", message: "invalid YAML at line 8, column 3: Map keys must be unique" }
    ])
  })

  it("two different complex keys (`? [a]`) are not duplicates of each other", () => {
    expect(
      problems(
        withOpenAI(
          "cost_tracking:\n  prices:\n    ? [a]\n    : {input: 1, output: 1}\n    ? [b]\n    : {input: 1, output: 1}\n"
        )
      )
    ).toEqual([])
  })

  it("any other key may not, in a mapping inside a list too", () => {
    expect(
      problems(withOpenAI("fallback:\n  chain:\n    - provider: openai\n      model: a\n      model: b\n"))
    ).toEqual([{ path: "", message: "invalid YAML at line 10, column 7: Map keys must be unique" }])
  })
})

describe("durations name their own key", () => {
  it("retry.max_delay and retry.max_retry_after", () => {
    expect(problems(withOpenAI("retry:\n  max_delay: soon\n  max_retry_after: later\n"))).toEqual([
      { path: "retry.max_delay", message: duration },
      { path: "retry.max_retry_after", message: duration }
    ])
  })

  it.effect("a provider's idle_timeout: none turns it off; a bad one is reported at its key", () =>
    Effect.gen(function* () {
      const config = yield* parseConfig(withOpenAI("    idle_timeout: none\n"), { env: {} })
      expect(seeds(config).openai?.idleTimeoutMs).toBe(0)
      expect(problems(withOpenAI("    idle_timeout: soon\n"))).toEqual([
        { path: "providers.openai.idle_timeout", message: `${duration}, or 0 / "none" to turn it off` }
      ])
    })
  )
})

describe("fallback chain entries", () => {
  it("each mistake gets its own fix", () => {
    const chain = [
      "    - provider: anthropic\n      model: a",
      "    - provider: opnai\n      model: b",
      "    - provider: 7\n      model: c",
      "    - provider: zzz\n      model: d",
      "    - model: e"
    ].join("\n")
    expect(problems(withOpenAI(`fallback:\n  chain:\n${chain}\n`))).toEqual([
      {
        path: "fallback.chain[0].provider",
        message: 'provider "anthropic" is not configured; add it under providers (configured: openai)'
      },
      {
        path: "fallback.chain[1].provider",
        message: 'unknown provider "opnai"; did you mean openai? Providers: openai'
      },
      { path: "fallback.chain[2].provider", message: "expected one of openai, got a number; put it in quotes" },
      { path: "fallback.chain[3].provider", message: 'unknown provider "zzz"; the providers are openai' },
      { path: "fallback.chain[4].provider", message: "is required; set it to one of openai" }
    ])
  })

  it("with no usable provider configured, the fixes name the provider types", () => {
    const yaml =
      "active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  zzz:\n    api_key: x\n" +
      "fallback:\n  chain:\n    - provider: qqq\n      model: a\n    - model: b\n"
    expect(problems(yaml)).toEqual([
      {
        path: "providers.zzz",
        message: `unknown provider; the provider types are ${types} (a name of your own needs type: set to one of them)`
      },
      { path: "active_provider", message: 'provider "openai" is not configured; add it under providers' },
      { path: "fallback.chain[0].provider", message: `unknown provider "qqq"; the providers are ${types}` },
      { path: "fallback.chain[1].provider", message: `is required; set it to one of ${types}` }
    ])
  })

  it("a provider already reported as a typo is not reported again in the chain", () => {
    const yaml =
      "active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  opnai:\n    api_key: sk-test\n" +
      "fallback:\n  chain:\n    - provider: opnai\n      model: b\n"
    expect(problems(yaml).map((p) => p.path)).toEqual(["providers.opnai", "fallback.chain[0].provider"])
  })
})

describe("provider names and types", () => {
  it("type: null is no type (the name decides), not an invalid type", () => {
    expect(problems(withOpenAI("  mine:\n    type: null\n    api_key: x\n"))).toEqual([
      {
        path: "providers.mine",
        message: `unknown provider; the provider types are ${types} (a name of your own needs type: set to one of them)`
      }
    ])
  })

  it.effect("active_provider is read trimmed", () =>
    Effect.gen(function* () {
      const config = yield* parseConfig(
        withOpenAI().replace("active_provider: openai", 'active_provider: " openai "'),
        {
          env: {}
        }
      )
      expect(config.activeProvider).toBe("openai")
    })
  )

  it.effect("optional settings appear only when written", () =>
    Effect.gen(function* () {
      const plain = seeds(yield* parseConfig(withOpenAI(), { env: {} })).openai!
      expect(Object.keys(plain).sort()).toEqual(["api", "apiKey", "fallbackModels"])
      const full = seeds(
        yield* parseConfig(
          withOpenAI("    base_url: http://127.0.0.1:8080/v1\n    timeout: 5s\n    idle_timeout: 2s\n"),
          {
            env: {}
          }
        )
      ).openai!
      expect(full).toMatchObject({ baseUrl: "http://127.0.0.1:8080/v1", timeoutMs: 5_000, idleTimeoutMs: 2_000 })
    })
  )
})

describe("values read through the environment and checked", () => {
  const withModel = (model: string) => withOpenAI().replace("active_model: gpt-4o-mini", `active_model: ${model}`)

  it("an empty variable, a list for a string, a key with a line break from a variable", () => {
    expect(problems(withModel('"${M}"'))).toEqual([
      {
        path: "active_model",
        message: "environment variable M is not set; export it, or write ${M:-...} for a default"
      }
    ])
    expect(checkConfig(withModel('"${M}"'), { env: { M: "" } })).toEqual([
      { path: "active_model", message: 'is empty: environment variable M is set to ""; give it a value' }
    ])
    expect(problems(withModel("[1]"))).toEqual([{ path: "active_model", message: "expected a string, got a list" }])
    expect(
      checkConfig(withOpenAI().replace("api_key: sk-test", 'api_key: "${K}"'), { env: { K: "sk-abc\n" } })
    ).toEqual([
      {
        path: "providers.openai.api_key",
        message:
          "contains a line break (CR or LF), which cannot be sent in an HTTP header (printable ASCII characters only); environment variable K holds it: remove it there (a file read with its trailing newline, for example)"
      }
    ])
  })

  it("a null list item is an empty one", () => {
    expect(problems(withOpenAI("    fallback_models: [null]\n"))).toEqual([
      { path: "providers.openai.fallback_models[0]", message: "is empty; write a model name, or remove the item" }
    ])
  })

  it.effect("timeouts: a missing variable, a negative string, a negative number, 0s and None", () =>
    Effect.gen(function* () {
      const timeout = (value: string) => problems(withOpenAI(`    timeout: ${value}\n`))
      expect(timeout('"${T}"')).toEqual([
        {
          path: "providers.openai.timeout",
          message: "environment variable T is not set; export it, or write ${T:-...} for a default"
        }
      ])
      expect(timeout('"-5s"')).toEqual([
        { path: "providers.openai.timeout", message: `${duration}, or 0 / "none" to turn it off` }
      ])
      expect(timeout("-5")).toEqual([{ path: "providers.openai.timeout", message: "must be 0 (off) or more" }])
      const config = yield* parseConfig(withOpenAI('    timeout: "0s"\n    idle_timeout: " None "\n'), { env: {} })
      expect(seeds(config).openai).toMatchObject({ timeoutMs: 0, idleTimeoutMs: 0 })
    })
  )
})

describe("where the config came from", () => {
  it.effect("a config object that is not a mapping names its source, or 'the config'", () =>
    Effect.gen(function* () {
      const anonymous = yield* Effect.flip(parseConfigObject(5, { env: {} }))
      expect(anonymous.message).toBe(
        "the config must be a mapping of keys (active_provider, active_model, providers, ...), got a number"
      )
      const nothing = yield* Effect.flip(parseConfigObject(null, { env: {} }))
      expect(nothing.message).toBe(
        "the config must be a mapping of keys (active_provider, active_model, providers, ...), got nothing"
      )
      const named = yield* Effect.flip(parseConfigObject(5, { env: {}, source: "mine.json" }))
      expect(named.message).toBe(
        "mine.json must be a mapping of keys (active_provider, active_model, providers, ...), got a number"
      )
    })
  )
})
