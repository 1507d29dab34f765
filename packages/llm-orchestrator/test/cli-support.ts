/**
 * Runs the `llm-orchestrator` CLI the way a user does: a separate Node process started from the repo
 * root, talking to the simulator fleet of the test process over 127.0.0.1.
 */
import { spawn } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { fleetCredentials } from "@llm-orchestrator/testing"

export const repoRoot = fileURLToPath(new URL("../../..", import.meta.url))
const entry = join(repoRoot, "packages/llm-orchestrator/src/bin/cli.ts")

export interface CliRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
  /** stdout as it was read, chunk by chunk: streamed output arrives in parts, not as one write at the end. */
  readonly stdoutChunks: ReadonlyArray<string>
}

export interface RunOptions {
  /** Variables to set (a value) or remove (undefined) on top of the test process's environment. */
  readonly env?: Readonly<Record<string, string | undefined>>
  /** Sends SIGINT (Ctrl-C) as soon as the first stdout output arrives. */
  readonly interruptOnFirstOutput?: boolean
  /** The working directory (default: the repository root). */
  readonly cwd?: string
}

export const runCli = (args: ReadonlyArray<string>, options: RunOptions = {}): Promise<CliRun> => {
  const env: Record<string, string | undefined> = { ...process.env, LLM_ORCHESTRATOR_CONFIG: undefined }
  for (const [name, value] of Object.entries(options.env ?? {})) env[name] = value
  for (const name of Object.keys(env)) if (env[name] === undefined) delete env[name]
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [entry, ...args], {
      cwd: options.cwd ?? repoRoot,
      env,
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    const stdoutChunks: Array<string> = []
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdoutChunks.push(chunk)
      stdout += chunk
      if (options.interruptOnFirstOutput && stdoutChunks.length === 1) child.kill("SIGINT")
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
    })
    child.once("error", reject)
    child.once("close", (code) => resolve({ code, stdout, stderr, stdoutChunks }))
  })
}

/** Every fake secret the fleet's config holds: none may ever be printed. */
export const fleetSecrets: ReadonlyArray<string> = Object.values(fleetCredentials)

export const leakedSecrets = (run: CliRun, secrets: ReadonlyArray<string> = fleetSecrets): ReadonlyArray<string> =>
  secrets.filter((secret) => run.stdout.includes(secret) || run.stderr.includes(secret))

/** A temp directory removed by `cleanup`. */
export const tempDir = (): { readonly path: string; file(name: string, text: string): string; cleanup(): void } => {
  const path = mkdtempSync(join(tmpdir(), "llm-orchestrator-cli-"))
  return {
    path,
    file: (name, text) => {
      const file = join(path, name)
      writeFileSync(file, text)
      return file
    },
    cleanup: () => rmSync(path, { recursive: true, force: true })
  }
}

/** Non-empty lines of an output. */
export const lines = (text: string): ReadonlyArray<string> => text.split("\n").filter((line) => line.trim() !== "")

/** The whitespace-separated words of a table row (only for columns that never hold spaces or blanks). */
export const cells = (line: string): ReadonlyArray<string> => line.trim().split(/\s+/)
