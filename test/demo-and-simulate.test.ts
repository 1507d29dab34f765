/**
 * The README's first command and `pnpm simulate`, as a user runs them: spawned processes, real output.
 * The demo's cost log read back by `llm-orchestrator costs` gives the demo's own totals.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { existsSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import type { CostRecord } from "@llm-orchestrator/core"
import { checkConfig } from "llm-orchestrator"
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

/**
 * Published list prices in USD per million tokens of the models the demo's tour bills (no cache or
 * reasoning tokens in it): the demo's costs are checked against these, not against our pricing code.
 */
const publishedPerMillion: Readonly<Record<string, { readonly input: number; readonly output: number }>> = {
  // https://openai.com/api/pricing: gpt-4o $2.50 input, $10 output per 1M.
  "openai/gpt-4o": { input: 2.5, output: 10 },
  // https://docs.anthropic.com/en/docs/about-claude/pricing: Claude Sonnet 4.6 $3 input, $15 output per 1M.
  "anthropic/claude-sonnet-4-6": { input: 3, output: 15 },
  // https://ai.google.dev/gemini-api/docs/pricing: Gemini 2.5 Flash $0.30 text input, $2.50 output per 1M.
  "gemini/gemini-2.5-flash": { input: 0.3, output: 2.5 }
}
const publishedCost = (key: string, inputTokens: number, outputTokens: number): number => {
  const price = publishedPerMillion[key]
  if (!price) throw new Error(`no published price written in this test for ${key}`)
  return (inputTokens * price.input + outputTokens * price.output) / 1e6
}
/** A printed "$0.000327" equals `amount` to the digits printed. */
const expectDollars = (printed: string | undefined, amount: number) => {
  expect(printed).toMatch(/^\$\d+\.\d+$/)
  const digits = printed!.split(".")[1]!.length
  expect(Math.abs(Number(printed!.slice(1)) - amount), `${printed} vs ${amount}`).toBeLessThanOrEqual(
    0.5 * 10 ** -digits + 1e-12
  )
}

describe("pnpm demo", () => {
  it("tours discovery, fallback, streaming and costs; each cost is tokens x published price; `costs` agrees", async () => {
    const demo = await run(["examples/demo.ts"])
    expect(demo.code, demo.stderr).toBe(0)
    const out = stripAnsi(demo.stdout)
    for (const provider of ["openai", "anthropic", "gemini", "vertex", "bedrock"])
      expect(out).toMatch(new RegExp(`^${provider}\\s+\\d+`, "m"))
    expect(out).toMatch(/error \(RateLimitError\)/)
    expect(out).toMatch(/error \(ProviderUnavailableError\)/)
    expect(out).toMatch(/openai\s+gpt-4o\s+1\s+success/)

    // The cost table: one row per billed model, then TOTAL; every cost from its own row's tokens.
    const lines = out.split("\n")
    const header = lines.findIndex((line) => line.startsWith("provider/model"))
    expect(header).toBeGreaterThanOrEqual(0)
    const rows = lines
      .slice(header + 2)
      .filter((line) => /\S {2,}\S/.test(line))
      .map((line) => line.trim().split(/ {2,}/))
    const total = rows.at(-1)!
    const byModel = rows.slice(0, -1)
    expect(total[0]).toBe("TOTAL")
    expect(byModel.map((r) => r[0]).toSorted()).toEqual(Object.keys(publishedPerMillion).toSorted())
    let expectedTotal = 0
    for (const [key, calls, unpriced, tokensIn, tokensOut, cost] of byModel) {
      expect([calls, unpriced]).toEqual(["1", "0"])
      const expected = publishedCost(key!, Number(tokensIn), Number(tokensOut))
      expectDollars(cost, expected)
      expectedTotal += expected
    }
    expect(total.slice(1, 5)).toEqual([
      String(byModel.length),
      "0",
      String(byModel.reduce((n, r) => n + Number(r[3]), 0)),
      String(byModel.reduce((n, r) => n + Number(r[4]), 0))
    ])
    expectDollars(total[5], expectedTotal)

    // The cost log holds the same calls with the same tokens, each priced at the published rates.
    const logPath = out.match(/cost log: (\S+\.jsonl)/)?.[1]
    expect(logPath && existsSync(logPath)).toBe(true)
    const records = readFileSync(logPath!, "utf8")
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line) as CostRecord)
    expect(records.map((r) => `${r.provider}/${r.model}`).toSorted()).toEqual(byModel.map((r) => r[0]).toSorted())
    for (const record of records) {
      const row = byModel.find((r) => r[0] === `${record.provider}/${record.model}`)!
      expect([record.usage.inputTokens, record.usage.outputTokens]).toEqual([Number(row[3]), Number(row[4])])
      expect(record.cost?.total).toBeCloseTo(
        publishedCost(row[0]!, record.usage.inputTokens, record.usage.outputTokens),
        12
      )
    }
    const report = await runCli(["costs", logPath!, "--json"])
    expect(report.code, report.stderr).toBe(0)
    const json = JSON.parse(report.stdout) as {
      calls: number
      costUsd: number
      usage: { inputTokens: number; outputTokens: number }
    }
    expect(json.calls).toBe(records.length)
    expect(json.usage.inputTokens).toBe(Number(total[3]))
    expect(json.usage.outputTokens).toBe(Number(total[4]))
    expect(json.costUsd).toBeCloseTo(expectedTotal, 12)
  }, 60_000)
})

/** Starts `pnpm simulate` with `args` and resolves once it printed `ready`, with what it printed. */
const startSimulate = async (args: ReadonlyArray<string>): Promise<{ child: ChildProcess; stdout: string }> => {
  const child: ChildProcess = spawn(process.execPath, ["packages/testing/src/bin/simulate.ts", "--", ...args], {
    cwd: repoRoot,
    stdio: ["ignore", "pipe", "pipe"]
  })
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
  return { child, stdout }
}

const stop = async (child: ChildProcess): Promise<number | null> => {
  const exited = new Promise<number | null>((resolve) => child.on("close", resolve))
  child.kill("SIGTERM")
  return exited
}

describe("pnpm simulate", () => {
  it("starts the five simulators, writes a valid config pointing at them, prints ready, stops on SIGTERM", async () => {
    const configPath = join(tempDir(), "sim.yaml")
    const { child, stdout } = await startSimulate(["--write-config", configPath])
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
    expect(await stop(child)).toBe(0)
  }, 60_000)

  it("--fault PROVIDER:MODEL=STATUS,retry-after=S fails every request for that model, so a chat falls back", async () => {
    const configPath = join(tempDir(), "sim.yaml")
    const { child, stdout } = await startSimulate([
      "--write-config",
      configPath,
      "--fault",
      "openai:gpt-4o-mini=429,retry-after=0",
      "--fault",
      "anthropic:claude-sonnet-4-6=529"
    ])
    expect(stdout).toContain("fault      openai gpt-4o-mini: every request answered 429 with retry-after 0 s")
    expect(stdout).toContain("fault      anthropic claude-sonnet-4-6: every request answered 529")
    // The fleet's config: openai gpt-4o-mini first, then gpt-4o (its fallback_models).
    const chat = await runCli(["chat", "hi", "--no-stream", "--json", "--config", configPath])
    expect(chat.code, chat.stderr).toBe(0)
    const response = JSON.parse(chat.stdout) as {
      model: string
      attempts: ReadonlyArray<{ model: string; outcome: string; errorTag?: string }>
    }
    expect(response.model).toBe("gpt-4o")
    const failed = response.attempts.filter((attempt) => attempt.model === "gpt-4o-mini")
    expect(failed.length).toBeGreaterThanOrEqual(1)
    expect(failed.every((attempt) => attempt.errorTag === "RateLimitError")).toBe(true)
    // Every request for the faulted model fails, not only the first: a second chat falls back too.
    const again = await runCli(["chat", "hi", "--no-stream", "--json", "--config", configPath])
    expect((JSON.parse(again.stdout) as { model: string }).model).toBe("gpt-4o")
    // 529 in Anthropic's own form (overloaded_error): claude-sonnet-4-6 falls back to its next model.
    const anthropic = await runCli(
      ["chat", "hi", "--provider", "anthropic", "--model", "claude-sonnet-4-6", "--no-stream", "--json"].concat([
        "--config",
        configPath
      ])
    )
    const fellBack = JSON.parse(anthropic.stdout) as typeof response
    expect(fellBack.model).toBe("claude-haiku-4-5-20251001")
    expect(fellBack.attempts.filter((a) => a.model === "claude-sonnet-4-6").map((a) => a.errorTag)).toContain(
      "ProviderUnavailableError"
    )
    expect(await stop(child)).toBe(0)
  }, 60_000)

  it("--fault with a bad spec is a usage error that shows the expected form", async () => {
    const result = await run(["packages/testing/src/bin/simulate.ts", "--", "--fault", "openai=429"])
    expect(result.code).toBe(2)
    expect(result.stderr).toContain("expected PROVIDER:MODEL=STATUS[,retry-after=SECONDS]")
  })
})
