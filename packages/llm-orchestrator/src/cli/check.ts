/**
 * `llm-orchestrator check [config]`: validates a config file and reports EVERY problem at once, each
 * with its key path and what to do (unset variables, unknown keys, bad values); exit 1 when there are
 * problems. A valid config's cost log path is then checked as the layer would open it, and a valid
 * config gets a short summary. Secrets are never printed: the summary shows only non-secret
 * settings, and `checkConfig` never quotes a secret's value.
 */
import * as fs from "node:fs"
import * as nodePath from "node:path"
import { type OrchestratorConfig, type ProviderId, readConfigFile } from "@llm-orchestrator/core"
import { resolveLogPath } from "@llm-orchestrator/cost"
import { Effect, Option } from "effect"
import { Argument, Command } from "effect/cli"
import { checkConfig, parseConfig } from "../config.ts"
import { configuredProviders } from "./config.ts"
import { CliFailure } from "./failure.ts"
import { formatTable, formatUsd, printOut } from "./output.ts"
import { root } from "./root.ts"

/** A base URL without any user:password part (someone may have put a proxy credential there). */
const safeUrl = (url: string): string => url.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^/@]*@/i, "$1")

/** The non-secret settings of one instance: its type, where it connects, how it authenticates, its fallbacks. */
const providerDetails = (config: OrchestratorConfig, id: ProviderId): string => {
  const instance = config.providers[id]
  if (instance === undefined) return ""
  const { type, settings } = instance
  const details = [...(type.name === id ? [] : [`type ${type.name}`]), ...type.describe(settings)]
  if (settings.baseUrl !== undefined) details.push(`base_url ${safeUrl(settings.baseUrl)}`)
  const ms = (value: number) => (value === 0 ? "none" : `${value} ms`)
  if (settings.timeoutMs !== undefined) details.push(`timeout ${ms(settings.timeoutMs)}`)
  if (settings.idleTimeoutMs !== undefined) details.push(`idle_timeout ${ms(settings.idleTimeoutMs)}`)
  if (settings.fallbackModels.length > 0) details.push(`fallback ${settings.fallbackModels.join(", ")}`)
  return details.join("; ")
}

/**
 * Whether the cost log can be opened for appending, found without creating anything: a `problem`
 * (the layer would fail with it), or the missing directory the layer will `create`.
 */
const logPathStatus = (logPath: string): { readonly problem?: string; readonly create?: string } => {
  const resolved = resolveLogPath(logPath)
  let existing = resolved
  while (!fs.existsSync(existing) && nodePath.dirname(existing) !== existing) existing = nodePath.dirname(existing)
  const stat = fs.statSync(existing)
  const writable = (mode: number) => {
    try {
      fs.accessSync(existing, mode)
      return true
    } catch {
      return false
    }
  }
  if (existing === resolved) {
    if (stat.isDirectory()) return { problem: `${resolved} is a directory; give the path of a file` }
    return writable(fs.constants.W_OK) ? {} : { problem: `${resolved} is not writable by this user` }
  }
  if (!stat.isDirectory()) return { problem: `${existing} is a file, so ${resolved} cannot be created under it` }
  if (!writable(fs.constants.W_OK | fs.constants.X_OK))
    return { problem: `${existing} is not writable by this user, so ${resolved} cannot be created` }
  const directory = nodePath.dirname(resolved)
  return directory === existing ? {} : { create: directory }
}

/** The summary of a valid config; `create`: the cost log's directory that does not exist yet. */
const configSummary = (path: string, config: OrchestratorConfig, create: string | undefined): string => {
  const cost = config.costTracking
  const costLog = !cost.enabled
    ? "disabled"
    : `${cost.logPath === undefined ? "in memory only (no log_path)" : resolveLogPath(cost.logPath)}${
        create === undefined ? "" : ` (its directory ${create} will be created)`
      }${cost.budgetUsd === undefined ? "" : `; budget ${formatUsd(cost.budgetUsd)}`}`
  const chain = config.fallback.chain.map((entry) => `${entry.provider}/${entry.model}`).join(", ")
  return [
    `${path}: OK`,
    `active:        ${config.activeProvider}/${config.activeModel}`,
    ...(chain === "" ? [] : [`fallback:      ${chain}`]),
    `cost tracking: ${costLog}`,
    "providers:",
    formatTable(
      [{ header: "  PROVIDER" }, { header: "SETTINGS" }],
      configuredProviders(config).map((id) => [`  ${id}`, providerDetails(config, id)])
    )
  ].join("\n")
}

export const checkCommand = Command.make(
  "check",
  {
    config: Argument.String("config").pipe(
      Argument.withDescription(
        "The config file to check (default: --config, $LLM_ORCHESTRATOR_CONFIG, ./llm-orchestrator.yaml)"
      ),
      Argument.optional
    )
  },
  (input) =>
    Effect.gen(function* () {
      const path = Option.isSome(input.config) ? input.config.value : (yield* root).config
      const text = yield* readConfigFile(path)
      const problems = checkConfig(text, { source: path })
      if (problems.length > 0) {
        const count = problems.length === 1 ? "1 problem" : `${problems.length} problems`
        return yield* Effect.fail(
          CliFailure.failure(
            `${path}: ${count}`,
            ...problems.map((problem) => `  ${problem.path ? `${problem.path}: ` : ""}${problem.message}`)
          )
        )
      }
      const config = yield* parseConfig(text, { source: path })
      const { logPath, enabled } = config.costTracking
      const log = enabled && logPath !== undefined ? logPathStatus(logPath) : {}
      if (log.problem !== undefined)
        return yield* Effect.fail(
          CliFailure.failure(
            `${path}: 1 problem`,
            `  cost_tracking.log_path: ${log.problem}; choose a writable path or set cost_tracking.enabled: false`
          )
        )
      yield* printOut(configSummary(path, config, log.create))
    })
).pipe(
  Command.withDescription("Validate a config file and list every problem (unset variables, unknown keys, bad values)")
)
