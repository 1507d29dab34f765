/**
 * Only the configured providers' SDKs are loaded: a process whose config names OpenAI alone never
 * resolves @anthropic-ai/sdk, @google/genai or the AWS SDK (checked with Node's module hooks).
 */
import { spawnSync } from "node:child_process"
import { writeFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { repoRoot } from "../packages/llm-orchestrator/test/cli-support.ts"
import { tempDir } from "./support.ts"

describe("lazy SDK loading", () => {
  it("a config with only OpenAI loads the openai SDK and none of the others", () => {
    const dir = tempDir()
    const config = join(dir, "config.yaml")
    writeFileSync(
      config,
      'active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: "sk-test-lazy"\n    base_url: "http://127.0.0.1:9/v1"\n'
    )
    const result = spawnSync(process.execPath, ["test/lazy-probe.ts", config], { cwd: repoRoot, encoding: "utf8" })
    expect(result.status, result.stderr).toBe(0)
    expect(JSON.parse(result.stdout.trim().split("\n").at(-1)!)).toEqual({
      openai: true,
      anthropic: false,
      genai: false,
      bedrock: false
    })
  }, 30_000)
})
