/**
 * Test wiring for the orchestrator: fake providers (no HTTP) and an in-memory cost tracker with a
 * fixed price table, so the chain logic is tested alone and fast, on the TestClock.
 */
import {
  BudgetExceededError,
  type CostRecord,
  CostTracker,
  emptyUsage,
  type LLMError,
  LLMOrchestrator,
  type LLMOrchestratorOptions,
  type ModelInfo,
  Pricing,
  type ProviderFinish,
  type ProviderId,
  type ProviderSetup,
  ProviderUnavailableError,
  type Usage
} from "@llm-orchestrator/core"
import { type FakeStep, makeFakeProvider } from "@llm-orchestrator/testing"
import { Effect, Layer, Tracer } from "effect"

/** $1 per million input tokens and $2 per million output tokens, for every model but "unpriced". */
export const priceOf = (model: string) => (model === "unpriced" ? undefined : { input: 1, output: 2 })

export const testCost = (records: Array<CostRecord>, budgetUsd?: number) => {
  const costOf = (_p: ProviderId, model: string, usage: Usage) => {
    const price = priceOf(model)
    if (!price) return undefined
    const input = (usage.inputTokens * price.input) / 1e6
    const output = (usage.outputTokens * price.output) / 1e6
    return { input, cacheRead: 0, cacheWrite: 0, output, reasoning: 0, total: input + output, currency: "USD" as const }
  }
  const spent = () => records.reduce((sum, r) => sum + (r.cost?.total ?? 0), 0)
  return Layer.mergeAll(
    Layer.succeed(Pricing, Pricing.of({ priceOf: (_p, model) => priceOf(model), costOf })),
    Layer.succeed(
      CostTracker,
      CostTracker.of({
        enabled: true,
        record: (record) => Effect.sync(() => void records.push(record)),
        sessionCost: Effect.sync(spent),
        report: Effect.die("not used"),
        checkBudget: (provider, model) =>
          budgetUsd !== undefined && spent() >= budgetUsd
            ? Effect.fail(
                new BudgetExceededError({ provider, model, spentUsd: spent(), budgetUsd, message: "budget spent" })
              )
            : Effect.void,
        // Reservations are the real tracker's (tested with CostTracking.layer in test/budget.test.ts).
        budgeted: false,
        unpricedRefusal: () => undefined,
        reserve: () => Effect.succeed({ amountUsd: 0 }),
        release: () => Effect.void,
        flush: Effect.void,
        logHealth: Effect.succeed(undefined)
      })
    )
  )
}

export const setup = (
  options: Omit<LLMOrchestratorOptions, "providers"> & {
    readonly providers: { readonly [P in ProviderId]?: { readonly fallbackModels?: ReadonlyArray<string> } }
    readonly budgetUsd?: number
    readonly models?: { readonly [P in ProviderId]?: ReadonlyArray<string | ModelInfo> }
    /** Providers whose `listModels` fails with this error. */
    readonly listErrors?: { readonly [P in ProviderId]?: LLMError }
  }
) => {
  const records: Array<CostRecord> = []
  const fakes = new Map<ProviderId, ReturnType<typeof makeFakeProvider>>()
  const providers: { [P in ProviderId]?: ProviderSetup } = {}
  for (const [id, p] of Object.entries(options.providers) as Array<[ProviderId, { fallbackModels?: string[] }]>) {
    const listError = options.listErrors?.[id]
    const fake = makeFakeProvider({ id, models: options.models?.[id] ?? [], ...(listError ? { listError } : {}) })
    fakes.set(id, fake)
    providers[id] = { layer: fake.layer, ...(p.fallbackModels ? { fallbackModels: p.fallbackModels } : {}) }
  }
  const { budgetUsd: _budget, models: _models, listErrors: _listErrors, ...orchestratorOptions } = options
  const layer = LLMOrchestrator.layer({ ...orchestratorOptions, providers }).pipe(
    Layer.provide(testCost(records, options.budgetUsd))
  )
  return { layer, records, fake: (id: ProviderId) => fakes.get(id)! }
}

export const user = (content: string) => ({ messages: [{ role: "user" as const, content }] })

export const err = { message: "scripted" }
export const unavailable = (model: string) =>
  new ProviderUnavailableError({ provider: "openai", model, ...err, status: 503 })
/** Attempts as `provider/model:outcome[:errorTag]`, one string each, for compact expectations. */
export const attemptsOf = (
  attempts: ReadonlyArray<{ provider: string; model: string; outcome: string; errorTag?: string }>
) => attempts.map((a) => `${a.provider}/${a.model}:${a.outcome}${a.errorTag ? `:${a.errorTag}` : ""}`)

/** Model "a" scripted with `steps`, one try, and a fallback model "b" that answers: a failure before the first output moves to "b". */
export const withFallbackModel = (...steps: ReadonlyArray<FakeStep>) => {
  const t = setup({
    activeProvider: "openai",
    activeModel: "a",
    providers: { openai: { fallbackModels: ["b"] } },
    retry: { maxAttempts: 1 }
  })
  t.fake("openai").scriptModel("a", ...steps)
  t.fake("openai").scriptModel("b", { text: "from b" })
  return t
}

/** Model "a"'s end of a stream: 40 tokens in, 2 out, "stop" unless `fields` say otherwise. */
export const providerFinish = (fields: Partial<ProviderFinish> = {}): ProviderFinish => ({
  _tag: "ProviderFinish",
  finishReason: "stop",
  usage: { ...emptyUsage, inputTokens: 40, outputTokens: 2 },
  model: "a",
  ...fields
})

/** A tracer that keeps every span it makes and whether it was asked for a root span. */
export const recordingTracer = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const rootOption = new Map<Tracer.NativeSpan, boolean>()
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      rootOption.set(span, options.root)
      return span
    }
  })
  return { tracer, spans, rootOption }
}
