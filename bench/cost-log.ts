/**
 * The JSONL cost log's fsync policy: what an fsync per batch costs on this disk, and the record rate a
 * writer sustains with `fsync: batch` and `fsync: none` (records arriving in bursts, as from many
 * concurrent requests). The fsync runs off the main thread, and records arriving meanwhile join the next batch.
 *
 * `npx pnpm@12.21.0 exec node bench/cost-log.ts [directory]` (default: the OS temp directory)
 */
import * as fs from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"
import type { CostRecord } from "@llm-orchestrator/core"
import { encodeRecord } from "@llm-orchestrator/cost"
import { type FsyncPolicy, LogWriter } from "../packages/cost/src/log.ts"

const dir = fs.mkdtempSync(join(process.argv[2] ?? tmpdir(), "bench-cost-log-"))
const record = (index: number): CostRecord => ({
  timestamp: "2026-01-01T00:00:00.000Z",
  requestId: `req-${index}`,
  provider: "openai",
  model: "gpt-4o-mini",
  usage: { inputTokens: 1200, outputTokens: 300, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 },
  cost: { input: 0.0002, output: 0.0002, cacheRead: 0, cacheWrite: 0, reasoning: 0, total: 0.0004, currency: "USD" },
  latencyMs: 420,
  outcome: "success",
  attempt: 1,
  stream: true,
  metadata: { feature: "chat", tenant: "acme" }
})

// 1. A batch-sized write followed by fsync, one after another.
{
  const fd = fs.openSync(join(dir, "fsync.jsonl"), "a")
  const batch = Buffer.from(Array.from({ length: 25 }, (_, i) => encodeRecord(record(i))).join(""))
  const rounds = 200
  const start = performance.now()
  for (let i = 0; i < rounds; i++) {
    fs.writeSync(fd, batch)
    fs.fsyncSync(fd)
  }
  console.log(`write ${batch.length} B + fsync: ${((performance.now() - start) / rounds).toFixed(3)} ms each`)
  fs.closeSync(fd)
}

// 2. Sustained bursts through the writer.
const sustained = async (fsync: FsyncPolicy, total: number, burst: number) => {
  const writer = new LogWriter(join(dir, `sustained-${fsync}.jsonl`), { fsync })
  const start = performance.now()
  for (let i = 0; i < total; i += burst) {
    for (let j = i; j < i + burst; j++) writer.enqueue(record(j))
    await new Promise((resolve) => setImmediate(resolve))
  }
  await writer.flush()
  const ms = performance.now() - start
  await writer.close()
  console.log(
    `fsync ${fsync.padEnd(5)} ${total} records in bursts of ${burst}: ${Math.round(total / (ms / 1000))} records/s`
  )
}
for (const fsync of ["batch", "none", "batch", "none"] as const) await sustained(fsync, 200_000, 100)
fs.rmSync(dir, { recursive: true, force: true })
