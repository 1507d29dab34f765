// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config texts deliberately contain ${VAR} references
import { chmodSync, existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { ConfigProblem } from "@llm-orchestrator/core"
import { Effect } from "effect"
import { checkConfig, loadConfig, parseConfig } from "llm-orchestrator"

const providerList = "openai, anthropic, gemini, bedrock, vertex, openai-compatible"
const ownName = "(a name of your own needs type: set to one of them)"
const topKeys =
  "active_provider, active_model, providers, retry, fallback, circuit_breaker, discovery, cost_tracking, request_timeout, telemetry"

/** A valid config plus `extra` lines (top-level keys, or more settings of providers.openai when indented). */
const withOpenAI = (extra = "") =>
  `active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: sk-test\n${extra}`

interface Case {
  readonly name: string
  readonly yaml: string
  readonly env?: Record<string, string>
  readonly problems: ReadonlyArray<ConfigProblem>
}

const cases: ReadonlyArray<Case> = [
  // ---- environment variables
  {
    name: "missing variable names the variable and the key path",
    yaml: 'active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: "${OPENAI_API_KEY}"\n',
    problems: [
      {
        path: "providers.openai.api_key",
        message:
          "environment variable OPENAI_API_KEY is not set; export it, or write ${OPENAI_API_KEY:-...} for a default"
      }
    ]
  },
  {
    name: "each missing variable inside a longer string",
    yaml: withOpenAI('    base_url: "http://${SIM_HOST}:${SIM_PORT:-8080}/${SIM_PATH}"\n'),
    problems: [
      {
        path: "providers.openai.base_url",
        message: "environment variable SIM_HOST is not set; export it, or write ${SIM_HOST:-...} for a default"
      },
      {
        path: "providers.openai.base_url",
        message: "environment variable SIM_PATH is not set; export it, or write ${SIM_PATH:-...} for a default"
      }
    ]
  },
  {
    name: "a required secret whose variable is set but empty",
    yaml: withOpenAI().replace("sk-test", "${OPENAI_API_KEY}"),
    env: { OPENAI_API_KEY: "" },
    problems: [
      {
        path: "providers.openai.api_key",
        message: 'is empty: environment variable OPENAI_API_KEY is set to ""; give it a value'
      }
    ]
  },
  {
    name: "an unclosed ${",
    yaml: withOpenAI('    organization: "${OPENAI_ORG"\n'),
    problems: [
      {
        path: "providers.openai.organization",
        message: 'has an unclosed "${"; close it with "}", or write $$ for a literal dollar'
      }
    ]
  },
  {
    name: "an invalid variable reference",
    yaml: withOpenAI('    organization: "${OPENAI-ORG}"\n'),
    problems: [
      {
        path: "providers.openai.organization",
        message: "has an invalid variable reference; write ${NAME} or ${NAME:-default}"
      }
    ]
  },
  {
    name: "a number key whose variable is not a number",
    yaml: withOpenAI('cost_tracking: { budget_usd: "${BUDGET}" }\n'),
    env: { BUDGET: "ten dollars" },
    problems: [
      {
        path: "cost_tracking.budget_usd",
        message: "expected a number greater than 0 (USD); the environment variable does not hold one"
      }
    ]
  },
  // ---- wrong types
  {
    name: "a number where a string is expected",
    yaml: withOpenAI().replace("active_model: gpt-4o-mini", "active_model: 4"),
    problems: [{ path: "active_model", message: "expected a string, got a number; put it in quotes" }]
  },
  {
    name: "a string where a list of models is expected",
    yaml: withOpenAI("    fallback_models: gpt-4o\n"),
    problems: [
      {
        path: "providers.openai.fallback_models",
        message: "expected a list of model names such as [gpt-4o-mini], got a string"
      }
    ]
  },
  {
    name: "yes is not a boolean in YAML 1.2",
    yaml: withOpenAI("cost_tracking:\n  enabled: yes\n"),
    problems: [{ path: "cost_tracking.enabled", message: "expected true or false, got a string" }]
  },
  {
    name: "a section that is not a mapping names its keys",
    yaml: withOpenAI("retry: 3\n"),
    problems: [
      {
        path: "retry",
        message: "expected a mapping (max_attempts, initial_delay, max_delay, max_retry_after), got a number"
      }
    ]
  },
  {
    name: "providers as a list (the active provider is not reported again)",
    yaml: "active_provider: openai\nactive_model: gpt-4o\nproviders:\n  - openai\n",
    problems: [
      {
        path: "providers",
        message: `expected a mapping of provider names (${providerList}) to their settings, got a list`
      }
    ]
  },
  {
    name: "a provider's settings as a string",
    yaml: "active_provider: openai\nactive_model: gpt-4o\nproviders:\n  openai: sk-test\n",
    problems: [
      {
        path: "providers.openai",
        message:
          "expected a mapping of openai settings (type, api_key, fallback_models, base_url, timeout, idle_timeout, organization, project, api), got a string"
      }
    ]
  },
  // ---- unknown keys and providers
  {
    name: "unknown key with a suggestion (a transposition)",
    yaml: withOpenAI().replace("api_key", "api_kye"),
    problems: [
      { path: "providers.openai.api_kye", message: "unknown key; did you mean api_key?" },
      { path: "providers.openai.api_key", message: "is required; set it to ${OPENAI_API_KEY}" }
    ]
  },
  {
    name: "camelCase key suggests its snake_case form",
    yaml: withOpenAI().replace("active_model", "activeModel"),
    problems: [
      { path: "activeModel", message: "unknown key; did you mean active_model?" },
      { path: "active_model", message: "is required; set it to the model to use, e.g. gpt-4o-mini" }
    ]
  },
  {
    name: "unknown key without a close match lists the keys",
    yaml: withOpenAI("colour: blue\n"),
    problems: [{ path: "colour", message: `unknown key; the keys here are ${topKeys}` }]
  },
  {
    name: "a key of another provider says whose it is",
    yaml: withOpenAI("    region: us-east-1\n"),
    problems: [
      {
        path: "providers.openai.region",
        message:
          "unknown key for openai (region is a key of bedrock); the keys here are type, api_key, fallback_models, base_url, timeout, idle_timeout, organization, project, api"
      }
    ]
  },
  {
    name: "unknown provider with a suggestion (the active provider is not reported twice)",
    yaml: withOpenAI().replace("  openai:", "  opnai:"),
    problems: [
      {
        path: "providers.opnai",
        message: `unknown provider; did you mean openai? Providers: ${providerList} ${ownName}`
      }
    ]
  },
  {
    name: "unknown provider without a close match",
    yaml: withOpenAI("  mistral:\n    api_key: x\n"),
    problems: [
      { path: "providers.mistral", message: `unknown provider; the provider types are ${providerList} ${ownName}` }
    ]
  },
  // ---- active provider and model
  {
    name: "active_provider not configured under providers",
    yaml: withOpenAI().replace("active_provider: openai", "active_provider: anthropic"),
    problems: [
      {
        path: "active_provider",
        message: 'provider "anthropic" is not configured; add it under providers (configured: openai)'
      }
    ]
  },
  {
    name: "active_provider misspelled",
    yaml: withOpenAI().replace("active_provider: openai", "active_provider: gemni"),
    problems: [
      {
        path: "active_provider",
        message: `unknown provider "gemni"; the providers are openai`
      }
    ]
  },
  {
    name: "active_provider missing",
    yaml: withOpenAI().replace("active_provider: openai\n", ""),
    problems: [{ path: "active_provider", message: "is required; set it to the provider to use (openai)" }]
  },
  {
    name: "active_model empty",
    yaml: withOpenAI().replace("active_model: gpt-4o-mini", 'active_model: ""'),
    problems: [{ path: "active_model", message: "is empty; set it to the model to use, e.g. gpt-4o-mini" }]
  },
  {
    name: "providers missing",
    yaml: "active_provider: openai\nactive_model: gpt-4o\n",
    problems: [{ path: "providers", message: `is required; configure at least one provider (${providerList})` }]
  },
  {
    name: "providers empty",
    yaml: "active_provider: openai\nactive_model: gpt-4o\nproviders: {}\n",
    problems: [{ path: "providers", message: `is empty; configure at least one provider (${providerList})` }]
  },
  // ---- fallback models
  {
    name: "empty fallback list",
    yaml: withOpenAI("    fallback_models: []\n"),
    problems: [
      {
        path: "providers.openai.fallback_models",
        message: "is empty; remove the key, or add a model such as [gpt-4o-mini]"
      }
    ]
  },
  {
    name: "fallback_models written with no items",
    yaml: "active_provider: anthropic\nactive_model: m\nproviders:\n  anthropic:\n    api_key: k\n    fallback_models:\n",
    problems: [
      {
        path: "providers.anthropic.fallback_models",
        message: "is empty; remove the key, or add a model such as [claude-sonnet-4-5]"
      }
    ]
  },
  {
    name: "bad fallback model entries, each by index",
    yaml: withOpenAI('    fallback_models: [gpt-4o, "", 7, null]\n'),
    problems: [
      { path: "providers.openai.fallback_models[1]", message: "is empty; write a model name" },
      {
        path: "providers.openai.fallback_models[2]",
        message: "expected a model name, got a number; put it in quotes"
      },
      { path: "providers.openai.fallback_models[3]", message: "is empty; write a model name, or remove the item" }
    ]
  },
  // ---- the file as a whole
  {
    name: "invalid YAML reports the line and column (unclosed quote)",
    yaml: 'active_provider: openai\nactive_model: gpt-4o\nproviders:\n  openai:\n    api_key: "sk-never-closed\n',
    problems: [{ path: "", message: 'invalid YAML at line 6, column 1: Missing closing "quote' }]
  },
  {
    name: "invalid YAML: a mapping item out of line",
    yaml: "active_provider: openai\nactive_model: gpt-4o\nproviders:\n  openai:\n    api_key: k\n   timeout: 3\n",
    problems: [
      { path: "", message: "invalid YAML at line 6, column 1: All mapping items must start at the same column" }
    ]
  },
  {
    name: "invalid YAML: a key written twice",
    yaml: withOpenAI("active_model: gpt-4o\n"),
    problems: [{ path: "", message: "invalid YAML at line 6, column 1: Map keys must be unique" }]
  },
  {
    name: "an alias to a missing anchor",
    yaml: withOpenAI("    fallback_models: *models\n"),
    problems: [{ path: "", message: "invalid YAML: Unresolved alias (the anchor must be set before the alias)" }]
  },
  {
    name: "empty file",
    yaml: "  \n\n",
    problems: [
      { path: "", message: "the config is empty; it needs at least active_provider, active_model and providers" }
    ]
  },
  {
    name: "a file of comments only",
    yaml: "# nothing yet\n",
    problems: [
      {
        path: "",
        message: "the config is empty (only comments); it needs at least active_provider, active_model and providers"
      }
    ]
  },
  {
    name: "a list at the root",
    yaml: "- active_provider: openai\n",
    problems: [
      {
        path: "",
        message: "the config must be a mapping of keys (active_provider, active_model, providers, ...), got a list"
      }
    ]
  },
  {
    name: "a scalar at the root",
    yaml: "openai\n",
    problems: [
      {
        path: "",
        message: "the config must be a mapping of keys (active_provider, active_model, providers, ...), got a string"
      }
    ]
  },
  // ---- values out of range
  {
    name: "bad duration string",
    yaml: withOpenAI('    timeout: "5 minutes"\n'),
    problems: [
      {
        path: "providers.openai.timeout",
        message:
          'expected a duration: a number of seconds, or a string such as "500ms", "30s", "2m" or "1h", or 0 / "none" to turn it off'
      }
    ]
  },
  {
    name: "a negative timeout and a negative cooldown (0 turns a timeout off: not a problem)",
    yaml: withOpenAI(
      "    timeout: -1\n    idle_timeout: 0\ncircuit_breaker: { cooldown: -1, failure_threshold: 0 }\nrequest_timeout: -2\n"
    ),
    problems: [
      { path: "providers.openai.timeout", message: "must be 0 (off) or more" },
      { path: "circuit_breaker.failure_threshold", message: "must be a whole number of at least 1" },
      { path: "circuit_breaker.cooldown", message: "must be 0 or more" },
      { path: "request_timeout", message: "must be 0 (off) or more" }
    ]
  },
  {
    name: "cost log buffer bound and fsync policy",
    yaml: withOpenAI("cost_tracking: { max_buffered_records: 0.5, fsync: always }\n"),
    problems: [
      {
        path: "cost_tracking.max_buffered_records",
        message: "must be a whole number of at least 1 (records kept in memory while the log cannot be written)"
      },
      { path: "cost_tracking.fsync", message: 'unknown value "always"; expected one of batch, none' }
    ]
  },
  {
    name: "negative and zero budgets",
    yaml: withOpenAI("cost_tracking: { budget_usd: -5 }\n"),
    problems: [{ path: "cost_tracking.budget_usd", message: "must be a number greater than 0 (USD)" }]
  },
  {
    name: "allow_unpriced is a boolean, reserve_output_tokens a whole number of at least 1",
    yaml: withOpenAI("cost_tracking: { allow_unpriced: maybe, reserve_output_tokens: 0.5 }\n"),
    problems: [
      { path: "cost_tracking.allow_unpriced", message: "expected true or false, got a string" },
      { path: "cost_tracking.reserve_output_tokens", message: "must be a whole number of at least 1 (output tokens)" }
    ]
  },
  {
    name: "max_attempts must be a whole number of at least 1",
    yaml: withOpenAI("retry: { max_attempts: 2.5 }\n"),
    problems: [
      {
        path: "retry.max_attempts",
        message: "must be a whole number of at least 1 (tries per model, the first included)"
      }
    ]
  },
  {
    name: "max_attempts written as a word",
    yaml: withOpenAI("retry: { max_attempts: three }\n"),
    problems: [
      {
        path: "retry.max_attempts",
        message: "expected a whole number of at least 1 (tries per model, the first included), got a string"
      }
    ]
  },
  {
    name: "max_delay below initial_delay",
    yaml: withOpenAI("retry: { initial_delay: 2s, max_delay: 500ms }\n"),
    problems: [{ path: "retry.max_delay", message: "must be at least initial_delay" }]
  },
  {
    name: "prices: negative, missing output, misspelled key, quoted model id in the path",
    yaml: withOpenAI('cost_tracking:\n  prices:\n    "gpt-4.1": { input: -2, cach_read: 1 }\n    gpt-4o: 3\n'),
    problems: [
      { path: 'cost_tracking.prices["gpt-4.1"].cach_read', message: "unknown key; did you mean cache_read?" },
      {
        path: 'cost_tracking.prices["gpt-4.1"].input',
        message: "must be a number that is not negative (USD per million tokens)"
      },
      { path: 'cost_tracking.prices["gpt-4.1"].output', message: "is required (USD per million output tokens)" },
      {
        path: "cost_tracking.prices.gpt-4o",
        message:
          "expected a mapping {input, output, cache_read, cache_write, cache_write_1h, web_search_per_thousand}, got a number"
      }
    ]
  },
  // ---- fallback chain
  {
    name: "chain entry to an unconfigured provider",
    yaml: withOpenAI(
      "fallback:\n  chain:\n    - { provider: openai, model: gpt-4o }\n    - { provider: gemini, model: gemini-2.5-flash }\n"
    ),
    problems: [
      {
        path: "fallback.chain[1].provider",
        message: 'provider "gemini" is not configured; add it under providers (configured: openai)'
      }
    ]
  },
  {
    name: "chain entries: a string, a missing model, a misspelled key",
    yaml: withOpenAI(
      "fallback:\n  chain:\n    - openai/gpt-4o\n    - { provider: openai }\n    - { provider: openai, modle: gpt-4o }\n"
    ),
    problems: [
      { path: "fallback.chain[0]", message: "expected a mapping {provider, model}, got a string" },
      { path: "fallback.chain[1].model", message: "is required; set it to a model name" },
      { path: "fallback.chain[2].modle", message: "unknown key; did you mean model?" },
      { path: "fallback.chain[2].model", message: "is required; set it to a model name" }
    ]
  },
  {
    name: "chain that is not a list",
    yaml: withOpenAI("fallback:\n  chain: { provider: openai, model: gpt-4o }\n"),
    problems: [{ path: "fallback.chain", message: "expected a list of {provider, model} entries, got a mapping" }]
  },
  // ---- provider specifics
  {
    name: "anthropic without api_key",
    yaml: withOpenAI("  anthropic:\n    fallback_models: [claude-sonnet-4-5]\n"),
    problems: [{ path: "providers.anthropic.api_key", message: "is required; set it to ${ANTHROPIC_API_KEY}" }]
  },
  {
    name: "gemini written with no settings",
    yaml: withOpenAI("  gemini:\n"),
    problems: [{ path: "providers.gemini.api_key", message: "is required; set it to ${GEMINI_API_KEY}" }]
  },
  {
    name: "openai api is chat or responses",
    yaml: withOpenAI("    api: completions\n"),
    problems: [{ path: "providers.openai.api", message: 'unknown api "completions"; expected one of chat, responses' }]
  },
  {
    name: "openai api misspelled",
    yaml: withOpenAI("    api: response\n"),
    problems: [
      {
        path: "providers.openai.api",
        message: 'unknown api "response"; did you mean responses? Expected one of chat, responses'
      }
    ]
  },
  {
    name: "base_url must be an http(s) URL",
    yaml: withOpenAI("    base_url: localhost:8080/v1\n"),
    problems: [
      { path: "providers.openai.base_url", message: 'expected an http(s) URL such as "http://127.0.0.1:8080/v1"' }
    ]
  },
  {
    name: "bedrock without a region or AWS_REGION",
    yaml: "active_provider: bedrock\nactive_model: m\nproviders:\n  bedrock: {}\n",
    problems: [{ path: "providers.bedrock.region", message: "is required; set providers.bedrock.region or AWS_REGION" }]
  },
  {
    name: "bedrock access key without its secret",
    yaml: "active_provider: bedrock\nactive_model: m\nproviders:\n  bedrock:\n    region: us-east-1\n    access_key_id: AKIA1\n",
    problems: [
      {
        path: "providers.bedrock.secret_access_key",
        message:
          "is required when access_key_id is set (static AWS keys go together); or remove access_key_id to use the default AWS credential chain"
      }
    ]
  },
  {
    name: "bedrock secret without its access key id (also when the id expands to empty)",
    yaml: 'active_provider: bedrock\nactive_model: m\nproviders:\n  bedrock:\n    region: us-east-1\n    access_key_id: "${AK:-}"\n    secret_access_key: s\n',
    problems: [
      {
        path: "providers.bedrock.access_key_id",
        message:
          "is required when secret_access_key is set (static AWS keys go together); or remove secret_access_key to use the default AWS credential chain"
      }
    ]
  },
  {
    name: "bedrock session token alone",
    yaml: "active_provider: bedrock\nactive_model: m\nproviders:\n  bedrock:\n    region: us-east-1\n    session_token: t\n",
    problems: [
      {
        path: "providers.bedrock.session_token",
        message: "needs access_key_id and secret_access_key (a session token belongs to a static key pair)"
      }
    ]
  },
  {
    name: "bedrock profile and static keys together",
    yaml: "active_provider: bedrock\nactive_model: m\nproviders:\n  bedrock:\n    region: us-east-1\n    profile: dev\n    access_key_id: a\n    secret_access_key: s\n",
    problems: [
      {
        path: "providers.bedrock.profile",
        message: "set either profile or the static keys (access_key_id, secret_access_key), not both"
      }
    ]
  },
  {
    name: "bedrock profile with only a secret key: the missing key id and the conflict",
    yaml: "active_provider: bedrock\nactive_model: m\nproviders:\n  bedrock:\n    region: us-east-1\n    profile: dev\n    secret_access_key: s\n",
    problems: [
      {
        path: "providers.bedrock.access_key_id",
        message:
          "is required when secret_access_key is set (static AWS keys go together); or remove secret_access_key to use the default AWS credential chain"
      },
      {
        path: "providers.bedrock.profile",
        message: "set either profile or the static keys (access_key_id, secret_access_key), not both"
      }
    ]
  },
  {
    name: "an unknown provider key that no provider has lists the provider's keys",
    yaml: withOpenAI("    colour: blue\n"),
    problems: [
      {
        path: "providers.openai.colour",
        message:
          "unknown key; the keys here are type, api_key, fallback_models, base_url, timeout, idle_timeout, organization, project, api"
      }
    ]
  },
  {
    name: "a key of two other providers names both",
    yaml: "active_provider: anthropic\nactive_model: m\nproviders:\n  anthropic:\n    api_key: k\n    project: p\n",
    problems: [
      {
        path: "providers.anthropic.project",
        message:
          "unknown key for anthropic (project is a key of openai and vertex); the keys here are type, api_key, fallback_models, base_url, timeout, idle_timeout"
      }
    ]
  },
  {
    name: "active_provider when no known provider is configured (no empty configured list)",
    yaml: "active_provider: openai\nactive_model: m\nproviders:\n  mistral: { api_key: k }\n",
    problems: [
      { path: "providers.mistral", message: `unknown provider; the provider types are ${providerList} ${ownName}` },
      { path: "active_provider", message: 'provider "openai" is not configured; add it under providers' }
    ]
  },
  {
    name: "initial_delay alone above the default max_delay (10 s)",
    yaml: withOpenAI("retry: { initial_delay: 1m }\n"),
    problems: [{ path: "retry.max_delay", message: "must be at least initial_delay" }]
  },
  {
    name: "a chain entry without a provider",
    yaml: withOpenAI("fallback:\n  chain:\n    - { model: gpt-4o }\n"),
    problems: [{ path: "fallback.chain[0].provider", message: "is required; set it to one of openai" }]
  },
  {
    name: "prices that are a list",
    yaml: withOpenAI("cost_tracking:\n  prices: [gpt-4o]\n"),
    problems: [
      {
        path: "cost_tracking.prices",
        message: "expected a mapping of model names to {input, output} prices, got a list"
      }
    ]
  },
  {
    name: "prices: input written with no value, every optional price negative, each with its unit",
    yaml: withOpenAI(
      "cost_tracking:\n  prices:\n    m: { input: null, output: 1, cache_read: -1, cache_write: -1, cache_write_1h: -1, web_search_per_thousand: -1 }\n"
    ),
    problems: [
      { path: "cost_tracking.prices.m.input", message: "is required (USD per million input tokens)" },
      {
        path: "cost_tracking.prices.m.cache_read",
        message: "must be a number that is not negative (USD per million tokens)"
      },
      {
        path: "cost_tracking.prices.m.cache_write",
        message: "must be a number that is not negative (USD per million tokens)"
      },
      {
        path: "cost_tracking.prices.m.cache_write_1h",
        message: "must be a number that is not negative (USD per million tokens)"
      },
      {
        path: "cost_tracking.prices.m.web_search_per_thousand",
        message: "must be a number that is not negative (USD per 1,000 web searches)"
      }
    ]
  },
  {
    name: "invalid YAML: a bad escape in a double-quoted string (the escape is not quoted back)",
    yaml: withOpenAI('    organization: "org\\q"\n'),
    problems: [
      {
        path: "",
        message:
          "invalid YAML at line 6, column 23: invalid escape sequence in a double-quoted string; write \\\\ for a backslash, or use single quotes"
      }
    ]
  },
  {
    name: "invalid YAML: a block scalar header with text after it (the text is cut from the message)",
    yaml: withOpenAI("    organization: |2x  secret text\n      org\n"),
    problems: [
      { path: "", message: "invalid YAML at line 6, column 21: Block scalar header includes extra characters" },
      { path: "", message: "invalid YAML at line 6, column 24: Not a YAML token" }
    ]
  },
  {
    name: "invalid YAML: a message that names a colon is kept whole",
    yaml: withOpenAI('retry: { max_attempts: 1, "initial_delay" 2s }\n'),
    problems: [{ path: "", message: "invalid YAML at line 6, column 43: Missing , or : between flow map items" }]
  },
  {
    name: "invalid YAML: problems in file order (keys written twice come before a later syntax error)",
    yaml: "active_provider: openai\nactive_provider: openai\nactive_model: m\nactive_model: m\nproviders: [\n",
    problems: [
      { path: "", message: "invalid YAML at line 2, column 1: Map keys must be unique" },
      { path: "", message: "invalid YAML at line 4, column 1: Map keys must be unique" },
      {
        path: "",
        message:
          "invalid YAML at line 6, column 1: Flow sequence in block collection must be sufficiently indented and end with a ]"
      }
    ]
  },
  {
    name: "an enum value from a variable is not echoed",
    yaml: withOpenAI().replace("active_provider: openai", "active_provider: ${PROVIDER}"),
    env: { PROVIDER: "opnai" },
    problems: [{ path: "active_provider", message: "unknown provider; did you mean openai? Providers: openai" }]
  }
]

describe("bad configs: each problem with its exact path and message", () => {
  for (const testCase of cases) {
    it(testCase.name, () => {
      expect(checkConfig(testCase.yaml, { env: testCase.env ?? {} })).toEqual(testCase.problems)
    })
  }

  it("there are at least 25 cases", () => {
    expect(cases.length).toBeGreaterThanOrEqual(25)
  })

  it.effect("parseConfig fails with the same problems as checkConfig", () =>
    Effect.gen(function* () {
      for (const testCase of cases) {
        const error = yield* Effect.flip(parseConfig(testCase.yaml, { env: testCase.env ?? {} }))
        expect(error._tag).toBe("ConfigError")
        expect(error.problems).toEqual(testCase.problems)
        expect(error.path).toBe(testCase.problems[0]!.path)
      }
    })
  )

  it("a valid config has no problems", () => {
    expect(checkConfig(withOpenAI(), { env: {} })).toEqual([])
  })
})

describe("several problems at once", () => {
  const yaml = `active_provider: gemini
active_model: ""
providers:
  openai:
    api_kye: sk-test
    fallback_models: []
  bedrock:
    access_key_id: \${AWS_ACCESS_KEY_ID}
retry:
  max_attempts: 0
fallback:
  chain:
    - { provider: vertex, model: gemini-2.5-pro }
cost_tracking:
  budget_usd: -1
  log_file: ./costs.jsonl
`
  const expected: ReadonlyArray<ConfigProblem> = [
    { path: "providers.openai.api_kye", message: "unknown key; did you mean api_key?" },
    { path: "providers.openai.api_key", message: "is required; set it to ${OPENAI_API_KEY}" },
    {
      path: "providers.openai.fallback_models",
      message: "is empty; remove the key, or add a model such as [gpt-4o-mini]"
    },
    { path: "providers.bedrock.region", message: "is required; set providers.bedrock.region or AWS_REGION" },
    {
      path: "providers.bedrock.access_key_id",
      message:
        "environment variable AWS_ACCESS_KEY_ID is not set; export it, or write ${AWS_ACCESS_KEY_ID:-...} for a default"
    },
    {
      path: "active_provider",
      message: 'provider "gemini" is not configured; add it under providers (configured: openai, bedrock)'
    },
    { path: "active_model", message: "is empty; set it to the model to use, e.g. gpt-4o-mini" },
    {
      path: "retry.max_attempts",
      message: "must be a whole number of at least 1 (tries per model, the first included)"
    },
    {
      path: "fallback.chain[0].provider",
      message: 'provider "vertex" is not configured; add it under providers (configured: openai, bedrock)'
    },
    {
      path: "cost_tracking.log_file",
      message:
        "unknown key; the keys here are enabled, log_path, budget_usd, allow_unpriced, reserve_output_tokens, prices, max_buffered_records, fsync, ledger"
    },
    { path: "cost_tracking.budget_usd", message: "must be a number greater than 0 (USD)" }
  ]

  it("checkConfig returns them all, in file order within each section", () => {
    expect(checkConfig(yaml, { env: {} })).toEqual(expected)
  })

  it.effect("parseConfig fails once, listing every problem", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(parseConfig(yaml, { env: {} }))
      expect(error.problems).toEqual(expected)
      expect(error.path).toBe("providers.openai.api_kye")
      expect(error.message).toBe(
        `${expected.length} problems in the configuration:\n${expected.map((p) => `  - ${p.path}: ${p.message}`).join("\n")}`
      )
    })
  )

  it("YAML syntax errors are all reported, and the walker does not run on a broken document", () => {
    const broken = 'active_provider: "openai\nproviders: [\n'
    const problems = checkConfig(broken, { env: {} })
    expect(problems.length).toBeGreaterThanOrEqual(1)
    expect(problems.every((p) => p.path === "" && /^invalid YAML at line \d+, column \d+: /.test(p.message))).toBe(true)
  })
})

describe("loadConfig: the file", () => {
  it.effect("a missing file", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(loadConfig("./x.yaml"))
      expect(error.problems).toEqual([
        { path: "", message: "config file ./x.yaml not found; pass the path of your config file" }
      ])
      expect(error.message).toBe("config file ./x.yaml not found; pass the path of your config file")
      expect(error.path).toBe("")
    })
  )

  it.effect("a directory instead of a file", () =>
    Effect.gen(function* () {
      const dir = mkdtempSync(join(tmpdir(), "llm-config-"))
      const error = yield* Effect.flip(loadConfig(dir)).pipe(
        Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true })))
      )
      expect(error.problems).toEqual([
        { path: "", message: `config file ${dir} is a directory; pass the path of your config file` }
      ])
    })
  )

  it.effect("a path through a regular file: the error code is named", () => {
    const dir = mkdtempSync(join(tmpdir(), "llm-config-"))
    const file = join(dir, "config.yaml")
    writeFileSync(file, "")
    return Effect.gen(function* () {
      const error = yield* Effect.flip(loadConfig(join(file, "x.yaml")))
      expect(error.problems).toEqual([
        { path: "", message: `config file ${join(file, "x.yaml")} could not be read (ENOTDIR)` }
      ])
    }).pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true }))))
  })

  // Root reads a mode-000 file; the kernel still refuses to read a write-only sysfs attribute, even to root.
  const asRoot = process.getuid?.() === 0
  const sysfsWriteOnly = "/sys/bus/pci/rescan"
  it.effect.skipIf(asRoot && !existsSync(sysfsWriteOnly))("a file that may not be read (EACCES)", () => {
    const dir = mkdtempSync(join(tmpdir(), "llm-config-"))
    const locked = join(dir, "locked.yaml")
    writeFileSync(locked, "active_provider: openai\n")
    chmodSync(locked, 0o000)
    const path = asRoot ? sysfsWriteOnly : locked
    return Effect.gen(function* () {
      const error = yield* Effect.flip(loadConfig(path))
      expect(error.problems).toEqual([
        { path: "", message: `config file ${path} is not readable (permission denied); check its permissions` }
      ])
    }).pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true }))))
  })

  it.effect("messages about the whole file name it", () => {
    const dir = mkdtempSync(join(tmpdir(), "llm-config-"))
    const empty = join(dir, "empty.yaml")
    const broken = join(dir, "broken.yaml")
    writeFileSync(empty, "")
    writeFileSync(broken, "active_provider: openai\nproviders:\n  openai: {}\n   anthropic: {}\n")
    const alias = join(dir, "alias.yaml")
    writeFileSync(alias, "active_provider: openai\nactive_model: *model\n")
    return Effect.gen(function* () {
      const emptyError = yield* Effect.flip(loadConfig(empty))
      expect(emptyError.message).toBe(
        `config file ${empty} is empty; it needs at least active_provider, active_model and providers`
      )
      const brokenError = yield* Effect.flip(loadConfig(broken))
      expect(brokenError.problems).toEqual([
        {
          path: "",
          message: `invalid YAML in ${broken} at line 4, column 1: All mapping items must start at the same column`
        }
      ])
      const aliasError = yield* Effect.flip(loadConfig(alias))
      expect(aliasError.problems).toEqual([
        { path: "", message: `invalid YAML in ${alias}: Unresolved alias (the anchor must be set before the alias)` }
      ])
    }).pipe(Effect.ensuring(Effect.sync(() => rmSync(dir, { recursive: true }))))
  })
})
