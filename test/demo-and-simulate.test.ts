/**
 * The README's first command and `pnpm simulate`, as a user runs them: spawned processes, real output.
 * The demo's cost log read back by `llm-orchestrator costs` gives the demo's own totals.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { checkConfig } from "@llm-orchestrator/core"
import { repoRoot, runCli } from "../packages/llm-orchestrator/test/cli-support.ts"
import { tempDir } from "./support.ts"

const run = (args: ReadonlyArray<string>): Promise<{ code: number | null; stdout: string; stderr: string }> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] })
    let stdout = ""
    let stderr = ""
    child.stdout.on("data", (d) => {
      stdout += d
    })
    child.stderr.on("data", (d) => {
      stderr += d
    })
    child.on("error", reject)
    child.on("close", (code) => resolve({ code, stdout, stderr }))
  })

// biome-ignore lint/suspicious/noControlCharactersInRegex: the demo's headings are bold (ANSI)
const stripAnsi = (text: string) => text.replace(/\x1b\[[0-9;]*m/g, "")

describe("pnpm demo", () => {
  it("tours discovery, fallback, streaming and costs; `costs` on its log gives the same totals", async () => {
    const demo = await run(["examples/demo.ts"])
    expect(demo.code, demo.stderr).toBe(0)
    const out = stripAnsi(demo.stdout)
    for (const provider of ["openai", "anthropic", "gemini", "vertex", "bedrock"])
      expect(out).toMatch(new RegExp(`^${provider}\\s+\\d+`, "m"))
    expect(out).toMatch(/error \(RateLimitError\)/)
    expect(out).toMatch(/error \(ProviderUnavailableError\)/)
    expect(out).toMatch(/openai\s+gpt-4o\s+1\s+success/)
    const total = out.match(/^TOTAL\s+(\d+)\s+(\d+)\s+(\d+)\s+(\d+)\s+\$([\d.]+)/m)
    expect(total).not.toBeNull()
    const logPath = out.match(/cost log: (\S+\.jsonl)/)?.[1]
    expect(logPath && existsSync(logPath)).toBe(true)
    const report = await runCli(["costs", logPath!, "--json"])
    expect(report.code, report.stderr).toBe(0)
    const json = JSON.parse(report.stdout) as {
      calls: number
      costUsd: number
      usage: { inputTokens: number; outputTokens: number }
    }
    const [, calls, unpriced, tokensIn, tokensOut, usd] = total!
    expect(json.calls).toBe(Number(calls))
    expect(Number(unpriced)).toBe(0)
    expect(json.usage.inputTokens).toBe(Number(tokensIn))
    expect(json.usage.outputTokens).toBe(Number(tokensOut))
    expect(json.costUsd).toBeCloseTo(Number(usd), 6)
    expect(readFileSync(logPath!, "utf8").trim().split("\n")).toHaveLength(json.calls)
  }, 60_000)
})

describe("pnpm simulate", () => {
  it("starts the five simulators, writes a valid config pointing at them, prints ready, stops on SIGTERM", async () => {
    const configPath = join(tempDir(), "sim.yaml")
    const child: ChildProcess = spawn(
      process.execPath,
      ["packages/testing/src/bin/simulate.ts", "--", "--write-config", configPath],
      { cwd: repoRoot, stdio: ["ignore", "pipe", "pipe"] }
    )
    let stdout = ""
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`no "ready" line: ${stdout}`)), 20_000)
      child.stdout?.on("data", (d) => {
        stdout += d
        if (/^ready$/m.test(stdout)) {
          clearTimeout(timer)
          resolve()
        }
      })
    })
    const yaml = readFileSync(configPath, "utf8")
    expect(checkConfig(yaml)).toEqual([])
    for (const line of stdout.split("\n").filter((l) => l.includes("http://"))) {
      const url = line.trim().split(/\s+/)[1]!
      expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/)
      expect(yaml).toContain(url)
    }
    const models = await runCli(["models", "gemini", "--json", "--config", configPath])
    expect(models.code, models.stderr).toBe(0)
    expect((JSON.parse(models.stdout) as Array<{ id: string }>).map((m) => m.id)).toContain("gemini-2.5-flash")
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve))
    child.kill("SIGTERM")
    expect(await exited).toBe(0)
  }, 60_000)
})
