/**
 * Test runs leave nothing in the machine's temp folder: every temp file a test (or a process it
 * spawns) makes lands in the run's own folder, which the global setup removes (test/temp-root.ts).
 */
import { spawnSync } from "node:child_process"
import { tmpdir } from "node:os"
import { basename, dirname } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import { tempDir } from "./support.ts"

describe("test temp files", () => {
  it("os.tmpdir() in a test, and in a process it spawns, is the run's own folder", () => {
    expect(basename(tmpdir())).toMatch(/^llm-orchestrator-tests-/)
    expect(dirname(tempDir())).toBe(tmpdir())
    const child = spawnSync(process.execPath, ["-e", "console.log(require('node:os').tmpdir())"], { encoding: "utf8" })
    expect(child.stdout.trim()).toBe(tmpdir())
  })
})
