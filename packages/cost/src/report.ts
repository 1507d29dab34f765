/**
 * Running cost aggregates: totals and breakdowns by provider, `provider/model` and `key=value` tag.
 * `addRecord` updates them in place (plain Maps and counters: no per-record allocation beyond a new
 * key's first bucket), because it runs on every call; `toReport` copies them out. The tracker keeps
 * one `Aggregates` per session; the CLI builds the same report from a log file with `reportFromRecords`.
 */

import type { CostBucket, CostRecord, CostReport, Usage } from "@llm-orchestrator/core"

interface MutableUsage {
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
  reasoningTokens: number
}

interface Bucket {
  costUsd: number
  calls: number
  unpricedCalls: number
  readonly usage: MutableUsage
}

export interface Aggregates {
  readonly total: Bucket
  readonly byProvider: Map<string, Bucket>
  readonly byModel: Map<string, Bucket>
  readonly byTag: Map<string, Bucket>
}

const newBucket = (): Bucket => ({
  costUsd: 0,
  calls: 0,
  unpricedCalls: 0,
  usage: { inputTokens: 0, outputTokens: 0, cacheReadTokens: 0, cacheWriteTokens: 0, reasoningTokens: 0 }
})

export const makeAggregates = (): Aggregates => ({
  total: newBucket(),
  byProvider: new Map(),
  byModel: new Map(),
  byTag: new Map()
})

const addToBucket = (bucket: Bucket, record: CostRecord): void => {
  bucket.costUsd += record.cost?.total ?? 0
  bucket.calls += 1
  if (record.cost === undefined) bucket.unpricedCalls += 1
  const usage: Usage = record.usage
  bucket.usage.inputTokens += usage.inputTokens
  bucket.usage.outputTokens += usage.outputTokens
  bucket.usage.cacheReadTokens += usage.cacheReadTokens
  bucket.usage.cacheWriteTokens += usage.cacheWriteTokens
  bucket.usage.reasoningTokens += usage.reasoningTokens
}

const addToMap = (map: Map<string, Bucket>, key: string, record: CostRecord): void => {
  let bucket = map.get(key)
  if (bucket === undefined) {
    bucket = newBucket()
    map.set(key, bucket)
  }
  addToBucket(bucket, record)
}

/** Adds one record to the aggregates, in place. */
export const addRecord = (aggregates: Aggregates, record: CostRecord): void => {
  addToBucket(aggregates.total, record)
  addToMap(aggregates.byProvider, record.provider, record)
  addToMap(aggregates.byModel, `${record.provider}/${record.model}`, record)
  for (const key in record.metadata) addToMap(aggregates.byTag, `${key}=${record.metadata[key]}`, record)
}

const snapshot = (bucket: Bucket): CostBucket => ({
  costUsd: bucket.costUsd,
  calls: bucket.calls,
  unpricedCalls: bucket.unpricedCalls,
  usage: { ...bucket.usage }
})

/** Most expensive first, then by key, so tables read top-down. */
const toRecord = (map: Map<string, Bucket>): Readonly<Record<string, CostBucket>> =>
  Object.fromEntries(
    [...map.entries()]
      .sort(([ka, a], [kb, b]) => b.costUsd - a.costUsd || (ka < kb ? -1 : ka > kb ? 1 : 0))
      .map(([key, bucket]) => [key, snapshot(bucket)])
  )

export const toReport = (aggregates: Aggregates, enabled = true): CostReport => ({
  enabled,
  ...snapshot(aggregates.total),
  byProvider: toRecord(aggregates.byProvider),
  byModel: toRecord(aggregates.byModel),
  byTag: toRecord(aggregates.byTag)
})

/** The report of a list of records (pure); the CLI `costs <log>` feeds it `readCostLog`'s output. */
export const reportFromRecords = (records: Iterable<CostRecord>): CostReport => {
  const aggregates = makeAggregates()
  for (const record of records) addRecord(aggregates, record)
  return toReport(aggregates)
}

/** What a tracker with `enabled: false` reports. */
export const disabledReport: CostReport = toReport(makeAggregates(), false)
