/**
 * The `llm-orchestrator` command line (the README), on `effect/cli`: `models`, `chat`, `costs`,
 * `check`, all sharing `--config`. `runCli` never fails: it prints what went wrong (one line per
 * problem, no stack trace) and returns the exit code: 0 ok, 1 failure, 2 usage error, 130 interrupted.
 */
import { NodeServices } from "@effect/platform-node"
import { Effect, Layer, Logger } from "effect"
import { CliOutput, Command } from "effect/cli"
import { chatCommand } from "./chat.ts"
import { checkCommand } from "./check.ts"
import { costsCommand } from "./costs.ts"
import { describeFailure, exitCodes } from "./failure.ts"
import { modelsCommand } from "./models.ts"
import { printErr, printOut } from "./output.ts"
import { root } from "./root.ts"

export const version = "0.1.0"

export const cli = root.pipe(Command.withSubcommands([modelsCommand, chatCommand, costsCommand, checkCommand]))

/**
 * Help and version on stdout; a bad invocation gets its errors and the usage line on stderr, not the
 * whole help page (which would bury the one line that says what is wrong).
 */
const presenter: CliOutput.Presenter = {
  present: (event) => {
    const formatter = CliOutput.defaultFormatter({ colors: false })
    switch (event._tag) {
      case "Help":
        return printOut(formatter.formatHelpDoc(event.helpDoc))
      case "Version":
        return printOut(formatter.formatVersion(event.name, event.version))
      case "InvalidInvocation":
        return Effect.forEach(
          [
            ...event.errors.map((error) => `error: ${error.message}`),
            `usage: ${event.helpDoc.usage.trim()}`,
            `(${event.commandPath.join(" ")} --help for the flags)`
          ],
          printErr,
          { discard: true }
        )
    }
  }
}

/** Runs the CLI on `args` (without the node and script paths); resolves with the exit code. */
export const runCli = (args: ReadonlyArray<string>): Effect.Effect<number> =>
  Command.runWith(cli, { version })(args).pipe(
    Effect.as(exitCodes.ok),
    Effect.catchCause((cause) =>
      Effect.gen(function* () {
        const { lines, exitCode } = describeFailure(cause)
        // Indented lines continue the error above them (the problems of `check`).
        for (const line of lines) yield* printErr(line.startsWith(" ") ? line : `error: ${line}`)
        return exitCode
      })
    ),
    // Library log lines (e.g. a cost log that could not be written) must never mix into stdout's data.
    Effect.provideService(Logger.LogToStderr, true),
    Effect.provide(Layer.mergeAll(NodeServices.layer, CliOutput.layerPresenter(presenter)))
  )
