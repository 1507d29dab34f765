/**
 * The orchestrator's own cost with no network at all: sendRequest and a short stream against the
 * scripted fake provider, cost tracking off, in memory, or with the JSONL log. What remains of the
 * overhead measured against the real SDKs (bench/run.ts) beyond this is I/O scheduling, not our CPU.
 *
 * `npx pnpm@12.21.0 exec node bench/no-network.ts [off|memory|log]`
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { LLMOrchestrator } from "@llm-orchestrator/core"
import { CostTracking } from "@llm-orchestrator/cost"
import { makeFakeProvider } from "@llm-orchestrator/testing"
import { Effect, Layer, ManagedRuntime, Stream } from "effect"

const mode = process.argv[2] ?? "log"
const fake = makeFakeProvider({ id: "openai" })
const cost = CostTracking.layer({
  enabled: mode !== "off",
  prices: {},
  ...(mode === "log" ? { logPath: join(mkdtempSync(join(tmpdir(), "bench-")), "costs.jsonl") } : {})
})
const runtime = ManagedRuntime.make(
  LLMOrchestrator.layer({
    activeProvider: "openai",
    activeModel: "gpt-4o-mini",
    providers: { openai: { layer: fake.layer } }
  }).pipe(Layer.provide(cost))
)
const llm = await runtime.runPromise(LLMOrchestrator.use(Effect.succeed))
const request = { messages: [{ role: "user" as const, content: "hello there" }] }

const time = async (label: string, f: () => Promise<unknown>, n = 20_000) => {
  for (let i = 0; i < 2_000; i++) await f()
  const start = performance.now()
  for (let i = 0; i < n; i++) await f()
  console.log(`${label.padEnd(36)} ${(((performance.now() - start) * 1000) / n).toFixed(2)} us/op`)
}
console.log(`no network, cost tracking ${mode}, Node ${process.version}`)
await time("runPromise(Effect.void) (floor)", () => runtime.runPromise(Effect.void))
await time("sendRequest", () => runtime.runPromise(llm.sendRequest(request)))
await time("sendStreamingRequest (3 deltas)", () =>
  runtime.runPromise(Stream.runDrain(llm.sendStreamingRequest(request)))
)
await runtime.dispose()
