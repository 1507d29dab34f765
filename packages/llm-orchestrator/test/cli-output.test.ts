/**
 * The CLI's small pure parts, in process: the table formatter, the `--since` parser, the slow-call
 * notice, and how failures become lines and exit codes.
 */

import { it } from "@effect/vitest"
import { ConfigError, RateLimitError } from "@llm-orchestrator/core"
import { Cause, Effect } from "effect"
import { afterEach, describe, expect, vi } from "vitest"
import { parseSince } from "../src/cli/costs.ts"
import { CliFailure, describeFailure } from "../src/cli/failure.ts"
import { formatTable, formatTokensShort, formatUsd, withSlowNotice } from "../src/cli/output.ts"

describe("formatTable", () => {
  it("aligns columns, right-aligns numbers, draws a rule for an undefined row", () => {
    const table = formatTable(
      [{ header: "NAME" }, { header: "N", align: "right" }],
      [["a", "1"], ["longer", "1,000"], undefined, ["TOTAL", "1,001"]]
    )
    expect(table.split("\n")).toEqual([
      "NAME        N",
      "a           1",
      "longer  1,000",
      "------  -----",
      "TOTAL   1,001"
    ])
  })

  it("formats money and token counts", () => {
    expect(formatUsd(0.0000048)).toBe("$0.000005")
    expect(formatTokensShort(200_000)).toBe("200k")
    expect(formatTokensShort(1_048_576)).toBe("1.05M")
    expect(formatTokensShort(undefined)).toBe("-")
  })
})

describe("parseSince", () => {
  const now = Date.parse("2025-06-10T12:00:00Z")
  it("reads durations back from now and ISO dates", () => {
    expect(parseSince("24h", now)).toBe(now - 24 * 3_600_000)
    expect(parseSince("30m", now)).toBe(now - 30 * 60_000)
    expect(parseSince("7d", now)).toBe(now - 7 * 86_400_000)
    expect(parseSince("2025-06-01", now)).toBe(Date.parse("2025-06-01"))
    expect(parseSince("2025-06-01T08:00:00Z", now)).toBe(Date.parse("2025-06-01T08:00:00Z"))
  })
  it("rejects anything else", () => {
    expect(parseSince("yesterday", now)).toBeUndefined()
    expect(parseSince("24", now)).toBeUndefined()
    expect(parseSince("2025-13-45", now)).toBeUndefined()
  })
})

describe("withSlowNotice", () => {
  afterEach(() => vi.restoreAllMocks())
  const captureStderr = () => {
    const written: Array<string> = []
    vi.spyOn(process.stderr, "write").mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk))
      return true
    })
    return written
  }

  it.live("says what it waits for on stderr when the call is slow", () =>
    Effect.gen(function* () {
      const written = captureStderr()
      const value = yield* withSlowNotice(Effect.as(Effect.sleep(250), 42), "listing models from anthropic...", 50)
      expect(value).toBe(42)
      expect(written).toEqual(["listing models from anthropic...\n"])
    })
  )

  it.live("prints nothing when the call is fast", () =>
    Effect.gen(function* () {
      const written = captureStderr()
      yield* withSlowNotice(Effect.succeed(1), "listing models from openai...", 50)
      yield* Effect.sleep(100)
      expect(written).toEqual([])
    })
  )
})

describe("describeFailure", () => {
  it("one line per config problem, exit 1", () => {
    const error = ConfigError.fromProblems([
      { path: "providers.openai.api_key", message: "environment variable OPENAI_API_KEY is not set" },
      { path: "active_model", message: "is required" }
    ])
    expect(describeFailure(Cause.fail(error))).toEqual({
      lines: ["providers.openai.api_key: environment variable OPENAI_API_KEY is not set", "active_model: is required"],
      exitCode: 1
    })
  })

  it("an LLMError names its tag, provider/model, status and request id on one line", () => {
    const error = new RateLimitError({
      provider: "openai",
      model: "gpt-4o-mini",
      message: "Rate limit reached.\nRetry later.",
      status: 429,
      requestId: "req_1"
    })
    expect(describeFailure(Cause.fail(error))).toEqual({
      lines: ["RateLimitError from openai/gpt-4o-mini (HTTP 429): Rate limit reached. Retry later. [request req_1]"],
      exitCode: 1
    })
  })

  it("usage failures exit 2, interruptions 130, defects 1 without a stack", () => {
    expect(describeFailure(Cause.fail(CliFailure.usage("bad flag"))).exitCode).toBe(2)
    expect(describeFailure(Cause.interrupt()).exitCode).toBe(130)
    const defect = describeFailure(Cause.die(new Error("boom")))
    expect(defect).toEqual({ lines: ["internal error: boom"], exitCode: 1 })
  })
})
