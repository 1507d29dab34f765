/**
 * Cost parity with the reference: every recorded 200 exchange (packages/testing/cassettes, all five
 * providers, both OpenAI APIs) replayed through the real SDK and the public API must cost what
 * `@pydantic/genai-prices` charges for the raw provider body: `extractUsage` (its own reading of the
 * provider's usage) then `calcPrice`. Our side goes through our adapters' extraction and our price
 * book, so a field we do not read (a web-search fee, Gemini's tool-use prompt tokens, 1-hour cache
 * writes) shows up here as money not billed.
 *
 * Streamed exchanges are compared with the reference's price of the stream's final usage, put back
 * into the shape of a plain body (the reference reads plain bodies only).
 *
 * The recordings have no 1-hour cache write and no Gemini tool-use prompt tokens (grounding, code
 * execution, URL context), so a few recorded exchanges are replayed a second time with just those
 * counters added (`withEditedUsage`), everything else as recorded.
 */
import {
  type Cassette,
  type CassetteFolder,
  cassetteReply,
  isStreamingCassette,
  loadCassettes,
  type SimulatorFleet,
  startSimulatorFleet,
  withEditedUsage
} from "@llm-orchestrator/testing"
import { calcPrice, extractUsage, findProvider } from "@pydantic/genai-prices"
import { createOrchestrator, type Orchestrator } from "llm-orchestrator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"

type Folder = CassetteFolder
type Provider = "openai" | "anthropic" | "gemini" | "vertex" | "bedrock"

const providerOf: Record<Folder, Provider> = {
  "openai-chat": "openai",
  "openai-responses": "openai",
  anthropic: "anthropic",
  gemini: "gemini",
  vertex: "vertex",
  bedrock: "bedrock"
}
/** genai-prices' provider id and extractor flavour for each folder. */
const reference: Record<Folder, { readonly providerId: string; readonly flavor: string }> = {
  "openai-chat": { providerId: "openai", flavor: "chat" },
  "openai-responses": { providerId: "openai", flavor: "responses" },
  anthropic: { providerId: "anthropic", flavor: "default" },
  gemini: { providerId: "google", flavor: "default" },
  vertex: { providerId: "google", flavor: "default" },
  bedrock: { providerId: "aws", flavor: "default" }
}

/**
 * Exchanges whose cost may differ from the reference, with the reason. Must stay empty for every
 * model the reference prices: a priced model that disagrees is money billed wrong.
 */
const allowedDifferences: Readonly<Record<string, string>> = {}

/** The model the recorded request named (the model we ask for when replaying it). */
const requestedModel = (cassette: Cassette): string => {
  const body = cassette.request.body as { model?: string }
  if (cassette.folder === "gemini" || cassette.folder === "vertex")
    return /models\/([^/:]+):/.exec(cassette.request.path)?.[1] ?? "gemini-2.5-flash"
  if (cassette.folder === "bedrock")
    return decodeURIComponent(/\/model\/([^/]+)\/converse/.exec(cassette.request.path)?.[1] ?? "")
  return body.model ?? "gpt-4o"
}

const sseData = (body: string): ReadonlyArray<Record<string, unknown>> =>
  body
    .split(/\r?\n/)
    .filter((line) => line.startsWith("data:"))
    .map((line) => line.slice("data:".length).trim())
    .filter((data) => data !== "[DONE]" && data.length > 0)
    .map((data) => JSON.parse(data) as Record<string, unknown>)

/** The payloads of an `application/vnd.amazon.eventstream` body, by event type. */
const eventStreamPayloads = (body: Buffer): ReadonlyArray<readonly [string, Record<string, unknown>]> => {
  const frames: Array<readonly [string, Record<string, unknown>]> = []
  for (let offset = 0; offset < body.length; ) {
    const total = body.readUInt32BE(offset)
    const headersLength = body.readUInt32BE(offset + 4)
    let type = ""
    for (let at = offset + 12; at < offset + 12 + headersLength; ) {
      const nameLength = body.readUInt8(at)
      const name = body.toString("utf8", at + 1, at + 1 + nameLength)
      at += 1 + nameLength + 1
      const valueLength = body.readUInt16BE(at)
      if (name === ":event-type") type = body.toString("utf8", at + 2, at + 2 + valueLength)
      at += 2 + valueLength
    }
    frames.push([type, JSON.parse(body.toString("utf8", offset + 12 + headersLength, offset + total - 4))])
    offset += total
  }
  return frames
}

/** A streamed exchange's final usage, in the shape of the provider's plain body. */
const plainBodyOfStream = (cassette: Cassette): Record<string, unknown> => {
  if (cassette.folder === "bedrock") {
    const metadata = eventStreamPayloads(Buffer.from(cassette.response.bodyBase64 ?? "", "base64")).find(
      ([type]) => type === "metadata"
    )
    return { usage: metadata?.[1].usage }
  }
  const events = sseData(cassette.response.body ?? "")
  switch (cassette.folder) {
    case "anthropic": {
      // message_start carries the first counters; each message_delta's counters are cumulative.
      const usage: Record<string, unknown> = {}
      for (const event of events) {
        const counters =
          event.type === "message_start"
            ? (event.message as { usage?: Record<string, unknown> }).usage
            : event.type === "message_delta"
              ? (event.usage as Record<string, unknown> | undefined)
              : undefined
        for (const [key, value] of Object.entries(counters ?? {})) if (value != null) usage[key] = value
      }
      return { usage }
    }
    case "openai-chat":
      return { usage: events.findLast((event) => event.usage != null)?.usage }
    case "openai-responses":
      return events.find((event) => event.type === "response.completed" || event.type === "response.incomplete")
        ?.response as Record<string, unknown>
    default:
      return { usageMetadata: events.findLast((event) => event.usageMetadata !== undefined)?.usageMetadata }
  }
}

/** The reference's price of a recorded exchange; null when it cannot price the model. */
const referenceCost = (cassette: Cassette, model: string): number | null => {
  const { providerId, flavor } = reference[cassette.folder]
  const body = isStreamingCassette(cassette)
    ? plainBodyOfStream(cassette)
    : (JSON.parse(cassette.response.body ?? "{}") as Record<string, unknown>)
  const { usage } = extractUsage(findProvider({ providerId })!, body, flavor)
  return calcPrice(usage, model, { providerId })?.total_price ?? null
}

const folders: ReadonlyArray<Folder> = ["openai-chat", "openai-responses", "anthropic", "gemini", "vertex", "bedrock"]
const recorded = folders.flatMap((folder) => loadCassettes(folder).filter((c) => c.response.status === 200))
const named = (folder: Folder, name: string): Cassette => {
  const found = recorded.find((c) => c.folder === folder && c.name === name)
  if (found === undefined) throw new Error(`no recorded exchange ${folder}/${name}`)
  return found
}

/** Anthropic: `writes` cache-write tokens, of which `oneHour` cached for 1 hour (message_start and delta alike). */
const withOneHourCacheWrites = (writes: number, oneHour: number) => (usage: Record<string, unknown>) => {
  if ("cache_creation_input_tokens" in usage) usage.cache_creation_input_tokens = writes
  if ("cache_creation" in usage)
    usage.cache_creation = { ephemeral_5m_input_tokens: writes - oneHour, ephemeral_1h_input_tokens: oneHour }
}
/** Google: `tokens` of tool results fed back to the model (a grounded or code-executing answer). */
const withToolUsePrompt = (tokens: number) => (usage: Record<string, unknown>) => {
  usage.toolUsePromptTokenCount = tokens
  usage.toolUsePromptTokensDetails = [{ modality: "TEXT", tokenCount: tokens }]
  usage.totalTokenCount = (usage.totalTokenCount as number) + tokens
}
const derived: ReadonlyArray<Cassette> = [
  withEditedUsage(
    named("anthropic", "test_anthropic_model_instructions__0"),
    "1h-cache-write",
    withOneHourCacheWrites(3_000, 2_000)
  ),
  withEditedUsage(
    named("anthropic", "test_anthropic_model_thinking_part_stream__0"),
    "1h-cache-write-stream",
    withOneHourCacheWrites(3_000, 2_000)
  ),
  withEditedUsage(named("gemini", "test_google_decimal_native_output__0"), "grounded", withToolUsePrompt(1_200)),
  // 210k tool-use tokens lift Gemini 2.5 Pro's whole request into its >200k tier, as Google bills it.
  withEditedUsage(named("gemini", "test_google_model_retry__0"), "grounded-long-context", withToolUsePrompt(210_000)),
  withEditedUsage(
    named("gemini", "test_google_stream_usage_is_live_mid_stream__0"),
    "grounded-stream",
    withToolUsePrompt(1_200)
  ),
  withEditedUsage(named("vertex", "test_google_vertex_logprobs_structure__0"), "grounded", withToolUsePrompt(1_200))
]
const exchanges = [...recorded, ...derived]

let fleet: SimulatorFleet
const orchestrators = new Map<Folder, Orchestrator>()
beforeAll(async () => {
  fleet = await startSimulatorFleet()
  for (const folder of folders) {
    const yaml = fleet.configYaml({ activeProvider: providerOf[folder] })
    // The fleet's OpenAI entry speaks Chat Completions; the Responses folder needs `api: responses`.
    const config = folder === "openai-responses" ? yaml.replace(/(\n {2}openai:\n)/, '$1    api: "responses"\n') : yaml
    orchestrators.set(folder, await createOrchestrator(await writeTemp(config)))
  }
}, 60_000)
afterAll(async () => {
  for (const orchestrator of orchestrators.values()) await orchestrator.close()
  await fleet?.close()
})

const writeTemp = async (yaml: string): Promise<string> => {
  const { mkdtempSync, writeFileSync } = await import("node:fs")
  const { tmpdir } = await import("node:os")
  const { join } = await import("node:path")
  const path = join(mkdtempSync(join(tmpdir(), "cost-parity-")), "config.yaml")
  writeFileSync(path, yaml)
  return path
}

/** Our cost of the exchange, through the public API (`sendRequest`, or the stream's `Finish`). */
const ourCost = async (cassette: Cassette, model: string): Promise<number | undefined> => {
  fleet[providerOf[cassette.folder]].reset().script(cassetteReply(cassette))
  const orchestrator = orchestrators.get(cassette.folder)!
  const request = { messages: [{ role: "user" as const, content: "replayed" }], model }
  if (!isStreamingCassette(cassette)) return (await orchestrator.sendRequest(request)).cost?.total
  for await (const event of orchestrator.streamEvents(request)) if (event._tag === "Finish") return event.cost?.total
  throw new Error("the stream ended without a Finish")
}

const agrees = (ours: number | undefined, theirs: number | null): boolean =>
  theirs === null
    ? ours === undefined
    : ours !== undefined && Math.abs(ours - theirs) <= 1e-9 * Math.max(Math.abs(theirs), Number.MIN_VALUE)

describe("cost parity with @pydantic/genai-prices over every recorded exchange", { timeout: 60_000 }, () => {
  it("covers every provider and both OpenAI APIs, plain and streamed", () => {
    for (const folder of folders) expect(exchanges.some((c) => c.folder === folder)).toBe(true)
    expect(exchanges.filter(isStreamingCassette).length).toBeGreaterThan(20)
    // The edited counters are in the replayed bodies, and the reference reads them.
    expect(derived.every((c) => /ephemeral_1h_input_tokens":2000|toolUsePromptTokenCount/.test(c.response.body!))).toBe(
      true
    )
  })

  for (const cassette of exchanges) {
    const name = `${cassette.folder}/${cassette.name}`
    it(`${name}${isStreamingCassette(cassette) ? " (streamed)" : ""}`, async () => {
      const model = requestedModel(cassette)
      const theirs = referenceCost(cassette, model)
      const ours = await ourCost(cassette, model)
      if (Object.hasOwn(allowedDifferences, name)) {
        // An allowed difference is only for models the reference cannot price.
        expect(theirs).toBeNull()
        return
      }
      expect(agrees(ours, theirs), `ours ${ours} vs reference ${theirs}`).toBe(true)
    })
  }
})
