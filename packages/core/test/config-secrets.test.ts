// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config texts deliberately contain ${VAR} references

import { inspect } from "node:util"
import { describe, expect, it } from "@effect/vitest"
import { Effect, Exit, Redacted } from "effect"
import { checkConfig, parseConfig } from "llm-orchestrator"
import { seeds } from "./config-support.ts"

const canary = "sk-SECRET-canary-1234567890"
/** Any recognisable piece of the canary (a message quoting part of a key still leaks it). */
const leaks = (text: string) => text.includes("SECRET-canary") || text.includes("canary-1234567890")

/** Every secret field of every provider, holding `value`. */
const allSecrets = (value: string, extra = "") => `active_provider: openai
active_model: gpt-4o-mini
providers:
  openai:
    api_key: ${value}
  anthropic:
    api_key: ${value}
  gemini:
    api_key: ${value}
  vertex:
    api_key: ${value}
  bedrock:
    region: us-east-1
    access_key_id: ${value}
    secret_access_key: ${value}
    session_token: ${value}
${extra}`

const literal = JSON.stringify(canary)
const env = { OPENAI_API_KEY: canary }

interface SecretCase {
  readonly name: string
  readonly yaml: string
  /** Paths the problems must include, so each case is known to fail where it claims. */
  readonly paths: ReadonlyArray<string>
}

const badCases: ReadonlyArray<SecretCase> = [
  {
    name: "secrets in every field, an unrelated problem elsewhere",
    yaml: allSecrets(literal, "cost_tracking: { budget_usd: -1 }\n"),
    paths: ["cost_tracking.budget_usd"]
  },
  {
    name: "secrets from a variable, an unrelated problem elsewhere",
    yaml: allSecrets('"${OPENAI_API_KEY}"', "retry: { max_attempts: 0 }\n"),
    paths: ["retry.max_attempts"]
  },
  {
    name: "secret fields of the wrong type (list, mapping keyed by the secret)",
    yaml: allSecrets(literal)
      .replace(`openai:\n    api_key: ${literal}`, `openai:\n    api_key: [${literal}]`)
      .replace(`gemini:\n    api_key: ${literal}`, `gemini:\n    api_key: { ${literal}: ${literal} }`),
    paths: ["providers.openai.api_key", "providers.gemini.api_key"]
  },
  {
    name: "misspelled secret keys",
    yaml: allSecrets(literal)
      .replace("    api_key:", "    api_kye:")
      .replace("access_key_id:", "access_key:")
      .replace("session_token:", "sesion_token:"),
    paths: ["providers.openai.api_kye", "providers.bedrock.access_key", "providers.bedrock.sesion_token"]
  },
  {
    name: "bedrock: half a key pair, and profile with keys",
    yaml: `active_provider: bedrock
active_model: m
providers:
  bedrock:
    region: us-east-1
    profile: dev
    access_key_id: ${literal}
    session_token: ${literal}
`,
    paths: ["providers.bedrock.secret_access_key", "providers.bedrock.profile"]
  },
  {
    name: "invalid YAML: an unclosed quote around a secret",
    yaml: allSecrets(literal).replace(`api_key: ${literal}`, `api_key: "${canary}`),
    paths: [""]
  },
  {
    name: "invalid YAML: a bad escape inside a secret",
    yaml: allSecrets(literal).replace(`api_key: ${literal}`, '"api_key": "sk-SECRET-canary-\\q1234567890"'),
    paths: [""]
  },
  {
    name: "invalid YAML: a secret key written twice",
    yaml: allSecrets(literal).replace(`api_key: ${literal}`, `api_key: ${literal}\n    api_key: ${literal}`),
    paths: [""]
  },
  {
    name: "a secret variable used where other values belong",
    yaml: `active_provider: \${OPENAI_API_KEY}
active_model: gpt-4o-mini
providers:
  openai:
    api_key: k
    api: \${OPENAI_API_KEY}
    timeout: \${OPENAI_API_KEY}
    base_url: \${OPENAI_API_KEY}
retry: { max_attempts: "\${OPENAI_API_KEY}", initial_delay: "\${OPENAI_API_KEY}" }
fallback: { chain: [{ provider: "\${OPENAI_API_KEY}", model: m }], on_content_filter: "\${OPENAI_API_KEY}" }
cost_tracking: { enabled: "\${OPENAI_API_KEY}", budget_usd: "\${OPENAI_API_KEY}" }
`,
    paths: [
      "active_provider",
      "providers.openai.api",
      "providers.openai.timeout",
      "providers.openai.base_url",
      "retry.max_attempts",
      "retry.initial_delay",
      "fallback.chain[0].provider",
      "fallback.on_content_filter",
      "cost_tracking.enabled",
      "cost_tracking.budget_usd"
    ]
  },
  {
    name: "a secret written literally where other values belong",
    yaml: `active_provider: openai
active_model: gpt-4o-mini
providers:
  openai:
    api_key: k
    timeout: ${literal}
    base_url: "ftp://user:${canary}@proxy"
    fallback_models: ${literal}
cost_tracking: { enabled: ${literal}, budget_usd: ${literal}, prices: { m: { input: ${literal}, output: 1 } } }
`,
    paths: [
      "providers.openai.timeout",
      "providers.openai.base_url",
      "providers.openai.fallback_models",
      "cost_tracking.enabled",
      "cost_tracking.budget_usd",
      "cost_tracking.prices.m.input"
    ]
  },
  {
    name: "a malformed reference around a secret",
    yaml: allSecrets('"${sk-SECRET-canary-1234567890}"'),
    paths: ["providers.openai.api_key"]
  }
]

describe("no secret ever appears in a problem, an error, or a loaded config", () => {
  for (const testCase of badCases) {
    it.effect(testCase.name, () =>
      Effect.gen(function* () {
        const problems = checkConfig(testCase.yaml, { env })
        const paths = problems.map((problem) => problem.path)
        for (const path of testCase.paths) expect(paths).toContain(path)
        for (const problem of problems) {
          expect(leaks(problem.path) || leaks(problem.message), `${problem.path}: ${problem.message}`).toBe(false)
        }
        const error = yield* Effect.flip(parseConfig(testCase.yaml, { env }))
        expect(error.problems).toEqual(problems)
        for (const shown of [
          error.message,
          JSON.stringify(error),
          String(error),
          inspect(error, { depth: Number.POSITIVE_INFINITY }),
          error.stack ?? ""
        ]) {
          expect(leaks(shown), shown).toBe(false)
        }
        // What a Promise user sees when loading fails.
        const rejection = yield* Effect.promise(() =>
          Effect.runPromise(parseConfig(testCase.yaml, { env })).then(
            () => "resolved",
            (thrown: unknown) => `${String(thrown)}\n${inspect(thrown, { depth: Number.POSITIVE_INFINITY })}`
          )
        )
        expect(rejection).not.toBe("resolved")
        expect(leaks(rejection), rejection).toBe(false)
        const exit = yield* Effect.exit(parseConfig(testCase.yaml, { env }))
        expect(Exit.isFailure(exit)).toBe(true)
        expect(leaks(inspect(exit, { depth: Number.POSITIVE_INFINITY }))).toBe(false)
      })
    )
  }

  const validCases: ReadonlyArray<[string, string, Record<string, string>]> = [
    ["literal secrets", allSecrets(literal), {}],
    ["secrets from variables", allSecrets('"${OPENAI_API_KEY}"'), env],
    ["secrets from a variable default", allSecrets('"${UNSET_KEY:-sk-SECRET-canary-1234567890}"'), {}],
    ["secrets behind an unknown tag", allSecrets(`!vault ${literal}`), {}]
  ]
  for (const [name, yaml, variables] of validCases) {
    it.effect(`the loaded config hides every secret (${name})`, () =>
      Effect.gen(function* () {
        const config = yield* parseConfig(yaml, { env: variables })
        const { openai, anthropic, gemini, vertex, bedrock } = seeds(config)
        const secrets = [
          openai!.apiKey,
          anthropic!.apiKey,
          gemini!.apiKey,
          vertex!.apiKey!,
          bedrock!.accessKeyId!,
          bedrock!.secretAccessKey!,
          bedrock!.sessionToken!
        ]
        // The secrets are really there (so the checks below can fail)...
        expect(secrets.map(Redacted.value)).toEqual(secrets.map(() => canary))
        expect(leaks(inspect(secrets.map(Redacted.value)))).toBe(true)
        // ...and nothing that prints the config shows them.
        for (const shown of [
          inspect(config, { depth: Number.POSITIVE_INFINITY }),
          JSON.stringify(config),
          String(config),
          `${openai!.apiKey}`,
          secrets.map(String).join(",")
        ]) {
          expect(leaks(shown), shown).toBe(false)
        }
      })
    )
  }
})
