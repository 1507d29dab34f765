/**
 * `llm-orchestrator chat --trace` against the simulator fleet: the request's span tree on stderr
 * (the request, then each attempt with its outcome, wait, tokens and cost), equal to the cost log's
 * records; printed for a failed request too; nothing of it without the flag, and no secret in it.
 */
import { readFileSync } from "node:fs"
import type { CostRecord, OrchestratorConfig } from "@llm-orchestrator/core"
import { type SimulatorFleet, startSimulatorFleet } from "@llm-orchestrator/testing"
import { Effect } from "effect"
import { parseConfig } from "llm-orchestrator"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { seeds } from "../../core/test/config-support.ts"
import { leakedSecrets, lines, runCli, tempDir } from "./cli-support.ts"

const readLog = (path: string): Array<CostRecord> =>
  lines(readFileSync(path, "utf8")).map((line) => JSON.parse(line) as CostRecord)

/** The lines of the tree: from the `trace <id>` line to the end of stderr (or the error line). */
const traceLines = (stderr: string) => {
  const all = lines(stderr)
  const start = all.findIndex((line) => /^trace [0-9a-f]{32}$/.test(line))
  return start === -1 ? [] : all.slice(start).filter((line) => !line.startsWith("error: "))
}

describe("llm-orchestrator chat --trace", { timeout: 60_000 }, () => {
  let fleet: SimulatorFleet
  let dir: ReturnType<typeof tempDir>
  let fleetConfig: OrchestratorConfig
  let run = 0
  beforeAll(async () => {
    fleet = await startSimulatorFleet()
    dir = tempDir()
    fleetConfig = Effect.runSync(parseConfig(fleet.configYaml()))
  })
  afterAll(async () => {
    await fleet.close()
    dir.cleanup()
  })
  afterEach(() => {
    for (const sim of [fleet.openai, fleet.anthropic, fleet.gemini, fleet.vertex, fleet.bedrock]) sim.reset()
  })
  const freshConfig = () => {
    run += 1
    const logPath = `${dir.path}/costs-${run}.jsonl`
    return { logPath, config: dir.file(`config-${run}.yaml`, fleet.configYaml({ costLogPath: logPath })) }
  }

  const number = String.raw`\d+(?:\.\d)?`
  const msOf = (line: string) => Number(/ {2}(\d+\.\d) ms {2}/.exec(line)?.[1])

  it("prints the tree of a request that retried and fell back: attempts, waits, tokens and cost as logged", async () => {
    const active = fleetConfig.activeModel
    const next = seeds(fleetConfig).openai!.fallbackModels.find((model) => model !== active)!
    fleet.openai.scriptModel(
      active,
      { kind: "error", fault: "server-error" },
      { kind: "error", fault: "model-not-found" }
    )
    fleet.openai.scriptModel(next, {
      kind: "text",
      text: "From the fallback.",
      usage: { inputTokens: 1234, outputTokens: 56 }
    })
    const { config, logPath } = freshConfig()
    const result = await runCli(["chat", "hi", "--trace", "--config", config])
    expect(result.code).toBe(0)
    expect(result.stdout).toBe("From the fallback.\n")
    const [record] = readLog(logPath)
    const cost = `\\$${record!.cost!.total.toFixed(6)}`.replace(".", "\\.")
    const tree = traceLines(result.stderr)
    expect(tree).toHaveLength(5)
    const [, request, first, second, third] = tree as [string, string, string, string, string]
    expect(request).toMatch(
      new RegExp(
        `^chat ${active} {2}${number} ms {2}answered by openai/${next} · success · 3 attempts · fell back · tokens 1,234 in, 56 out · cost ${cost} · first chunk ${number} ms$`
      )
    )
    expect(first).toMatch(
      new RegExp(
        `^├─ chat ${active} {2}${number} ms {2}attempt 1 \\(try 1\\) openai/${active} · error ProviderUnavailableError$`
      )
    )
    expect(second).toMatch(
      new RegExp(
        `^├─ chat ${active} {2}${number} ms {2}attempt 2 \\(try 2\\) openai/${active} · error ModelNotFoundError · waited ${number} ms before$`
      )
    )
    expect(third).toMatch(
      new RegExp(
        `^└─ chat ${next} {2}${number} ms {2}attempt 3 \\(try 1\\) openai/${next} · success · tokens 1,234 in, 56 out · cost ${cost} · first chunk ${number} ms$`
      )
    )
    // The request lasts its attempts and the wait between them.
    const waited = Number(/waited (\S+) ms/.exec(second)![1])
    expect(msOf(request)).toBeGreaterThanOrEqual(msOf(first) + waited + msOf(second) + msOf(third) - 1)
    // The summary line comes first, then the tree; no secret anywhere.
    expect(lines(result.stderr)[0]).toContain(`openai/${next} | tokens 1,234 in, 56 out`)
    expect(leakedSecrets(result)).toEqual([])
  })

  it("a failed request gets its tree too, before the one-line error", async () => {
    fleet.openai.script({ kind: "error", fault: "auth" }, { kind: "error", fault: "auth" })
    const { config } = freshConfig()
    const result = await runCli(["chat", "hi", "--trace", "--no-stream", "--config", config])
    expect(result.code).toBe(1)
    const all = lines(result.stderr)
    expect(all.at(-1)).toMatch(/^error: AuthenticationError from openai\//)
    const tree = traceLines(result.stderr)
    expect(tree.length).toBeGreaterThanOrEqual(3)
    expect(tree[1]).toMatch(new RegExp(`^chat ${fleetConfig.activeModel} {2}${number} ms {2}error · \\d+ attempts?`))
    expect(tree[1]).not.toContain("answered by")
    expect(tree[1]).not.toContain("first chunk")
    for (const attempt of tree.slice(2)) expect(attempt).toMatch(/^[├└]─ .* · error AuthenticationError$/)
    expect(leakedSecrets(result)).toEqual([])
  })

  it("--json keeps stdout pure JSON (the tree is on stderr); without --trace there is no tree", async () => {
    fleet.openai.script({ kind: "text", text: "Plain." }, { kind: "text", text: "Plain." })
    const traced = await runCli(["chat", "hi", "--trace", "--json", "--config", freshConfig().config])
    expect(traced.code).toBe(0)
    expect(JSON.parse(traced.stdout).content).toBe("Plain.")
    expect(traceLines(traced.stderr)).toHaveLength(3)
    const untraced = await runCli(["chat", "hi", "--config", freshConfig().config])
    expect(untraced.code).toBe(0)
    expect(untraced.stderr).not.toMatch(/^trace /m)
    expect(traceLines(untraced.stderr)).toEqual([])
  })
})
