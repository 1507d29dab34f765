/**
 * Running cost aggregates: totals and breakdowns by provider, `provider/model` and `key=value` tag.
 * `addRecord` updates them in place (plain Maps and counters: no per-record allocation beyond a new
 * key's first bucket), because it runs on every call; `toReport` copies them out. The tracker keeps
 * one `Aggregates` per session; the CLI builds the same report from a log file with `reportFromRecords`.
 */

import type { ConfigError, CostBucket, CostRecord, CostReport, Usage } from "@llm-orchestrator/core"
import { Effect } from "effect"
import { type CostLogFold, foldCostLog } from "./log.ts"
import { roundUsd } from "./pricing.ts"

/** Every counter, the optional ones too: a report shows them only when some call had them. */
interface MutableUsage {
  inputTokens: number
  outputTokens: number
  cacheReadTokens: number
  cacheWriteTokens: number
  reasoningTokens: number
  cacheWrite1hTokens: number
  webSearches: number
  webFetches: number
}

/** One row of a report while it is summed (the JSONL log's and the ledger's reports share it). */
export interface Bucket {
  costUsd: number
  toolsUsd: number
  calls: number
  unpricedCalls: number
  readonly usage: MutableUsage
}

/**
 * Model and tag buckets are nested (provider -> model, tag key -> value) rather than keyed by
 * `provider/model` and `key=value`: no key string is built and hashed on every call.
 */
export interface Aggregates {
  readonly total: Bucket
  readonly byProvider: Map<string, Bucket>
  readonly byModel: Map<string, Map<string, Bucket>>
  readonly byTag: Map<string, Map<string, Bucket>>
}

const newBucket = (): Bucket => ({
  costUsd: 0,
  toolsUsd: 0,
  calls: 0,
  unpricedCalls: 0,
  usage: {
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    cacheWrite1hTokens: 0,
    webSearches: 0,
    webFetches: 0
  }
})

export const makeAggregates = (): Aggregates => ({
  total: newBucket(),
  byProvider: new Map(),
  byModel: new Map(),
  byTag: new Map()
})

const addToBucket = (bucket: Bucket, record: CostRecord): void => {
  bucket.costUsd = roundUsd(bucket.costUsd + (record.cost?.total ?? 0))
  bucket.toolsUsd = roundUsd(bucket.toolsUsd + (record.cost?.tools ?? 0))
  bucket.calls += 1
  if (record.cost === undefined) bucket.unpricedCalls += 1
  const usage: Usage = record.usage
  bucket.usage.inputTokens += usage.inputTokens
  bucket.usage.outputTokens += usage.outputTokens
  bucket.usage.cacheReadTokens += usage.cacheReadTokens
  bucket.usage.cacheWriteTokens += usage.cacheWriteTokens
  bucket.usage.reasoningTokens += usage.reasoningTokens
  bucket.usage.cacheWrite1hTokens += usage.cacheWrite1hTokens ?? 0
  bucket.usage.webSearches += usage.webSearches ?? 0
  bucket.usage.webFetches += usage.webFetches ?? 0
}

const addToMap = (map: Map<string, Bucket>, key: string, record: CostRecord): void => {
  let bucket = map.get(key)
  if (bucket === undefined) {
    bucket = newBucket()
    map.set(key, bucket)
  }
  addToBucket(bucket, record)
}

const addToNested = (map: Map<string, Map<string, Bucket>>, outer: string, inner: string, record: CostRecord) => {
  let nested = map.get(outer)
  if (nested === undefined) {
    nested = new Map()
    map.set(outer, nested)
  }
  addToMap(nested, inner, record)
}

/** Adds one record to the aggregates, in place. */
export const addRecord = (aggregates: Aggregates, record: CostRecord): void => {
  addToBucket(aggregates.total, record)
  addToMap(aggregates.byProvider, record.provider, record)
  addToNested(aggregates.byModel, record.provider, record.model, record)
  for (const key in record.metadata) addToNested(aggregates.byTag, key, record.metadata[key]!, record)
}

/** `outer + separator + inner` keys for the report; two pairs that spell the same key share a bucket. */
const flatten = (map: Map<string, Map<string, Bucket>>, separator: string): Map<string, Bucket> => {
  const flat = new Map<string, Bucket>()
  for (const [outer, nested] of map)
    for (const [inner, bucket] of nested) {
      const key = `${outer}${separator}${inner}`
      const seen = flat.get(key)
      flat.set(key, seen === undefined ? bucket : mergeBuckets(seen, bucket))
    }
  return flat
}

/** Two buckets under one key (e.g. `a/b` + `c` and `a` + `b/c` spell the same model key). */
export const mergeBuckets = (a: Bucket, b: Bucket): Bucket => ({
  costUsd: a.costUsd + b.costUsd,
  toolsUsd: a.toolsUsd + b.toolsUsd,
  calls: a.calls + b.calls,
  unpricedCalls: a.unpricedCalls + b.unpricedCalls,
  usage: {
    inputTokens: a.usage.inputTokens + b.usage.inputTokens,
    outputTokens: a.usage.outputTokens + b.usage.outputTokens,
    cacheReadTokens: a.usage.cacheReadTokens + b.usage.cacheReadTokens,
    cacheWriteTokens: a.usage.cacheWriteTokens + b.usage.cacheWriteTokens,
    reasoningTokens: a.usage.reasoningTokens + b.usage.reasoningTokens,
    cacheWrite1hTokens: a.usage.cacheWrite1hTokens + b.usage.cacheWrite1hTokens,
    webSearches: a.usage.webSearches + b.usage.webSearches,
    webFetches: a.usage.webFetches + b.usage.webFetches
  }
})

/** The bucket's usage as a `Usage`: the optional counters only when non-zero, as in a call's usage. */
const usageOf = ({ cacheWrite1hTokens, webSearches, webFetches, ...tokens }: MutableUsage): Usage => ({
  ...tokens,
  ...(cacheWrite1hTokens > 0 ? { cacheWrite1hTokens } : {}),
  ...(webSearches > 0 ? { webSearches } : {}),
  ...(webFetches > 0 ? { webFetches } : {})
})

export const snapshot = (bucket: Bucket): CostBucket => ({
  costUsd: bucket.costUsd,
  toolsUsd: bucket.toolsUsd,
  calls: bucket.calls,
  unpricedCalls: bucket.unpricedCalls,
  usage: usageOf(bucket.usage)
})

/**
 * Most expensive first, then by key, so tables read top-down. The keys of one Map are distinct: two
 * never compare equal.
 */
const byCostThenKey = ([ka, a]: [string, Bucket], [kb, b]: [string, Bucket]): number =>
  b.costUsd - a.costUsd ||
  // Stryker disable next-line EqualityOperator: `<=` and `<` agree on distinct keys
  (ka < kb ? -1 : 1)

/** The buckets of one breakdown, most expensive first. */
export const toRecord = (map: Map<string, Bucket>): Readonly<Record<string, CostBucket>> =>
  Object.fromEntries([...map.entries()].sort(byCostThenKey).map(([key, bucket]) => [key, snapshot(bucket)]))

export const toReport = (aggregates: Aggregates, enabled = true): CostReport => ({
  enabled,
  ...snapshot(aggregates.total),
  byProvider: toRecord(aggregates.byProvider),
  byModel: toRecord(flatten(aggregates.byModel, "/")),
  byTag: toRecord(flatten(aggregates.byTag, "="))
})

/** The report of a list of records (pure). */
export const reportFromRecords = (records: Iterable<CostRecord>): CostReport => {
  const aggregates = makeAggregates()
  for (const record of records) addRecord(aggregates, record)
  return toReport(aggregates)
}

/**
 * The report of a JSONL cost log, streamed (memory bounded by the number of distinct providers, models
 * and tags, not by the file), keeping the records `include` accepts. Bad lines are skipped and counted.
 */
export const reportFromLog = (
  path: string,
  include: (record: CostRecord) => boolean = () => true
): Effect.Effect<CostLogFold<CostReport>, ConfigError> =>
  Effect.map(
    foldCostLog(path, makeAggregates(), (aggregates, record) => {
      if (include(record)) addRecord(aggregates, record)
      return aggregates
    }),
    (fold) => ({ ...fold, state: toReport(fold.state) })
  )

/** What a tracker with `enabled: false` reports. */
export const disabledReport: CostReport = toReport(makeAggregates(), false)
