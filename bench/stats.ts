/** Small statistics and timing helpers shared by the bench scripts. */

export const quantile = (values: ReadonlyArray<number>, q: number): number => {
  if (values.length === 0) return Number.NaN
  const sorted = [...values].sort((a, b) => a - b)
  const position = (sorted.length - 1) * q
  const low = Math.floor(position)
  const high = Math.ceil(position)
  return sorted[low]! + (sorted[high]! - sorted[low]!) * (position - low)
}

export const median = (values: ReadonlyArray<number>): number => quantile(values, 0.5)

/** Runs `task` `count` times with at most `concurrency` in flight; resolves when all are done. */
export const runConcurrent = async (count: number, concurrency: number, task: () => Promise<unknown>) => {
  let next = 0
  const worker = async () => {
    while (next < count) {
      next++
      await task()
    }
  }
  await Promise.all(Array.from({ length: Math.min(concurrency, count) }, worker))
}

/** Times `count` sequential calls, one latency (ms) per call. */
export const timeSequential = async (count: number, task: () => Promise<unknown>): Promise<Array<number>> => {
  const samples: Array<number> = []
  for (let i = 0; i < count; i++) {
    const start = performance.now()
    await task()
    samples.push(performance.now() - start)
  }
  return samples
}

/** Lets pending I/O callbacks (the cost log's append) run, then collects garbage twice. */
export const settleAndCollect = async (gc: () => void): Promise<void> => {
  await new Promise((resolve) => setTimeout(resolve, 50))
  gc()
  await new Promise((resolve) => setImmediate(resolve))
  gc()
}

export const fmt = (value: number, digits = 1): string => (Number.isFinite(value) ? value.toFixed(digits) : "n/a")
