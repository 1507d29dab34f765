/**
 * `llm-orchestrator check` on the seed configs of examples/configs: with their variables unset it
 * lists EVERY missing variable in one run and exits 1; with fake values it exits 0 with a summary;
 * the fake secrets never appear in the output.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs"
import { dirname, join } from "node:path"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import { parse } from "yaml"
import { leakedSecrets, lines, repoRoot, runCli, tempDir } from "./cli-support.ts"

const seeds = ["config.dev.yaml", "config.prod.yaml", "config.migration.yaml"]

/** The `${VAR}` references of a config without a default, each with the key path that holds it. */
const variablesOf = (text: string): Array<{ variable: string; path: string }> => {
  const found: Array<{ variable: string; path: string }> = []
  const walk = (value: unknown, path: string) => {
    if (typeof value === "string") {
      for (const match of value.matchAll(/\$\{([A-Za-z_][A-Za-z0-9_]*)\}/g)) found.push({ variable: match[1]!, path })
    } else if (Array.isArray(value)) {
      for (const [i, item] of value.entries()) walk(item, `${path}[${i}]`)
    } else if (typeof value === "object" && value !== null)
      for (const [key, child] of Object.entries(value)) walk(child, path ? `${path}.${key}` : key)
  }
  walk(parse(text), "")
  return found
}

describe("llm-orchestrator check", { timeout: 60_000 }, () => {
  let dir: ReturnType<typeof tempDir>
  beforeAll(() => {
    dir = tempDir()
  })
  afterAll(() => dir.cleanup())

  for (const seed of seeds) {
    const path = join("examples", "configs", seed)
    const text = readFileSync(join(repoRoot, path), "utf8")
    const variables = variablesOf(text)
    const unset = Object.fromEntries(variables.map(({ variable }) => [variable, undefined]))

    it(`${seed}: every unset variable is listed, with its key path, in one run (exit 1)`, async () => {
      expect(variables.length).toBeGreaterThan(0)
      const run = await runCli(["check", path], { env: unset })
      expect(run.code).toBe(1)
      expect(run.stdout).toBe("")
      const problems = lines(run.stderr).slice(1)
      expect(lines(run.stderr)[0]).toBe(
        `error: ${path}: ${variables.length === 1 ? "1 problem" : `${variables.length} problems`}`
      )
      for (const { variable, path: keyPath } of variables) {
        expect(problems.some((line) => line.includes(`${keyPath}:`) && line.includes(variable))).toBe(true)
      }
      expect(run.stderr).not.toMatch(/\n\s+at /)
    })

    it(`${seed}: with the variables set it exits 0 with a summary, never printing their values`, async () => {
      const fake = Object.fromEntries(
        variables.map(({ variable }, i) => [variable, `fake-secret-${variable.toLowerCase()}-${i}-0123456789`])
      )
      const run = await runCli(["check", "--config", path], { env: fake })
      expect(run.code).toBe(0)
      expect(run.stderr).toBe("")
      const config = parse(text) as { active_provider: string; active_model: string; providers: object }
      expect(run.stdout).toContain(`${path}: OK`)
      expect(run.stdout).toContain(`${config.active_provider}/${config.active_model}`)
      for (const provider of Object.keys(config.providers))
        expect(run.stdout).toMatch(new RegExp(`^\\s+${provider}\\s`, "m"))
      expect(leakedSecrets(run, Object.values(fake))).toEqual([])
    })
  }

  it("reads LLM_ORCHESTRATOR_CONFIG when no path is given (and ignores pnpm's leading --)", async () => {
    const file = dir.file("from-env.yaml", readFileSync(join(repoRoot, "examples/configs/config.dev.yaml"), "utf8"))
    const run = await runCli(["--", "check"], {
      env: { LLM_ORCHESTRATOR_CONFIG: file, OPENAI_API_KEY: "sk-fake-from-env" }
    })
    expect(run.code).toBe(0)
    expect(run.stdout).toContain(`${file}: OK`)
    expect(run.stdout).not.toContain("sk-fake-from-env")
  })

  it("reads ./llm-orchestrator.yaml when neither --config nor LLM_ORCHESTRATOR_CONFIG names a file", async () => {
    const file = dir.file(
      "llm-orchestrator.yaml",
      readFileSync(join(repoRoot, "examples/configs/config.dev.yaml"), "utf8")
    )
    const run = await runCli(["check"], { cwd: dirname(file), env: { OPENAI_API_KEY: "sk-fake-from-env" } })
    expect(run.code, run.stderr).toBe(0)
    expect(run.stdout).toContain("./llm-orchestrator.yaml: OK")
  })

  it("reports unknown keys and bad values together with the missing variables", async () => {
    const file = dir.file(
      "broken.yaml",
      [
        "active_provider: openai",
        "active_model: gpt-4o-mini",
        "providers:",
        "  openai:",
        `    api_key: "\${CLI_TEST_MISSING_KEY}"`,
        "    fallback_modles: [gpt-4o]",
        "cost_tracking:",
        "  budget_usd: -3",
        ""
      ].join("\n")
    )
    const run = await runCli(["check", file], { env: { CLI_TEST_MISSING_KEY: undefined } })
    expect(run.code).toBe(1)
    const problems = lines(run.stderr).slice(1)
    expect(lines(run.stderr)[0]).toBe(`error: ${file}: ${problems.length} problems`)
    expect(problems).toHaveLength(3)
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/providers\.openai\.api_key: .*CLI_TEST_MISSING_KEY/),
        expect.stringMatching(/providers\.openai\.fallback_modles: .*fallback_models/),
        expect.stringMatching(/cost_tracking\.budget_usd: /)
      ])
    )
  })

  it("reports model ids that could leave the model's URL path, and a key with a CRLF, never echoing either", async () => {
    const file = dir.file(
      "hostile.yaml",
      [
        "active_provider: gemini",
        'active_model: "%2e%2e/%2e%2e/v1beta/files/abc:delete#"',
        "providers:",
        "  gemini:",
        `    api_key: "\${CLI_TEST_CRLF_KEY}"`,
        '    fallback_models: ["gemini-2.5-flash", "models/../../x"]',
        "fallback:",
        "  chain:",
        '    - { provider: gemini, model: "a?b=c" }',
        ""
      ].join("\n")
    )
    const run = await runCli(["check", file], { env: { CLI_TEST_CRLF_KEY: "AIza-cli-canary\r\nX-Injected: 1" } })
    expect(run.code).toBe(1)
    const problems = lines(run.stderr).slice(1)
    expect(problems).toHaveLength(4)
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/providers\.gemini\.api_key: contains a line break .*CLI_TEST_CRLF_KEY/),
        expect.stringMatching(/providers\.gemini\.fallback_models\[1\]: is not a valid gemini model id/),
        expect.stringMatching(/active_model: is not a valid gemini model id: it contains "%"/),
        expect.stringMatching(/fallback\.chain\[0\]\.model: is not a valid gemini model id: it contains "\?"/)
      ])
    )
    expect(run.stderr).not.toContain("canary")
    expect(run.stderr).not.toContain("v1beta/files")
  })

  it("a config file that does not exist is one line, exit 1", async () => {
    const run = await runCli(["check", `${dir.path}/missing.yaml`])
    expect(run.code).toBe(1)
    expect(lines(run.stderr)).toEqual([expect.stringContaining(`${dir.path}/missing.yaml not found`)])
  })

  describe("the cost log path is checked as the layer would open it, creating nothing", () => {
    const withLog = (name: string, logPath: string) =>
      dir.file(
        name,
        [
          "active_provider: openai",
          "active_model: gpt-4o-mini",
          "providers:",
          "  openai:",
          "    api_key: sk-check-log-path-0000",
          "cost_tracking:",
          `  log_path: ${JSON.stringify(logPath)}`,
          ""
        ].join("\n")
      )

    it("a log path under a regular file is a problem (exit 1)", async () => {
      const blocker = dir.file("blocker.txt", "not a directory")
      const file = withLog("under-file.yaml", `${blocker}/costs.jsonl`)
      const run = await runCli(["check", file])
      expect(run.code).toBe(1)
      expect(lines(run.stderr)).toEqual([
        `error: ${file}: 1 problem`,
        `  cost_tracking.log_path: ${blocker} is a file, so ${blocker}/costs.jsonl cannot be created under it; choose a writable path or set cost_tracking.enabled: false`
      ])
    })

    it("a log path that is a directory is a problem (exit 1)", async () => {
      const folder = join(dir.path, "a-folder")
      mkdirSync(folder)
      const run = await runCli(["check", withLog("dir.yaml", folder)])
      expect(run.code).toBe(1)
      expect(run.stderr).toContain(`cost_tracking.log_path: ${folder} is a directory; give the path of a file`)
    })

    it("missing directories are named as the ones the layer will create, and check creates none", async () => {
      const target = join(dir.path, "not", "yet", "costs.jsonl")
      const run = await runCli(["check", withLog("nested.yaml", target)])
      expect(run.code).toBe(0)
      expect(run.stdout).toContain(
        `cost tracking: ${target} (its directory ${join(dir.path, "not", "yet")} will be created)`
      )
      expect(existsSync(join(dir.path, "not"))).toBe(false)
    })

    it("a log file in an existing directory is plainly OK", async () => {
      const target = join(dir.path, "costs.jsonl")
      const run = await runCli(["check", withLog("plain.yaml", target)])
      expect(run.code).toBe(0)
      expect(run.stdout).toMatch(new RegExp(`cost tracking: ${target}\\n`))
    })
  })
})
