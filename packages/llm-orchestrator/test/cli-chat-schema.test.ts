/**
 * `llm-orchestrator chat --schema FILE` against the simulator fleet: the schema reaches the wire as the
 * provider's structured-output format, `--json` lists the decoded answer as `output` (streamed and
 * not), an answer not in the schema fails with OutputValidationError, and a bad schema file is a usage
 * error before any request.
 */
import type { SimulatorFleet } from "@llm-orchestrator/testing"
import { startSimulatorFleet } from "@llm-orchestrator/testing"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { runCli, tempDir } from "./cli-support.ts"

const city = {
  type: "object",
  properties: { city: { type: "string" }, country: { type: "string" } },
  required: ["city", "country"],
  additionalProperties: false
}
const answer = '{"city":"Mexico City","country":"Mexico"}'

describe("llm-orchestrator chat --schema", { timeout: 60_000 }, () => {
  let fleet: SimulatorFleet
  let dir: ReturnType<typeof tempDir>
  let config: string
  let schemaFile: string
  beforeAll(async () => {
    fleet = await startSimulatorFleet()
    dir = tempDir()
    config = dir.file("config.yaml", fleet.configYaml({ costLogPath: `${dir.path}/costs.jsonl` }))
    schemaFile = dir.file("city location.schema.json", JSON.stringify(city))
  })
  afterAll(async () => {
    await fleet.close()
    dir.cleanup()
  })
  afterEach(() => fleet.openai.reset())

  const chatBody = () =>
    fleet.openai.requests.filter((r) => r.kind !== "models").at(-1)!.body as Record<string, unknown>

  for (const stream of [true, false]) {
    it(`--json lists the decoded answer as output (${stream ? "streamed" : "--no-stream"})`, async () => {
      fleet.openai.script({ kind: "text", text: answer })
      const result = await runCli([
        "chat",
        "The largest city of Mexico?",
        "--config",
        config,
        "--schema",
        schemaFile,
        "--json",
        ...(stream ? [] : ["--no-stream"])
      ])
      expect(result.code, result.stderr).toBe(0)
      const printed = JSON.parse(result.stdout) as { output: unknown; content: string }
      expect(printed.output).toEqual({ city: "Mexico City", country: "Mexico" })
      expect(printed.content).toBe(answer)
      // The file's name, made a valid schema name, labels the schema on the wire.
      expect(chatBody().response_format).toEqual({
        type: "json_schema",
        json_schema: { name: "city_location_schema", schema: city, strict: true }
      })
    })
  }

  it("without --json the answer is printed as the model wrote it", async () => {
    fleet.openai.script({ kind: "text", text: answer })
    const result = await runCli(["chat", "Where?", "--config", config, "--schema", schemaFile])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe(`${answer}\n`)
  })

  it("an answer not in the schema fails with OutputValidationError (exit 1) once the chain is spent", async () => {
    // Every model of the chain (the fleet's config falls back to gpt-4o) answers without a country.
    fleet.openai.script(
      { kind: "text", text: '{"city":"Mexico City"}' },
      { kind: "text", text: '{"city":"Mexico City"}' }
    )
    const result = await runCli(["chat", "Where?", "--config", config, "--schema", schemaFile, "--no-stream"])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("OutputValidationError")
    expect(result.stderr).toContain("the answer must have required property 'country'")
  })

  it("a schema file that is not a JSON object is a usage error (exit 2) before any request", async () => {
    const list = dir.file("list.json", JSON.stringify([city]))
    const broken = dir.file("broken.json", "{")
    for (const [file, message] of [
      [list, "it must hold a JSON Schema object"],
      [broken, "JSON"],
      [`${dir.path}/missing.json`, "ENOENT"]
    ] as const) {
      const result = await runCli(["chat", "hi", "--config", config, "--schema", file])
      expect(result.code, file).toBe(2)
      expect(result.stderr, file).toContain(`--schema ${file}: `)
      expect(result.stderr, file).toContain(message)
    }
    expect(fleet.openai.requests.filter((r) => r.kind !== "models")).toHaveLength(0)
  })

  it("a schema the request rules refuse fails with the InvalidRequestError naming the field", async () => {
    const notObject = dir.file("string.json", JSON.stringify({ type: "string" }))
    const result = await runCli(["chat", "hi", "--config", config, "--schema", notObject])
    expect(result.code).toBe(1)
    expect(result.stderr).toContain("InvalidRequestError")
    expect(result.stderr).toContain("request.responseFormat.schema must be a JSON Schema of an object")
    expect(fleet.openai.requests.filter((r) => r.kind !== "models")).toHaveLength(0)
  })
})
