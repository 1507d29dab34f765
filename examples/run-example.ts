/**
 * `pnpm example <name>`: runs one example against the five provider simulators, started in this
 * process on 127.0.0.1 (real vendor SDKs, real wire formats, fake keys). It writes the config files
 * the example needs into a temp dir, scripts the simulators where the example shows a failure, and
 * calls the example's `main(context)`. Lines starting with `[simulator]` are what the simulators saw.
 *
 * Every example also runs on its own against real providers: see the comment at the top of each file.
 */
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fleetCredentials, type SimulatorFleet, startSimulatorFleet } from "@llm-orchestrator/testing"
import { main as budget } from "./budget.ts"
import { main as composeLayers } from "./compose-layers.ts"
import { main as costComparison } from "./cost-comparison.ts"
import { main as effectAi } from "./effect-ai.ts"
import { main as environments } from "./environments.ts"
import { main as fallback } from "./fallback.ts"
import { main as images } from "./images.ts"
import { main as migration } from "./migration.ts"
import { main as streaming } from "./streaming.ts"
import { main as structuredOutput } from "./structured-output.ts"
import { main as tools } from "./tools.ts"

interface Example {
  readonly about: string
  /** Writes the example's config files into `dir`, scripts the simulators, and runs the example. */
  readonly run: (fleet: SimulatorFleet, dir: string) => Promise<void>
}

const q = JSON.stringify
const writeConfig = (dir: string, name: string, yaml: string): string => {
  const path = join(dir, name)
  writeFileSync(path, yaml)
  return path
}

/** What the simulators are scripted to answer; the tests read these to know what to expect. */
export const scripted = {
  haiku: "Bytes arrive in streams, / each token a falling leaf, / the answer takes shape.",
  longEssay: Array.from({ length: 40 }, (_, i) => `word${i + 1}`).join(" "),
  /** The streaming example stops reading after this many pieces. */
  stopAfterPieces: 5,
  /** The budget example: a tiny budget, and a first answer that costs more than it. */
  budgetUsd: 0.01,
  budgetUsage: { inputTokens: 50_000, outputTokens: 10_000 },
  fallbackRetryAfterSeconds: 1,
  fallbackRetryAfterOverCapSeconds: 120,
  /** The cost comparison: each model's answers to the three prompts, with the usage it reports. */
  comparisonModels: [
    { provider: "openai", model: "gpt-4o-mini", outputTokens: [180, 95, 240] },
    { provider: "anthropic", model: "claude-haiku-4-5-20251001", outputTokens: [150, 80, 210] },
    { provider: "gemini", model: "gemini-2.5-flash", outputTokens: [210, 120, 300] }
  ],
  comparisonInputTokens: 1_200,
  /** The tools example: the model's two calls, then its answer, with the usage of each call. */
  toolCalls: [
    { id: "call_paris", name: "get_weather", arguments: { city: "Paris" } },
    { id: "call_oslo", name: "get_weather", arguments: { city: "Oslo" } }
  ],
  toolAnswer: "Paris is warmer: 21 degrees against 9 in Oslo.",
  toolUsage: [
    { inputTokens: 120, outputTokens: 40 },
    { inputTokens: 210, outputTokens: 18 }
  ],
  /** The structured-output example: gpt-4o-mini answers in prose (not the schema), gpt-4o in JSON. */
  invoiceProse: "The vendor is Atelier Dupont and the total is 275.50 EUR.",
  invoiceJson: {
    vendor: "Atelier Dupont",
    total: 275.5,
    currency: "EUR",
    lines: [
      { item: "2 chairs", amount: 240 },
      { item: "Delivery", amount: 35.5 }
    ]
  },
  /** The images example: a 1x1 PNG and a one-page PDF, and Claude's answer about them. */
  imagePng:
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d4944415478da63f8cfc0f01f0005000201e5270fe40000000049454e44ae426082",
  imagePdf:
    "%PDF-1.4\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [3 0 R] /Count 1 >> endobj\n3 0 obj << /Type /Page /Parent 2 0 R >> endobj\n%%EOF\n",
  imageAnswer: "Yes: the photo is the one-pixel image the report describes.",
  imageUsage: { inputTokens: 1_650, outputTokens: 14 },
  /** The effect-ai example: Anthropic calls both tools, answers, writes the object; Gemini streams the haiku. */
  effectAiAnswer: "It is 21 degrees in Paris, and 14:05 in Oslo.",
  effectAiTrip: { city: "Paris", days: 3, pack: ["umbrella", "walking shoes"] },
  effectAiHaiku: "One model falls silent, / the next one takes up the verse, / no word is doubled.",
  environments: {
    dev: { provider: "openai", model: "gpt-4o-mini" },
    staging: { provider: "gemini", model: "gemini-2.5-flash" },
    prod: { provider: "anthropic", model: "claude-haiku-4-5-20251001" }
  }
} as const

export const examples: Readonly<Record<string, Example>> = {
  migration: {
    about: "switch provider by editing active_provider in the config; no code change",
    run: async (fleet, dir) => {
      // Two providers configured, OpenAI active (the shape of examples/configs/config.migration.yaml).
      const configPath = writeConfig(
        dir,
        "config.yaml",
        [
          "active_provider: openai",
          "active_model: gpt-4o-mini",
          "providers:",
          "  openai:",
          `    api_key: ${q(fleetCredentials.openai)}`,
          `    base_url: ${q(`${fleet.openai.url}/v1`)}`,
          "    fallback_models: [gpt-4o]",
          "  anthropic:",
          `    api_key: ${q(fleetCredentials.anthropic)}`,
          `    base_url: ${q(fleet.anthropic.url)}`,
          "    fallback_models: [claude-haiku-4-5-20251001]",
          "discovery:",
          "  validate: true",
          ""
        ].join("\n")
      )
      await migration({ configPath })
    }
  },
  "cost-comparison": {
    about: "the same prompts through several models, with a table of tokens and cost",
    run: async (fleet, dir) => {
      const configPaths = scripted.comparisonModels.map(({ provider, model, outputTokens }) => {
        for (const tokens of outputTokens)
          fleet[provider].scriptModel(model, {
            kind: "text",
            text: `An answer from ${model} (${tokens} tokens long).`,
            usage: { inputTokens: scripted.comparisonInputTokens, outputTokens: tokens }
          })
        return writeConfig(
          dir,
          `config.${provider}.yaml`,
          fleet.configYaml({ activeProvider: provider, activeModel: model })
        )
      })
      await costComparison({ configPaths })
    }
  },
  environments: {
    about: "dev/staging/prod configs chosen by LLM_ENV (default dev)",
    run: async (fleet, dir) => {
      for (const [env, { provider, model }] of Object.entries(scripted.environments)) {
        writeConfig(
          dir,
          `config.${env}.yaml`,
          fleet.configYaml({
            activeProvider: provider,
            activeModel: model,
            ...(env === "prod" ? { costLogPath: join(dir, "prod-costs.jsonl") } : {})
          })
        )
      }
      await environments({ configDir: dir })
    }
  },
  tools: {
    about: "tool calling: runTools runs the tools the model calls and returns its answer, usage and cost summed",
    run: async (fleet, dir) => {
      const configPath = writeConfig(dir, "config.yaml", fleet.configYaml({ activeProvider: "openai" }))
      fleet.openai.script(
        { kind: "text", text: "", toolCalls: scripted.toolCalls, usage: scripted.toolUsage[0] },
        { kind: "text", text: scripted.toolAnswer, usage: scripted.toolUsage[1] }
      )
      await tools({ configPath })
    }
  },
  "structured-output": {
    about: "structured output: JSON matching a schema, decoded in response.output; an answer not in it falls back",
    run: async (fleet, dir) => {
      // The fleet's OpenAI config falls back from gpt-4o-mini to gpt-4o.
      const configPath = writeConfig(dir, "config.yaml", fleet.configYaml({ activeProvider: "openai" }))
      fleet.openai.scriptModel("gpt-4o-mini", { kind: "text", text: scripted.invoiceProse })
      fleet.openai.scriptModel("gpt-4o", { kind: "text", text: JSON.stringify(scripted.invoiceJson) })
      await structuredOutput({ configPath })
      const formats = fleet.openai.requests
        .filter((r) => r.kind !== "models")
        .map((r) => (r.body as { response_format?: unknown }).response_format)
      console.log(`[simulator] openai: ${formats.length} requests, each with response_format ${q(formats[0])}`)
    }
  },
  images: {
    about: "an image and a PDF in a user message, as bytes; each provider gets them in its own wire form",
    run: async (fleet, dir) => {
      const configPath = writeConfig(dir, "config.yaml", fleet.configYaml({ activeProvider: "anthropic" }))
      const imagePath = join(dir, "photo.png")
      const pdfPath = join(dir, "report.pdf")
      writeFileSync(imagePath, Buffer.from(scripted.imagePng, "hex"))
      writeFileSync(pdfPath, scripted.imagePdf)
      fleet.anthropic.script({ kind: "text", text: scripted.imageAnswer, usage: scripted.imageUsage })
      await images({ configPath, imagePath, pdfPath })
      for (const seen of fleet.anthropic.requests.flatMap((r) => r.media))
        console.log(
          `[simulator] anthropic: ${seen.kind} ${seen.mediaType}, ${seen.bytes?.length} bytes${seen.name ? `, titled ${q(seen.name)}` : ""}, at ${seen.at}`
        )
    }
  },
  streaming: {
    about: "for-await text streaming, the Finish event's usage and cost, and stopping early",
    run: async (fleet, dir) => {
      const configPath = writeConfig(dir, "config.yaml", fleet.configYaml({ activeProvider: "openai" }))
      fleet.openai.script(
        { kind: "text", text: scripted.haiku, chunkDelayMs: 10 },
        { kind: "text", text: scripted.haiku, chunkDelayMs: 10 },
        { kind: "text", text: scripted.longEssay, chunkDelayMs: 30 }
      )
      await streaming({ configPath })
      // The third stream was abandoned by `break`: the simulator sees its connection closed early.
      const third = fleet.openai.requests.filter((r) => r.kind === "stream")[2]
      if (third) {
        await fleet.openai.waitForAbort(third, 2_000)
        console.log("[simulator] openai: the client closed the third stream before its end (request aborted)")
      }
    }
  },
  fallback: {
    about: "retries and fallback across models and providers, with the attempts list",
    run: async (fleet, dir) => {
      const configPath = writeConfig(
        dir,
        "config.yaml",
        fleet.configYaml({
          activeProvider: "openai",
          activeModel: "gpt-4o-mini",
          extraYaml: [
            "retry:",
            "  max_attempts: 3",
            "  initial_delay: 100ms",
            "  max_retry_after: 30s",
            "fallback:",
            "  chain:",
            "    - { provider: anthropic, model: claude-haiku-4-5-20251001 }"
          ].join("\n")
        })
      )
      // gpt-4o-mini: rate limited (Retry-After 1 s), then overloaded twice: its three tries are spent.
      fleet.openai.scriptModel(
        "gpt-4o-mini",
        { kind: "error", fault: "rate-limit", retryAfterSeconds: scripted.fallbackRetryAfterSeconds },
        { kind: "error", fault: "unavailable" },
        { kind: "error", fault: "unavailable" }
      )
      // gpt-4o (the next fallback model): rate limited for longer than max_retry_after, so skipped at once.
      fleet.openai.scriptModel("gpt-4o", {
        kind: "error",
        fault: "rate-limit",
        retryAfterSeconds: scripted.fallbackRetryAfterOverCapSeconds
      })
      await fallback({ configPath })
    }
  },
  budget: {
    about: "cost_tracking.budget_usd: requests fail with BudgetExceededError once it is spent",
    run: async (fleet, dir) => {
      const configPath = writeConfig(
        dir,
        "config.yaml",
        fleet.configYaml({ activeProvider: "openai", activeModel: "gpt-4o-mini", budgetUsd: scripted.budgetUsd })
      )
      // A long first answer, so one request spends the whole budget.
      fleet.openai.scriptModel("gpt-4o-mini", {
        kind: "text",
        text: "A long and expensive answer.",
        usage: scripted.budgetUsage
      })
      await budget({ configPath })
    }
  },
  "effect-ai": {
    about: "effect/ai (Toolkit, generateObject, streamText) on the orchestrator, the stream failing over to Gemini",
    run: async (fleet, dir) => {
      const configPath = writeConfig(
        dir,
        "config.yaml",
        fleet.configYaml({
          activeProvider: "anthropic",
          extraYaml: [
            "retry:",
            "  max_attempts: 1",
            "fallback:",
            "  chain:",
            "    - { provider: gemini, model: gemini-2.5-flash }"
          ].join("\n")
        })
      )
      // Anthropic's stream fails before its first token on both its models (an overloaded error event).
      const overloaded = {
        kind: "stream-fault",
        text: "",
        afterChunks: 0,
        fault: "error-event",
        errorFault: "overloaded"
      } as const
      fleet.anthropic.script(
        {
          kind: "text",
          text: "",
          toolCalls: [
            { name: "get_weather", arguments: { city: "Paris" } },
            { name: "get_time", arguments: { city: "Oslo" } }
          ]
        },
        { kind: "text", text: scripted.effectAiAnswer },
        { kind: "text", text: JSON.stringify(scripted.effectAiTrip) },
        overloaded,
        overloaded
      )
      fleet.gemini.script({
        kind: "text",
        text: scripted.effectAiHaiku,
        chunks: scripted.effectAiHaiku.split(/(?<=\/ )/)
      })
      await effectAi({ configPath })
      const streams = fleet.anthropic.requests.filter((r) => r.kind === "stream").length
      console.log(`[simulator] anthropic: ${streams} streams failed before their first token; gemini answered`)
    }
  },
  "compose-layers": {
    about: "an Effect program that builds the orchestrator from provider layers by hand, no config file",
    run: async (fleet) => {
      // The request is answered by OpenAI; the stream's OpenAI call is refused (401), so the
      // hand-built fallback chain moves it to Anthropic.
      fleet.openai.script({ kind: "text", text: "Layers compose." }, { kind: "error", fault: "auth" })
      await composeLayers({
        openai: { apiKey: fleetCredentials.openai, baseUrl: `${fleet.openai.url}/v1` },
        anthropic: { apiKey: fleetCredentials.anthropic, baseUrl: fleet.anthropic.url }
      })
    }
  }
}

const usage = () =>
  [
    "usage: npx -y pnpm@12.21.0 example <name>",
    "",
    ...Object.entries(examples).map(([name, e]) => `  ${name.padEnd(16)} ${e.about}`),
    "",
    "(the fake provider layer for unit tests is shown in examples/fake-provider.test.ts)"
  ].join("\n")

const runExample = async (name: string | undefined): Promise<number> => {
  const example = name === undefined ? undefined : examples[name]
  if (!example) {
    console.error(name === undefined ? usage() : `unknown example "${name}"\n\n${usage()}`)
    return 2
  }
  const fleet = await startSimulatorFleet()
  const dir = mkdtempSync(join(tmpdir(), `llm-orchestrator-example-${name}-`))
  try {
    await example.run(fleet, dir)
    return 0
  } catch (error) {
    console.error(`example ${name} failed:`, error)
    return 1
  } finally {
    await fleet.close()
    rmSync(dir, { recursive: true, force: true })
  }
}

if (import.meta.main) {
  process.exitCode = await runExample(process.argv.slice(2).find((arg) => arg !== "--"))
}
