/**
 * `llm-orchestrator models [provider] [--refresh] [--json]`: each configured provider's chat models,
 * listed through its API (docs/ARCHITECTURE.md, "Discovery") with catalogue context windows and prices.
 *
 * Providers are listed concurrently and separately, so one provider that cannot list (no permission,
 * down) does not hide the others: its error goes to stderr and the command exits 1 after printing
 * what the other providers returned.
 */
import type { ModelInfo, ProviderId } from "@llm-orchestrator/core"
import { Effect, Option, Result } from "effect"
import { Argument, Command, Flag } from "effect/cli"
import { loadConfig } from "../config.ts"
import { LLMOrchestrator } from "../orchestrator.ts"
import { layerFromConfig } from "../wiring.ts"
import { configuredProviders, requireConfiguredProvider } from "./config.ts"
import { CliFailure, describeError } from "./failure.ts"
import { formatPerMillion, formatTable, formatTokensShort, printJson, printOut, withSlowNotice } from "./output.ts"
import { root } from "./root.ts"

const columns = [
  { header: "PROVIDER" },
  { header: "MODEL" },
  { header: "NAME" },
  { header: "CONTEXT", align: "right" },
  { header: "IN $/1M", align: "right" },
  { header: "OUT $/1M", align: "right" }
] as const

export const modelsTable = (models: ReadonlyArray<ModelInfo>): string =>
  formatTable(
    columns,
    models.map((m) => [
      m.provider,
      m.id,
      `${m.displayName ?? ""}${m.deprecated ? " (deprecated)" : ""}`,
      formatTokensShort(m.contextWindow),
      formatPerMillion(m.price?.input),
      formatPerMillion(m.price?.output)
    ])
  )

export const modelsCommand = Command.make(
  "models",
  {
    provider: Argument.String("provider").pipe(
      Argument.withDescription("Only this provider instance (a key under providers in the config)"),
      Argument.optional
    ),
    refresh: Flag.Boolean("refresh").pipe(
      Flag.withDescription("Ignore the cached listing and ask the providers again"),
      Flag.withDefault(false)
    ),
    json: Flag.Boolean("json").pipe(Flag.withDescription("Print a JSON array of ModelInfo"), Flag.withDefault(false))
  },
  (input) =>
    Effect.gen(function* () {
      const { config: configPath } = yield* root
      const config = yield* loadConfig(configPath)
      const providers: ReadonlyArray<ProviderId> = Option.isSome(input.provider)
        ? [yield* requireConfiguredProvider(config, input.provider.value)]
        : configuredProviders(config)
      const results = yield* Effect.gen(function* () {
        const llm = yield* LLMOrchestrator
        return yield* Effect.forEach(
          providers,
          (provider) =>
            Effect.result(
              withSlowNotice(
                input.refresh ? llm.refreshModels(provider) : llm.getAvailableModels(provider),
                `listing models from ${provider}...`
              )
            ),
          { concurrency: "unbounded" }
        )
      }).pipe(Effect.provide(layerFromConfig(config)))

      const models = results.flatMap((result) => (Result.isSuccess(result) ? result.success : []))
      if (input.json) yield* printJson(models)
      else if (models.length > 0) yield* printOut(modelsTable(models))
      const failures = results.flatMap((result, i) =>
        Result.isFailure(result) ? describeError(result.failure).lines.map((line) => `${providers[i]}: ${line}`) : []
      )
      if (failures.length > 0) return yield* Effect.fail(CliFailure.failure(...failures))
    })
).pipe(Command.withDescription("List the configured providers' chat models, with context window and price"))
