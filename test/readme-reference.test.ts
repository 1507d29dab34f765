/**
 * The README's "Requests and responses" section names every field of the public request and
 * response types, so a field added to a schema without documentation fails here.
 */
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { describe, expect, it } from "@effect/vitest"
import {
  Attempt,
  ChatRequest,
  ChatResponse,
  Cost,
  CostRecord,
  Finish,
  ModelInfo,
  ModelPrice,
  Usage
} from "llm-orchestrator"

const readme = readFileSync(join(import.meta.dirname, "..", "README.md"), "utf8")
const section = readme.slice(readme.indexOf("## Requests and responses"), readme.indexOf("## Config reference"))

describe("README request and response reference", () => {
  it.each([
    ["ChatRequest", ChatRequest.fields],
    ["ChatResponse", ChatResponse.fields],
    ["Usage", Usage.fields],
    ["Cost", Cost.fields],
    ["Attempt", Attempt.fields],
    ["Finish", Finish.fields],
    ["ModelInfo", ModelInfo.fields],
    ["ModelPrice", ModelPrice.fields],
    ["CostRecord", CostRecord.fields]
  ] as const)("names every field of %s", (_name, fields) => {
    expect(section.length).toBeGreaterThan(1000)
    const missing = Object.keys(fields).filter(
      (field) =>
        field !== "_tag" &&
        !section.includes(`\`${field}\``) &&
        !new RegExp(`\`[^\`]*\\b${field}\\b[^\`]*\``).test(section)
    )
    expect(missing).toEqual([])
  })
})
