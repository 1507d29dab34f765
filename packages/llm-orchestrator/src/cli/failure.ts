/**
 * How a failed command ends: one line per problem on stderr, then an exit code. 1 for a typed
 * `LLMError` / `ConfigError` or a failed check, 2 for a usage error (bad flags, bad arguments).
 * Never a stack trace: every message shown comes from a typed error whose text is secret-free by
 * contract (docs/ARCHITECTURE.md, "Errors").
 */
import { type ConfigError, isLLMError, type LLMError } from "@llm-orchestrator/core"
import { Cause, Schema } from "effect"
import { CliError } from "effect/cli"

export const exitCodes = { ok: 0, failure: 1, usage: 2, interrupted: 130 } as const

/** A problem the CLI found itself: what to print and how to exit. */
export class CliFailure extends Schema.TaggedError<CliFailure>()("CliFailure", {
  lines: Schema.Array(Schema.String),
  exitCode: Schema.Number
}) {
  static usage(message: string): CliFailure {
    return new CliFailure({ lines: [message], exitCode: exitCodes.usage })
  }
  static failure(...lines: ReadonlyArray<string>): CliFailure {
    return new CliFailure({ lines, exitCode: exitCodes.failure })
  }
}

const isConfigError = (u: unknown): u is ConfigError =>
  typeof u === "object" && u !== null && (u as { _tag?: unknown })._tag === "ConfigError"

const configErrorLines = (error: ConfigError): ReadonlyArray<string> =>
  error.problems.length === 0
    ? [error.message]
    : error.problems.map((problem) => (problem.path ? `${problem.path}: ${problem.message}` : problem.message))

const llmErrorLine = (error: LLMError): string => {
  const where = error.model ? `${error.provider}/${error.model}` : error.provider
  const status = error.status === undefined ? "" : ` (HTTP ${error.status})`
  const requestId = error.requestId === undefined ? "" : ` [request ${error.requestId}]`
  return `${error._tag} from ${where}${status}: ${oneLine(error.message)}${requestId}`
}

const oneLine = (text: string): string => text.replace(/\s*\n\s*/g, " ").trim()

/** The lines to print and the exit code for a command's failure cause. */
export const describeFailure = (cause: Cause.Cause<unknown>): { lines: ReadonlyArray<string>; exitCode: number } => {
  if (Cause.hasInterruptsOnly(cause)) return { lines: [], exitCode: exitCodes.interrupted }
  return describeError(Cause.squash(cause))
}

/** The lines to print and the exit code for one error (typed failure or defect). */
export const describeError = (error: unknown): { lines: ReadonlyArray<string>; exitCode: number } => {
  if (error instanceof CliFailure) return { lines: error.lines, exitCode: error.exitCode }
  if (isConfigError(error)) return { lines: configErrorLines(error), exitCode: exitCodes.failure }
  if (isLLMError(error)) return { lines: [llmErrorLine(error)], exitCode: exitCodes.failure }
  if (CliError.isCliError(error)) {
    // ShowHelp was already presented (help on stdout, or the parse errors on stderr by our presenter).
    if (error._tag === "ShowHelp") return { lines: [], exitCode: exitCodes.usage }
    return { lines: [oneLine(error.message)], exitCode: exitCodes.usage }
  }
  // A defect is a bug in the CLI or the library: say so in one line, without the stack.
  const message = error instanceof Error ? error.message : String(error)
  return { lines: [`internal error: ${oneLine(message)}`], exitCode: exitCodes.failure }
}
