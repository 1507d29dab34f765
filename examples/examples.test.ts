/**
 * Every example run as a user runs it: `node examples/run-example.ts <name>` in its own process from
 * the repo root, against the in-process simulators. Expected numbers are derived from what the
 * runner scripted (`scripted`) and the providers' published prices written below, never copied from a
 * previous run nor computed by the project's own pricing code.
 */
import { execFile } from "node:child_process"
import { mkdtempSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { fleetCredentials, type SimulatorFleet, splitText, startSimulatorFleet } from "@llm-orchestrator/testing"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { examples, scripted } from "./run-example.ts"

const repoRoot = fileURLToPath(new URL("..", import.meta.url))

interface Run {
  readonly code: number
  readonly stdout: string
  readonly stderr: string
}

// Each spawned process compiles the workspace's TypeScript and the vendor SDKs. Node's compile cache,
// shared by all of them and warmed by one run before the rest, halves that; and as the work is
// CPU-bound, a few processes at a time finish sooner than all at once.
let compileCache = ""
const maxRunning = 3
let running = 0
const waiting: Array<() => void> = []
const withSlot = async <A>(task: () => Promise<A>): Promise<A> => {
  if (running < maxRunning) running++
  else await new Promise<void>((resolve) => waiting.push(resolve)) // the finishing task hands its slot over
  try {
    return await task()
  } finally {
    const next = waiting.shift()
    if (next) next()
    else running--
  }
}

const runNode = (args: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}): Promise<Run> => {
  const { LLM_ENV: _ignored, ...inherited } = process.env
  return withSlot(
    () =>
      new Promise((resolve) => {
        execFile(
          process.execPath,
          args,
          { cwd: repoRoot, env: { ...inherited, NODE_COMPILE_CACHE: compileCache, ...env }, timeout: 45_000 },
          (error, stdout, stderr) => {
            const code = error ? (typeof error.code === "number" ? error.code : -1) : 0
            resolve({ code, stdout, stderr })
          }
        )
      })
  )
}

const runExample = (name: string, env?: Readonly<Record<string, string>>) =>
  runNode(["examples/run-example.ts", name], env)

/** The budget example's run, which is also the warm-up: its config loads every provider's SDK. */
let budgetRun: Run
beforeAll(async () => {
  compileCache = mkdtempSync(join(tmpdir(), "llm-orchestrator-examples-cache-"))
  budgetRun = await runExample("budget")
}, 60_000)
afterAll(() => rmSync(compileCache, { recursive: true, force: true }))

/** Checks that an example succeeded and that no key reached its output. */
const okOutput = (run: Run): string => {
  expect(run.stderr, run.stdout).not.toMatch(/failed|Error:/)
  expect(run.code).toBe(0)
  for (const secret of Object.values(fleetCredentials)) expect(run.stdout + run.stderr).not.toContain(secret)
  return run.stdout
}

const runOk = async (name: string, env?: Readonly<Record<string, string>>): Promise<string> =>
  okOutput(await runExample(name, env))

/** Published list prices in USD per million tokens (no cache or reasoning tokens in these examples). */
const publishedPerMillion: Readonly<Record<string, { readonly input: number; readonly output: number }>> = {
  // https://openai.com/api/pricing: gpt-4o-mini $0.15 input, $0.60 output per 1M.
  "openai/gpt-4o-mini": { input: 0.15, output: 0.6 },
  // https://docs.anthropic.com/en/docs/about-claude/pricing: Claude Haiku 4.5 $1 input, $5 output per 1M.
  "anthropic/claude-haiku-4-5-20251001": { input: 1, output: 5 },
  // Same page: Claude Sonnet 4.6 $3 input, $15 output per 1M.
  "anthropic/claude-sonnet-4-6": { input: 3, output: 15 },
  // https://ai.google.dev/gemini-api/docs/pricing: Gemini 2.5 Flash $0.30 text input, $2.50 output per 1M.
  "gemini/gemini-2.5-flash": { input: 0.3, output: 2.5 }
}
const costOf = (
  provider: string,
  model: string,
  usage: { readonly inputTokens: number; readonly outputTokens: number }
): number => {
  const price = publishedPerMillion[`${provider}/${model}`]
  if (!price) throw new Error(`no published price written in this test for ${provider}/${model}`)
  return (usage.inputTokens * price.input + usage.outputTokens * price.output) / 1e6
}

/**
 * A printed dollar amount ("$0.000011") equals `amount` to the digits printed: the hand computation
 * and the program may round a value on a half-digit boundary differently (10.5e-6 prints either way).
 */
const expectDollars = (printed: string | undefined, amount: number) => {
  expect(printed).toMatch(/^\$\d+\.\d+$/)
  const digits = printed!.split(".")[1]!.length
  expect(Math.abs(Number(printed!.slice(1)) - amount), `${printed} vs ${amount}`).toBeLessThanOrEqual(
    0.5 * 10 ** -digits + 1e-12
  )
}

/** Table rows of formatTable's output: cells split on runs of 2+ spaces, header and rule dropped. */
const tableRows = (output: string, header: string): Array<Array<string>> => {
  const lines = output.split("\n")
  const start = lines.findIndex((line) => line.startsWith(header))
  const rows: Array<Array<string>> = []
  for (const line of lines.slice(start + 2)) {
    if (line.trim() === "" || !/\S {2,}\S/.test(line)) break
    rows.push(line.trim().split(/ {2,}/))
  }
  return rows
}

describe.concurrent("examples, each run as `pnpm example <name>`", { timeout: 60_000 }, () => {
  it("migration: one config edit moves the same request from OpenAI to Anthropic", async () => {
    const out = await runOk("migration")
    const lines = out.split("\n")
    const before = lines.indexOf("before the switch: answered by openai/gpt-4o-mini")
    const edited = lines.indexOf("config edited: active_provider: openai -> anthropic")
    const after = lines.indexOf("after the switch: answered by anthropic/claude-haiku-4-5-20251001")
    expect(before).toBeGreaterThanOrEqual(0)
    expect(edited).toBeGreaterThan(before)
    expect(after).toBeGreaterThan(edited)
    // The old active model is not an Anthropic model: discovery validation skips it without a call.
    expect(lines[after + 1]).toBe("  (skipped anthropic/gpt-4o-mini: ModelNotFoundError)")
    expect(lines[after + 2]).toContain("anthropic simulator (claude-haiku-4-5-20251001)")
  })

  it("cost-comparison: tokens and cost per model agree with the scripted usage and the published prices", async () => {
    const out = await runOk("cost-comparison")
    const rows = tableRows(out, "model")
    expect(rows.map((r) => r[0])).toEqual(scripted.comparisonModels.map((m) => `${m.provider}/${m.model}`))
    let total = 0
    const perPrompt: Array<[string, number]> = []
    for (const [i, { provider, model, outputTokens }] of scripted.comparisonModels.entries()) {
      const prompts = outputTokens.length
      const cost = outputTokens
        .map((tokens) => costOf(provider, model, { inputTokens: scripted.comparisonInputTokens, outputTokens: tokens }))
        .reduce((a, b) => a + b, 0)
      total += cost
      perPrompt.push([`${provider}/${model}`, cost / prompts])
      expect(rows[i]!.slice(0, 4)).toEqual([
        `${provider}/${model}`,
        String(prompts),
        String(prompts * scripted.comparisonInputTokens),
        String(outputTokens.reduce((a, b) => a + b, 0))
      ])
      expect(rows[i]).toHaveLength(7)
      expectDollars(rows[i]![4], cost)
      expectDollars(rows[i]![5], cost / prompts)
      expectDollars(rows[i]![6], (cost / prompts) * 1_000)
    }
    const [cheapestModel, cheapestCost] = perPrompt.toSorted((a, b) => a[1] - b[1])[0]!
    const cheapest = out.match(/^cheapest per prompt: (\S+) \((\S+)\)$/m)
    expect(cheapest?.[1]).toBe(cheapestModel)
    expectDollars(cheapest?.[2], cheapestCost)
    expectDollars(out.match(/^total spent on the comparison: (\S+)$/m)?.[1], total)
  })

  it("environments: LLM_ENV picks the config file (dev by default)", async () => {
    const [dev, prod] = await Promise.all([runOk("environments"), runOk("environments", { LLM_ENV: "prod" })])
    for (const [out, env] of [
      [dev, "dev"],
      [prod, "prod"]
    ] as const) {
      const { provider, model } = scripted.environments[env]
      expect(out).toMatch(new RegExp(`^environment: ${env} \\(.*config\\.${env}\\.yaml\\)$`, "m"))
      expect(out).toContain(`provider: ${provider}\nmodel: ${model}\n`)
      expect(out).toContain(`answer: Hello from the ${provider} simulator (${model}).`)
    }
  })

  it("environments: an unknown LLM_ENV fails with a message naming the missing file", async () => {
    const run = await runExample("environments", { LLM_ENV: "qa" })
    expect(run.code).toBe(1)
    expect(run.stderr).toMatch(/LLM_ENV=qa: no config file at .*config\.qa\.yaml/)
  })

  it("effect-ai: the Toolkit's handlers run, the object decodes, the stream comes whole from Gemini", async () => {
    const out = await runOk("effect-ai")
    const lines = out.split("\n")
    expect(lines).toContain("tool get_weather(Paris)")
    expect(lines).toContain("tool get_time(Oslo)")
    expect(lines).toContain(`answer: ${scripted.effectAiAnswer}`)
    expect(out).toMatch(/^ {2}answered by anthropic\/claude-sonnet-4-6 \(1 attempt, \$\d+\.\d+\)$/m)
    expect(JSON.parse(out.match(/^object: (.*)$/m)![1]!)).toEqual(scripted.effectAiTrip)
    // Only Gemini's text was streamed (Anthropic failed before its first token on both its models).
    const streamed = lines.filter((line) => line.startsWith("  | ")).map((line) => line.slice(4))
    expect(streamed.join("")).toBe(scripted.effectAiHaiku)
    expect(out).toMatch(/^stream answered by gemini\/gemini-2\.5-flash \(3 attempts, \$\d+\.\d+\)$/m)
    expect(out).toContain("[simulator] anthropic: 2 streams failed before their first token; gemini answered")
  })

  it("tools: both calls run, the answer printed, usage and cost summed over the two model calls", async () => {
    const out = await runOk("tools")
    expect(out).toContain('running get_weather({"city":"Paris"})')
    expect(out).toContain('running get_weather({"city":"Oslo"})')
    expect(out).toContain(
      'step 1: openai/gpt-4o-mini tool-calls: get_weather({"city":"Paris"}), get_weather({"city":"Oslo"})'
    )
    expect(out).toContain("step 2: openai/gpt-4o-mini stop")
    expect(out).toContain(`answer: ${scripted.toolAnswer}`)
    const [first, second] = scripted.toolUsage
    const inputTokens = first.inputTokens + second.inputTokens
    const outputTokens = first.outputTokens + second.outputTokens
    const usage = out.match(/usage: (\d+) tokens in, (\d+) out over 2 calls; cost (\S+)/)
    expect(usage?.slice(1, 3)).toEqual([String(inputTokens), String(outputTokens)])
    expectDollars(usage![3], costOf("openai", "gpt-4o-mini", { inputTokens, outputTokens }))
  })

  it("structured-output: the prose answer falls back, the JSON one is printed decoded, both billed", async () => {
    const out = await runOk("structured-output")
    const invoice = scripted.invoiceJson
    expect(out).toContain(
      `vendor: ${invoice.vendor}\n  2 chairs: 240.00 EUR\n  Delivery: 35.50 EUR\ntotal: 275.50 EUR\n`
    )
    expect(out).toContain("attempt: openai/gpt-4o-mini error (OutputValidationError)\nattempt: openai/gpt-4o success\n")
    const costs = out.match(/cost of the answer: (\S+); session cost: (\S+)/)
    expect(costs).not.toBeNull()
    // The session paid for both answers: more than the one that was returned.
    expect(Number(costs![2]!.slice(1))).toBeGreaterThan(Number(costs![1]!.slice(1)))
    expect(out).toContain("[simulator] openai: 2 requests, each with response_format")
  })

  it("images: the PNG and the PDF reach Anthropic as image and document blocks of their sizes, and are billed", async () => {
    const out = await runOk("images")
    expect(out).toContain(`${scripted.imageAnswer}\n`)
    const { inputTokens, outputTokens } = scripted.imageUsage
    const line = out.match(
      /anthropic\/claude-sonnet-4-6: (\d+) input tokens \(text, image and PDF\), (\d+) output; cost (\S+)/
    )
    expect(line?.slice(1, 3)).toEqual([String(inputTokens), String(outputTokens)])
    expectDollars(line![3], costOf("anthropic", "claude-sonnet-4-6", scripted.imageUsage))
    const png = Buffer.from(scripted.imagePng, "hex")
    expect(out).toContain(`[simulator] anthropic: image image/png, ${png.length} bytes, at messages.0.content.1\n`)
    expect(out).toContain(
      `[simulator] anthropic: document application/pdf, ${Buffer.byteLength(scripted.imagePdf)} bytes, titled "report.pdf", at messages.0.content.2\n`
    )
  })

  it("streaming: text, then the Finish event's usage and cost, then an early break that aborts the request", async () => {
    const out = await runOk("streaming")
    const [textPart, eventPart, stopPart] = out.split(/^-- (?:text stream|event stream|stopping early)$/m).slice(1)
    expect(textPart!.trim()).toBe(scripted.haiku)
    expect(eventPart!.trim().split("\n")[0]).toBe(scripted.haiku)
    expect(eventPart).toContain("finish: stop from openai/gpt-4o-mini")
    const usage = eventPart!.match(/usage: (\d+) tokens in, (\d+) out; cost (\S+)/)
    expect(usage).not.toBeNull()
    const inputTokens = Number(usage![1])
    const outputTokens = Number(usage![2])
    // The simulator reports one output token per streamed piece.
    expect(outputTokens).toBe(splitText(scripted.haiku, undefined).length)
    const streamCost = costOf("openai", "gpt-4o-mini", { inputTokens, outputTokens })
    expectDollars(usage![3], streamCost)

    const firstPieces = splitText(scripted.longEssay, undefined).slice(0, scripted.stopAfterPieces).join("")
    expect(stopPart).toContain(`${firstPieces}\nstopped after ${scripted.stopAfterPieces} pieces`)
    expect(stopPart).not.toContain(`word${scripted.stopAfterPieces + 1}`)
    // The two finished streams are billed exactly; the cut one adds what it used (estimated or reported).
    const costs = stopPart!.match(/session cost: (\S+) before this stream, (\S+) after/)
    expectDollars(costs?.[1], 2 * streamCost)
    const after = Number(costs![2]!.slice(1))
    expect(after).toBeGreaterThanOrEqual(2 * streamCost - 1e-6)
    expect(after).toBeLessThan(3 * streamCost)
    expect(stopPart).toContain("[simulator] openai: the client closed the third stream before its end")
  })

  it("fallback: retries the rate-limited then failing model, skips one over the Retry-After cap, moves provider", async () => {
    const out = await runOk("fallback")
    const rows = tableRows(out, "#").map(([n, provider, model, tryNumber, outcome]) => [
      n,
      provider,
      model,
      tryNumber,
      outcome
    ])
    expect(rows).toEqual([
      ["1", "openai", "gpt-4o-mini", "1", "error (RateLimitError)"],
      ["2", "openai", "gpt-4o-mini", "2", "error (ProviderUnavailableError)"],
      ["3", "openai", "gpt-4o-mini", "3", "error (ProviderUnavailableError)"],
      ["4", "openai", "gpt-4o", "1", "error (RateLimitError)"],
      ["5", "anthropic", "claude-haiku-4-5-20251001", "1", "success"]
    ])
    expect(out).toContain("answered by anthropic/claude-haiku-4-5-20251001 after 5 attempts")
    expect(out).toContain("answer: Hello from the anthropic simulator (claude-haiku-4-5-20251001).")
  })

  it("budget: the first request spends the budget, the next is refused with spent vs budget", async () => {
    const out = okOutput(budgetRun)
    const spent = costOf("openai", "gpt-4o-mini", scripted.budgetUsage)
    expect(spent).toBeGreaterThan(scripted.budgetUsd)
    const first = out.match(/^request 1: ok, cost (\S+)\n {2}session spent so far: (\S+)$/m)
    expectDollars(first?.[1], spent)
    expectDollars(first?.[2], spent)
    const refused = out.match(
      /^request 2: refused, BudgetExceededError: session budget of (\S+) is spent \((\S+) used\);/m
    )
    expectDollars(refused?.[1], scripted.budgetUsd)
    expectDollars(refused?.[2], spent)
    const summary = out.match(/^ {2}spent (\S+) of a (\S+) budget; nothing was sent$/m)
    expectDollars(summary?.[1], spent)
    expectDollars(summary?.[2], scripted.budgetUsd)
    expect(out).not.toContain("request 3")
  })

  it("compose-layers: hand-built layers answer a request, and a stream falls back to Anthropic", async () => {
    const out = await runOk("compose-layers")
    expect(out).toContain("request answered by openai/gpt-4o-mini: Layers compose.")
    expect(out).toContain(
      "stream answered by anthropic/claude-haiku-4-5-20251001 after openai/gpt-4o-mini AuthenticationError -> anthropic/claude-haiku-4-5-20251001 success"
    )
    expect(out).toMatch(/^session cost: \$\d+\.\d+$/m)
  })

  it("an unknown name prints the list of examples", async () => {
    const run = await runExample("no-such-example")
    expect(run.code).toBe(2)
    expect(run.stderr).toContain('unknown example "no-such-example"')
    for (const name of Object.keys(examples)) expect(run.stderr).toContain(`  ${name} `)
  })
})

// Without the runner, as the comment atop each example says: the example's own entry point, given a
// config (or keys in the environment) that here point at simulators started by the test.
describe.concurrent("examples run directly, as against real providers", { timeout: 60_000 }, () => {
  let fleet: SimulatorFleet
  let dir: string
  beforeAll(async () => {
    fleet = await startSimulatorFleet()
    dir = mkdtempSync(join(tmpdir(), "llm-orchestrator-examples-test-"))
  })
  afterAll(async () => {
    await fleet.close()
    rmSync(dir, { recursive: true, force: true })
  })

  it("node examples/environments.ts <dir> with LLM_ENV=staging", async () => {
    const { provider, model } = scripted.environments.staging
    writeFileSync(join(dir, "config.staging.yaml"), fleet.configYaml({ activeProvider: provider, activeModel: model }))
    const run = await runNode(["examples/environments.ts", dir], { LLM_ENV: "staging" })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`environment: staging (${join(dir, "config.staging.yaml")})`)
    expect(run.stdout).toContain(`provider: ${provider}\nmodel: ${model}\n`)
  })

  it("node examples/compose-layers.ts with keys and base URLs from the environment (NodeRuntime.runMain)", async () => {
    const run = await runNode(["examples/compose-layers.ts"], {
      OPENAI_API_KEY: fleetCredentials.openai,
      OPENAI_BASE_URL: `${fleet.openai.url}/v1`,
      ANTHROPIC_API_KEY: fleetCredentials.anthropic,
      ANTHROPIC_BASE_URL: fleet.anthropic.url
    })
    expect(run.stderr).toBe("")
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(
      "request answered by openai/gpt-4o-mini: Hello from the openai simulator (gpt-4o-mini)."
    )
    expect(run.stdout).toContain("stream answered by openai/gpt-4o-mini after openai/gpt-4o-mini success")
  })

  it("node examples/compose-layers.ts without OPENAI_API_KEY says what to set", async () => {
    const run = await runNode(["examples/compose-layers.ts"])
    expect(run.code).not.toBe(0)
    expect(run.stdout + run.stderr).toContain("set OPENAI_API_KEY")
  })
})
