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

/**
 * The arms in a uniformly random order (Fisher-Yates). Not `sort(() => Math.random() - 0.5)`: with V8's
 * sort that puts the second of three arms in the middle 69 % of the time and the first first 44 %, and an
 * arm's place matters: what ran just before it leaves work behind (DEVELOPERS.md).
 */
export const shuffled = <T>(items: ReadonlyArray<T>): Array<T> => {
  const out = [...items]
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(Math.random() * (i + 1))
    const item = out[i]!
    out[i] = out[j]!
    out[j] = item
  }
  return out
}

/**
 * Runs `measure` once per arm per round, the arms `shuffled` every round: a rotation would give every
 * arm each place equally, but always the same arm before it.
 */
export const shuffledRounds = async <Name extends string, T>(
  arms: ReadonlyArray<Name>,
  rounds: number,
  measure: (arm: Name) => Promise<T>
): Promise<Record<Name, Array<T>>> => {
  const out = Object.fromEntries(arms.map((arm) => [arm, [] as Array<T>])) as Record<Name, Array<T>>
  for (let round = 0; round < rounds; round++) for (const arm of shuffled(arms)) out[arm].push(await measure(arm))
  return out
}

/** `count` calls of `task`, `concurrency` at a time: requests per second and this process's CPU per request (us). */
export const measureConcurrent = async (count: number, concurrency: number, task: () => Promise<unknown>) => {
  const cpuBefore = process.cpuUsage()
  const start = performance.now()
  await runConcurrent(count, concurrency, task)
  const seconds = (performance.now() - start) / 1000
  const cpu = process.cpuUsage(cpuBefore)
  return { rps: count / seconds, cpuUs: (cpu.user + cpu.system) / count }
}
