/**
 * The orchestrator's own cost with no network at all: sendRequest and a short stream against the
 * scripted fake provider, cost tracking off, in memory, or with the JSONL log; and the difference
 * between calling a provider directly and through the orchestrator when the provider awaits one real
 * event-loop turn (setImmediate), as an SDK promise does. What the real-SDK bench (bench/run.ts)
 * measures beyond this is the interplay with socket I/O and GC, not the orchestrator's own steps.
 *
 * `npx pnpm@12.21.0 exec node bench/no-network.ts [off|memory|log|log-fsync-none|budget]` (`log` fsyncs each
 * batch; budget: memory with a budget never reached, so every attempt reserves and settles)
 */
import { mkdtempSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { emptyUsage, LLMOrchestrator, LLMProvider, NetworkError } from "@llm-orchestrator/core"
import { CostTracking } from "@llm-orchestrator/cost"
import { makeFakeProvider } from "@llm-orchestrator/testing"
import { Effect, Layer, ManagedRuntime, Stream } from "effect"

const mode = process.argv[2] ?? "log"
const fake = makeFakeProvider({ id: "openai" })
const cost = CostTracking.layer({
  enabled: mode !== "off",
  prices: {},
  ...(mode.startsWith("log") ? { logPath: join(mkdtempSync(join(tmpdir(), "bench-")), "costs.jsonl") } : {}),
  ...(mode === "log-fsync-none" ? { fsync: "none" as const } : {}),
  ...(mode === "budget" ? { budgetUsd: 1e9 } : {})
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

// A provider that answers after one event-loop turn, called directly and through the orchestrator.
const oneTurn = Layer.succeed(
  LLMProvider,
  LLMProvider.of({
    id: "openai",
    // As the built-in adapters do: the orchestrator hands it the deadline instead of watching the request.
    honorsDeadline: true,
    generate: (_request, model) =>
      Effect.tryPromise({
        try: () => new Promise<void>((resolve) => setImmediate(resolve)),
        catch: () => new NetworkError({ provider: "openai", model, message: "unreachable" })
      }).pipe(
        Effect.as({
          content: "hi",
          provider: "openai" as const,
          model,
          finishReason: "stop" as const,
          usage: { ...emptyUsage, inputTokens: 5, outputTokens: 2 }
        })
      ),
    stream: () => Stream.empty,
    listModels: Effect.succeed([])
  })
)
const direct = ManagedRuntime.make(oneTurn)
const through = ManagedRuntime.make(
  LLMOrchestrator.layer({
    activeProvider: "openai",
    activeModel: "gpt-4o-mini",
    providers: { openai: { layer: oneTurn } }
  }).pipe(Layer.provide(cost))
)
const provider = await direct.runPromise(LLMProvider.use(Effect.succeed))
const orchestrator = await through.runPromise(LLMOrchestrator.use(Effect.succeed))
await time("provider awaiting one turn, directly", () => direct.runPromise(provider.generate(request, "gpt-4o-mini")))
await time("the same through the orchestrator", () => through.runPromise(orchestrator.sendRequest(request)))
await Promise.all([direct.dispose(), through.dispose()])
