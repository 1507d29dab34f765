#!/usr/bin/env node
/**
 * The `llm-orchestrator` executable (`pnpm cli -- <command>` in this repo). Exit codes: 0 ok,
 * 1 failure (a typed LLMError/ConfigError, a failed check), 2 usage error, 130 interrupted (Ctrl-C).
 */
import { NodeRuntime } from "@effect/platform-node"
import { Exit, Runtime } from "effect"
import { runCli } from "../cli/app.ts"

// `pnpm cli -- models` passes the "--" through: drop a leading one (a later "--" still ends the flags).
const args = process.argv.slice(2)
if (args[0] === "--") args.shift()

NodeRuntime.runMain(runCli(args), {
  // runCli already printed every failure in one line each; the runner only turns its result into the exit code.
  disableErrorReporting: true,
  // Ctrl-C interrupts the main fiber itself (runCli cannot catch that): the default teardown exits 130.
  teardown: (exit, onExit) =>
    Exit.isSuccess(exit) && typeof exit.value === "number" ? onExit(exit.value) : Runtime.defaultTeardown(exit, onExit)
})
