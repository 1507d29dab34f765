/**
 * The spill file shared by processes: an append that another process's replay claims (renames) between
 * its open and its write must not be lost with the claimed file. Played deterministically in one
 * process: the replay's claim runs inside the append's write.
 */
import * as fs from "node:fs"
import { createRequire, syncBuiltinESMExports } from "node:module"
import * as os from "node:os"
import * as nodePath from "node:path"
import { type CostRecord, encodeRecord } from "@llm-orchestrator/cost"
import { afterEach, describe, expect, it } from "vitest"
import { SpillFile } from "../src/spill.ts"
import { makeRecord } from "./support.ts"

// node:fs as CommonJS: patching it and syncing the ESM bindings reaches the spill module's `fs.writeSync`.
const fsModule = createRequire(import.meta.url)("node:fs") as typeof fs
const originalWriteSync = fsModule.writeSync

afterEach(() => {
  fsModule.writeSync = originalWriteSync
  syncBuiltinESMExports()
})

/** Runs `during` once, just before the next write of any file. */
const beforeNextWrite = (during: () => void) => {
  let pending = true
  fsModule.writeSync = ((...args: Parameters<typeof fs.writeSync>) => {
    if (pending) {
      pending = false
      during()
    }
    return (originalWriteSync as (...a: Parameters<typeof fs.writeSync>) => number)(...args)
  }) as typeof fs.writeSync
  syncBuiltinESMExports()
}

/** The records of a spill file (cost-log lines). */
const recordsIn = (path: string): Array<CostRecord> =>
  fs.existsSync(path)
    ? fs
        .readFileSync(path, "utf8")
        .split("\n")
        .filter((line) => line !== "")
        .map((line) => JSON.parse(line) as CostRecord)
    : []

describe("spill file", () => {
  it("an append overtaken by another process's replay claim is written again to the file under the path", () => {
    const path = nodePath.join(fs.mkdtempSync(nodePath.join(os.tmpdir(), "ledger-spill-race-")), "spill.jsonl")
    const earlier = makeRecord({ requestId: "earlier" })
    fs.writeFileSync(path, encodeRecord(earlier))
    const records = [makeRecord({ requestId: "first" }), makeRecord({ requestId: "second" })]
    const appender = new SpillFile(path)
    const replayer = new SpillFile(path) // another process's sink on the same path
    const replayed: Array<CostRecord> = []
    beforeNextWrite(() => {
      // The replay claims the file the append has open, reads it and deletes it once "inserted".
      for (const file of replayer.claim()) {
        replayed.push(...recordsIn(file))
        replayer.remove(file)
      }
    })
    const result = appender.append(records)
    expect(result).toEqual({ spilled: 2, error: undefined })
    // The replay got what was there before; the append's records are in the file under the path.
    expect(replayed.map((r) => r.requestId)).toEqual(["earlier"])
    expect(recordsIn(path).map((r) => r.requestId)).toEqual(["first", "second"])
  })

  it("an append no replay overtook is written once", () => {
    const path = nodePath.join(fs.mkdtempSync(nodePath.join(os.tmpdir(), "ledger-spill-race-")), "spill.jsonl")
    const spill = new SpillFile(path)
    expect(spill.append([makeRecord({ requestId: "a" })])).toEqual({ spilled: 1, error: undefined })
    expect(spill.append([makeRecord({ requestId: "b" })])).toEqual({ spilled: 1, error: undefined })
    expect(recordsIn(path).map((r) => r.requestId)).toEqual(["a", "b"])
  })
})
