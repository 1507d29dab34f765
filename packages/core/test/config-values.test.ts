// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config texts deliberately contain ${VAR} references
/**
 * How config values are read (core/src/config/read.ts): what a wrong type is called in the message
 * and when quoting is the fix, numbers and booleans that come from environment variables, bounds at
 * their edge, durations given as lists, model ids of an unknown provider, and one problem per key.
 */

import { describe, expect, it } from "@effect/vitest"
import { Effect, Redacted } from "effect"
import { checkConfig, parseConfig } from "llm-orchestrator"
import { seeds } from "./config-support.ts"

const base = "active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: sk-test\n"
/** The problems of the base config plus `extra` (top-level YAML), as `path: message`. */
const problems = (extra: string, env: Record<string, string> = {}) =>
  checkConfig(`${base}${extra}`, { env }).map((p) => `${p.path}: ${p.message}`)

describe("a value of the wrong type", () => {
  it("names what it got: a number, a boolean, a list, a mapping, a string", () => {
    const expected = "expected a whole number of at least 1 (tries per model, the first included)"
    expect(problems("retry:\n  max_attempts: [3]\n")).toEqual([`retry.max_attempts: ${expected}, got a list`])
    expect(problems("retry:\n  max_attempts: { n: 3 }\n")).toEqual([`retry.max_attempts: ${expected}, got a mapping`])
    expect(problems("retry:\n  max_attempts: true\n")).toEqual([`retry.max_attempts: ${expected}, got a boolean`])
    expect(problems("retry:\n  max_attempts: three\n")).toEqual([`retry.max_attempts: ${expected}, got a string`])
    // A quoted number is still a string: only a variable's text is read as a number.
    expect(problems('cost_tracking:\n  budget_usd: "12"\n')).toEqual([
      "cost_tracking.budget_usd: expected a number greater than 0 (USD), got a string"
    ])
    expect(problems("discovery:\n  ttl: [60]\n")).toEqual([
      'discovery.ttl: expected a duration: a number of seconds, or a string such as "500ms", "30s", "2m" or "1h", got a list'
    ])
  })

  it("a file holding only a null (~) is a config of nothing", () => {
    expect(checkConfig("~", { env: {} }).map((p) => p.message)).toEqual([expect.stringMatching(/, got nothing$/)])
  })

  it("where a string was meant, a number or a boolean is told to be quoted; a list is not", () => {
    const key = (value: string) =>
      checkConfig(
        `active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: ${value}\n`,
        {
          env: {}
        }
      ).map((p) => `${p.path}: ${p.message}`)
    expect(key("12345")).toEqual(["providers.openai.api_key: expected a string, got a number; put it in quotes"])
    expect(key("true")).toEqual(["providers.openai.api_key: expected a string, got a boolean; put it in quotes"])
    expect(key("[a, b]")).toEqual(["providers.openai.api_key: expected a string, got a list"])
  })
})

describe("values from environment variables", () => {
  it("a variable set to the empty string is named, not just 'is empty'", () => {
    expect(
      checkConfig(
        'active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: "${KEY}"\n',
        { env: { KEY: "" } }
      ).map((p) => `${p.path}: ${p.message}`)
    ).toEqual(['providers.openai.api_key: is empty: environment variable KEY is set to ""; give it a value'])
  })

  it("a header value broken by a variable names the variable to fix, never its value", () => {
    expect(problems('    organization: "${ORG}"\n', { ORG: "org-1\n" })).toEqual([
      expect.stringMatching(
        /^providers\.openai\.organization: .*; environment variable ORG holds it: remove it there \(a file read with its trailing newline, for example\)$/
      )
    ])
  })

  it("a word from a variable that matches nothing lists the choices without quoting the value", () => {
    expect(problems('    api: "${API}"\n', { API: "zzzzzzzz" })).toEqual([
      "providers.openai.api: unknown api; expected one of chat, responses"
    ])
  })

  it.effect("numbers: a variable's text, trimmed, is the number; empty or blank text is not a number", () =>
    Effect.gen(function* () {
      const config = yield* parseConfig(`${base}cost_tracking:\n  budget_usd: "\${B}"\n`, { env: { B: " 12.5 " } })
      expect(config.costTracking.budgetUsd).toBe(12.5)
      const notANumber =
        "cost_tracking.budget_usd: expected a number greater than 0 (USD); the environment variable does not hold one"
      for (const B of ["", "   ", "abc"])
        expect(problems('cost_tracking:\n  budget_usd: "${B}"\n', { B })).toEqual([notANumber])
      // An unset variable is reported once, as unset.
      expect(problems('cost_tracking:\n  budget_usd: "${B}"\n')).toEqual([
        "cost_tracking.budget_usd: environment variable B is not set; export it, or write ${B:-...} for a default"
      ])
    })
  )

  it.effect("booleans: a variable's text true or false, any case and spacing; a quoted literal is not one", () =>
    Effect.gen(function* () {
      const read = (V: string) =>
        Effect.map(
          parseConfig(`${base}discovery:\n  validate: "\${V}"\n`, { env: { V } }),
          (config) => config.discovery.validate
        )
      expect([yield* read(" TRUE "), yield* read("False")]).toEqual([true, false])
      expect(problems('discovery:\n  validate: "${V}"\n', { V: "yes" })).toEqual([
        "discovery.validate: expected true or false, got a string"
      ])
      expect(problems('discovery:\n  validate: "true"\n')).toEqual([
        "discovery.validate: expected true or false, got a string"
      ])
      expect(problems("discovery:\n  validate: 1\n")).toEqual([
        "discovery.validate: expected true or false, got a number"
      ])
      expect(problems('discovery:\n  validate: "${V}"\n')).toEqual([
        "discovery.validate: environment variable V is not set; export it, or write ${V:-...} for a default"
      ])
    })
  )
})

describe("bounds, model ids and one problem per key", () => {
  it("an exclusive bound rejects the bound itself", () => {
    expect(problems("cost_tracking:\n  budget_usd: 0\n")).toEqual([
      "cost_tracking.budget_usd: must be a number greater than 0 (USD)"
    ])
  })

  it("a negative duration must be 0 or more; a turn-off-able timeout says 0 turns it off", () => {
    expect(problems("discovery:\n  ttl: -5\n")).toEqual(["discovery.ttl: must be 0 or more"])
    expect(problems("request_timeout: -5\n")).toEqual(["request_timeout: must be 0 (off) or more"])
  })

  it("a model id in the fallback chain of an unknown provider is checked against every provider's rules", () => {
    expect(problems("fallback:\n  chain:\n    - { provider: nope, model: ../x }\n")).toEqual([
      expect.stringMatching(/^fallback\.chain\[0\]\.provider: unknown provider "nope"/),
      expect.stringMatching(/^fallback\.chain\[0\]\.model: is not a valid model id: /)
    ])
  })

  it("a region whose variable is unset is one problem, not also 'is required'", () => {
    expect(
      checkConfig(
        'active_provider: bedrock\nactive_model: amazon.nova-micro-v1:0\nproviders:\n  bedrock:\n    region: "${REGION}"\n',
        { env: {} }
      ).map((p) => `${p.path}: ${p.message}`)
    ).toEqual([
      "providers.bedrock.region: environment variable REGION is not set; export it, or write ${REGION:-...} for a default"
    ])
  })
})

describe("variable references", () => {
  const key = (value: string, env: Record<string, string>) =>
    parseConfig(
      `active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: "${value}"\n`,
      {
        env
      }
    )

  it("a reference with no name, or a name followed by anything but a default, is invalid", () => {
    for (const value of ["${}", "${1X}", "${A B}", "${A:x}"])
      expect(problems(`    base_url: "${value}"\n`), value).toEqual([
        "providers.openai.base_url: has an invalid variable reference; write ${NAME} or ${NAME:-default}"
      ])
  })

  it.effect("a lone $ or { inside a default is text, not a nested reference", () =>
    Effect.gen(function* () {
      const config = yield* key("${K:-a$b{c}", {})
      expect(Redacted.value(seeds(config).openai!.apiKey)).toBe("a$b{c")
    })
  )

  it("a variable that replaced a default is named when its value breaks a header", () => {
    expect(problems('    organization: "${ORG:-org-1}"\n', { ORG: "org-2\n" })).toEqual([
      expect.stringMatching(/; environment variable ORG holds it: remove it there/)
    ])
  })
})
