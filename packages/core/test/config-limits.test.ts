// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config texts deliberately contain ${VAR} references
/**
 * Config parsing stays linear and bounded on large or hostile files: 20,000 keys in one mapping (yaml's
 * own duplicate-key check is quadratic), `${...}` defaults nested 5,000 deep (a stack overflow before),
 * and values bound for HTTP headers holding a CR/LF or another control character (a NetworkError on
 * every request before, now a ConfigError at load that names the key and the variable, never the value).
 */
import { mkdtempSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { ConfigError } from "@llm-orchestrator/core"
import { Effect } from "effect"
import { checkConfig, loadConfig, parseConfig } from "llm-orchestrator"

const base = "active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: k\n"

const timed = <A>(label: string, run: () => A): A => {
  const started = performance.now()
  const result = run()
  // Reported, never asserted: wall-clock bounds would be flaky on a shared machine.
  console.log(`${label}: ${Math.round(performance.now() - started)} ms`)
  return result
}

describe("large configs parse in linear time", () => {
  const prices = (count: number) =>
    Array.from({ length: count }, (_, i) => `    model-${i}: { input: 1, output: 2 }`).join("\n")

  it("20,000 price entries parse; a key written twice among them is reported at its line", () => {
    const text = `${base}cost_tracking:\n  prices:\n${prices(20_000)}\n    model-17: { input: 3, output: 4 }\n`
    const problems = timed("20,000 keys + 1 duplicate", () => checkConfig(text))
    const duplicateLine = base.split("\n").length - 1 + 2 + 20_000 + 1
    expect(problems).toEqual([
      { path: "", message: `invalid YAML at line ${duplicateLine}, column 5: Map keys must be unique` }
    ])
  }, 120_000) // generous: a shared machine can be slow; the time is printed, not asserted

  it("20,000 unknown keys are each reported", () => {
    const unknown = Array.from({ length: 20_000 }, (_, i) => `unknown_key_${i}: ${i}`).join("\n")
    const problems = timed("20,000 unknown keys", () => checkConfig(`${base}${unknown}\n`))
    expect(problems).toHaveLength(20_000)
    expect(problems[0]).toMatchObject({ path: "unknown_key_0" })
  }, 120_000)

  it("duplicates are found in nested and flow mappings; repeated merge keys (<<) stay allowed", () => {
    const nested = `${base}    timeout: 30\n    timeout: 40\n`
    expect(checkConfig(nested)).toEqual([
      { path: "", message: "invalid YAML at line 7, column 5: Map keys must be unique" }
    ])
    const flow = `${base}retry: { max_attempts: 2, max_attempts: 3 }\n`
    expect(checkConfig(flow)).toEqual([
      { path: "", message: "invalid YAML at line 6, column 27: Map keys must be unique" }
    ])
    const merges = `defaults: &d { timeout: 30 }\nlimits: &l { base_url: "http://127.0.0.1:9/v1" }\n${base}    <<: *d\n    <<: *l\n`
    expect(checkConfig(merges).map((p) => p.path)).toEqual(["defaults", "limits"]) // unknown top-level keys only
  })
})

describe("${...} nesting is bounded", () => {
  const nested = (depth: number) => `${"${A:-".repeat(depth)}k${"}".repeat(depth)}`

  it.effect("5,000 levels: a ConfigError naming the key, not a stack overflow", () =>
    Effect.gen(function* () {
      const text = base.replace("api_key: k", `api_key: "${nested(5_000)}"`)
      const error: ConfigError = yield* Effect.flip(parseConfig(text, { env: {} }))
      expect(error.problems).toEqual([
        {
          path: "providers.openai.api_key",
          message: "nests ${...} references more than 32 levels deep; simplify the default"
        }
      ])
    })
  )

  it("32 levels expand; 33 do not", () => {
    const at = (depth: number) => checkConfig(base.replace("api_key: k", `api_key: "${nested(depth)}"`), { env: {} })
    expect(at(32)).toEqual([])
    expect(at(33).map((p) => p.path)).toEqual(["providers.openai.api_key"])
  })
})

describe("values bound for HTTP headers", () => {
  const secret = "sk-abc123canary"
  const every = `active_provider: openai
active_model: gpt-4o-mini
providers:
  openai:
    api_key: \${OPENAI_API_KEY}
    organization: \${OPENAI_ORG_ID}
    project: \${OPENAI_PROJECT_ID}
  anthropic:
    api_key: \${ANTHROPIC_API_KEY}
  gemini:
    api_key: \${GEMINI_API_KEY}
  vertex:
    api_key: \${VERTEX_API_KEY}
  bedrock:
    region: us-east-1
    access_key_id: \${AWS_ACCESS_KEY_ID}
    secret_access_key: \${AWS_SECRET_ACCESS_KEY}
    session_token: \${AWS_SESSION_TOKEN}
`
  const variables = [
    ["providers.openai.api_key", "OPENAI_API_KEY"],
    ["providers.openai.organization", "OPENAI_ORG_ID"],
    ["providers.openai.project", "OPENAI_PROJECT_ID"],
    ["providers.anthropic.api_key", "ANTHROPIC_API_KEY"],
    ["providers.gemini.api_key", "GEMINI_API_KEY"],
    ["providers.vertex.api_key", "VERTEX_API_KEY"],
    ["providers.bedrock.access_key_id", "AWS_ACCESS_KEY_ID"],
    ["providers.bedrock.secret_access_key", "AWS_SECRET_ACCESS_KEY"],
    ["providers.bedrock.session_token", "AWS_SESSION_TOKEN"]
  ] as const

  it.effect("an API key with CRLF from the environment: a ConfigError at load naming the key, never the value", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "llm-orchestrator-config-"))
      const path = join(dir, "config.yaml")
      writeFileSync(path, base.replace("api_key: k", "api_key: ${OPENAI_API_KEY}"))
      const error = yield* Effect.flip(loadConfig(path, { env: { OPENAI_API_KEY: `${secret}\r\nX-Injected: yes` } }))
      expect(error.problems).toEqual([
        {
          path: "providers.openai.api_key",
          message:
            "contains a line break (CR or LF), which cannot be sent in an HTTP header (printable ASCII characters only); environment variable OPENAI_API_KEY holds it: remove it there (a file read with its trailing newline, for example)"
        }
      ])
      expect(error.message).not.toContain("canary")
      expect(error.message).not.toContain("X-Injected")
    })
  )

  it("every header-bound key, each with a different bad character, is reported with its variable", () => {
    const bad = ["\n", "\r", "\t", "\u0000", "\u007f", "\u00e9", "\u2028", "\r\n", "\u001b"]
    const env = Object.fromEntries(variables.map(([, name], i) => [name, `${secret}${bad[i]}tail`]))
    const problems = checkConfig(every, { env })
    expect(problems.map((p) => p.path)).toEqual(variables.map(([path]) => path))
    for (const [i, problem] of problems.entries()) {
      expect(problem.message).toContain(`environment variable ${variables[i]![1]} holds it`)
      expect(problem.message).not.toContain("canary")
    }
    expect(problems.map((p) => p.message.replace(/, which.*$/, ""))).toEqual([
      "contains a line break (CR or LF)",
      "contains a line break (CR or LF)",
      "contains a control character",
      "contains a control character",
      "contains a control character",
      "contains a non-ASCII character",
      "contains a non-ASCII character",
      "contains a line break (CR or LF)",
      "contains a control character"
    ])
  })

  it("clean values load; spaces inside organization stay allowed (a header can carry them)", () => {
    const env = Object.fromEntries(variables.map(([, name]) => [name, `${name}-value`]))
    expect(checkConfig(every, { env: { ...env, OPENAI_ORG_ID: "my org" } })).toEqual([])
  })

  it("a control character written in the file itself is reported as such", () => {
    const problems = checkConfig(base.replace("api_key: k", 'api_key: "sk-abc\\tdef"'))
    expect(problems).toEqual([
      {
        path: "providers.openai.api_key",
        message:
          "contains a control character, which cannot be sent in an HTTP header (printable ASCII characters only); remove it from the config file"
      }
    ])
  })
})
