/**
 * The guard every cassette loop relies on: a folder with fewer recordings than expected fails instead
 * of running a loop over nothing.
 */
import * as fs from "node:fs"
import * as os from "node:os"
import * as nodePath from "node:path"
import { describe, expect, it } from "vitest"
import { type CassetteFolder, loadCassettes, minimumCassettes, readCassetteFolder } from "../src/cassettes.ts"

const recorded = (name: string) => ({
  source: "test",
  request: { method: "POST", host: "example.test", path: `/${name}`, query: "", body: {} },
  response: { status: 200, headers: { "content-type": "application/json" }, body: "{}" }
})

describe("cassette folders", () => {
  it("an empty folder fails with the count and where to restore the recordings", () => {
    const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "cassettes-empty-"))
    expect(() => readCassetteFolder(dir, "anthropic", 1)).toThrow(
      /holds 0 recorded exchange\(s\), expected at least 1: restore the recordings/
    )
  })

  it("a folder short of its minimum fails; at the minimum it loads every JSON file, sorted", () => {
    const dir = fs.mkdtempSync(nodePath.join(os.tmpdir(), "cassettes-short-"))
    for (const name of ["b", "a"]) fs.writeFileSync(nodePath.join(dir, `${name}.json`), JSON.stringify(recorded(name)))
    fs.writeFileSync(nodePath.join(dir, "notes.txt"), "not a recording")
    expect(() => readCassetteFolder(dir, "gemini", 3)).toThrow(/holds 2 recorded exchange\(s\), expected at least 3/)
    const loaded = readCassetteFolder(dir, "gemini", 2)
    expect(loaded.map((c) => [c.name, c.folder, c.request.path])).toEqual([
      ["a", "gemini", "/a"],
      ["b", "gemini", "/b"]
    ])
  })

  it("every shipped folder holds at least its stated minimum", () => {
    for (const folder of Object.keys(minimumCassettes) as Array<CassetteFolder>)
      expect(loadCassettes(folder).length).toBeGreaterThanOrEqual(minimumCassettes[folder])
  })
})
