/**
 * Price lookup cost: the first (cold) `costOf` of a model searches the genai-prices catalogue; every
 * later call must hit the memo. Run: `npx pnpm@12.21.0 exec node bench/price-lookup.ts`.
 * Exits 1 when a memoised lookup costs 1 us or more.
 */

import type { ProviderId, Usage } from "@llm-orchestrator/core"
import { makePricing } from "@llm-orchestrator/cost"
import { priceSourcesByType } from "@llm-orchestrator/providers"

const models: ReadonlyArray<readonly [ProviderId, string]> = [
  ["openai", "gpt-4o-mini"],
  ["anthropic", "claude-sonnet-4-5"],
  ["gemini", "gemini-2.5-flash"],
  ["gemini", "gemini-2.5-pro"],
  ["bedrock", "us.anthropic.claude-sonnet-4-5-20250929-v1:0"],
  ["vertex", "gemini-2.5-flash"],
  ["openai", "unknown-model-for-bench"]
]
const usage = (i: number): Usage => ({
  inputTokens: 1_000 + (i % 300_000),
  outputTokens: 200 + (i % 500),
  cacheReadTokens: i % 400,
  cacheWriteTokens: i % 50,
  reasoningTokens: i % 100
})

// Cold: a fresh price book per model, so every measured call does the catalogue search.
// Round 0 pays module and JIT warm-up and is reported apart.
const coldRounds = 20
const coldSamples: Array<number> = []
let firstEver = 0
for (let round = 0; round <= coldRounds; round++) {
  for (const [provider, model] of models) {
    const pricing = makePricing({}, priceSourcesByType)
    const start = process.hrtime.bigint()
    pricing.costOf(provider, model, usage(round))
    const ns = Number(process.hrtime.bigint() - start)
    if (round === 0 && firstEver === 0) firstEver = ns
    if (round > 0) coldSamples.push(ns)
  }
}
coldSamples.sort((a, b) => a - b)
const coldMedian = coldSamples[Math.floor(coldSamples.length / 2)]!

// Memoised: one book, every model resolved once, then 1e6 calls across the models.
const pricing = makePricing({}, priceSourcesByType)
for (const [provider, model] of models) pricing.costOf(provider, model, usage(0))
const calls = 1_000_000
let sink = 0
const run = () => {
  const start = process.hrtime.bigint()
  for (let i = 0; i < calls; i++) {
    const [provider, model] = models[i % models.length]!
    sink += pricing.costOf(provider, model, usage(i))?.total ?? 0
  }
  return Number(process.hrtime.bigint() - start) / calls
}
run() // warm-up pass (JIT), not reported
const memoNs = Math.min(run(), run(), run())

const fmt = (ns: number) => (ns >= 1000 ? `${(ns / 1000).toFixed(1)} us` : `${ns.toFixed(0)} ns`)
console.log(`price lookup (@pydantic/genai-prices + memo), ${models.length} models, Node ${process.version}`)
console.log(`  first lookup in the process (cold + warm-up): ${fmt(firstEver)}`)
console.log(`  cold lookup (catalogue search), median of ${coldSamples.length}: ${fmt(coldMedian)}`)
console.log(`  memoised costOf, best of 3 x ${calls.toLocaleString("en")} calls: ${memoNs.toFixed(1)} ns/op`)
console.log(`  speed-up: ${(coldMedian / memoNs).toFixed(0)}x   (checksum ${sink.toFixed(2)})`)
if (memoNs >= 1000) {
  console.error("FAIL: a memoised lookup must cost < 1 us")
  process.exit(1)
}
