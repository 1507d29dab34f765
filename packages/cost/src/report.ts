/**
 * Running cost aggregates. `addRecord` is pure over persistent HashMaps, so the tracker keeps its whole
 * state in one `Ref` (an O(log n) update per record, no record list kept in memory) and the CLI builds
 * the same report from a log file with `reportFromRecords`.
 */

import type { CostBucket, CostRecord, CostReport, Usage } from "@llm-orchestrator/core"
import { emptyUsage } from "@llm-orchestrator/core"
import { HashMap, Option } from "effect"

export interface Aggregates {
  readonly total: CostBucket
  readonly byProvider: HashMap.HashMap<string, CostBucket>
  readonly byModel: HashMap.HashMap<string, CostBucket>
  readonly byTag: HashMap.HashMap<string, CostBucket>
}

const emptyBucket: CostBucket = { costUsd: 0, calls: 0, unpricedCalls: 0, usage: emptyUsage }

export const emptyAggregates: Aggregates = {
  total: emptyBucket,
  byProvider: HashMap.empty(),
  byModel: HashMap.empty(),
  byTag: HashMap.empty()
}

const addUsage = (a: Usage, b: Usage): Usage => ({
  inputTokens: a.inputTokens + b.inputTokens,
  outputTokens: a.outputTokens + b.outputTokens,
  cacheReadTokens: a.cacheReadTokens + b.cacheReadTokens,
  cacheWriteTokens: a.cacheWriteTokens + b.cacheWriteTokens,
  reasoningTokens: a.reasoningTokens + b.reasoningTokens
})

const addToBucket = (bucket: CostBucket, record: CostRecord): CostBucket => ({
  costUsd: bucket.costUsd + (record.cost?.total ?? 0),
  calls: bucket.calls + 1,
  unpricedCalls: bucket.unpricedCalls + (record.cost === undefined ? 1 : 0),
  usage: addUsage(bucket.usage, record.usage)
})

const addToMap = (
  map: HashMap.HashMap<string, CostBucket>,
  key: string,
  record: CostRecord
): HashMap.HashMap<string, CostBucket> =>
  HashMap.set(
    map,
    key,
    addToBucket(
      Option.getOrElse(HashMap.get(map, key), () => emptyBucket),
      record
    )
  )

export const addRecord = (aggregates: Aggregates, record: CostRecord): Aggregates => {
  let byTag = aggregates.byTag
  for (const [key, value] of Object.entries(record.metadata)) byTag = addToMap(byTag, `${key}=${value}`, record)
  return {
    total: addToBucket(aggregates.total, record),
    byProvider: addToMap(aggregates.byProvider, record.provider, record),
    byModel: addToMap(aggregates.byModel, `${record.provider}/${record.model}`, record),
    byTag
  }
}

/** Most expensive first, then by key, so tables read top-down. */
const toRecord = (map: HashMap.HashMap<string, CostBucket>): Readonly<Record<string, CostBucket>> =>
  Object.fromEntries(
    HashMap.toEntries(map).sort(([ka, a], [kb, b]) => b.costUsd - a.costUsd || (ka < kb ? -1 : ka > kb ? 1 : 0))
  )

export const toReport = (aggregates: Aggregates, enabled = true): CostReport => ({
  enabled,
  ...aggregates.total,
  byProvider: toRecord(aggregates.byProvider),
  byModel: toRecord(aggregates.byModel),
  byTag: toRecord(aggregates.byTag)
})

/** The report of a list of records (pure); the CLI `costs <log>` feeds it `readCostLog`'s output. */
export const reportFromRecords = (records: Iterable<CostRecord>): CostReport => {
  let aggregates = emptyAggregates
  for (const record of records) aggregates = addRecord(aggregates, record)
  return toReport(aggregates)
}

/** What a tracker with `enabled: false` reports. */
export const disabledReport: CostReport = toReport(emptyAggregates, false)
