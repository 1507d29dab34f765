/** Config durations: a number of seconds, or a string "500ms", "30s", "2m", "1h" (a bare numeric string is seconds). */

const unitMs: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }
const durationPattern = /^(\d+(?:\.\d+)?|\.\d+)\s*(ms|s|m|h)?$/

/** Milliseconds (rounded), or undefined when the text is not a duration. */
export const parseDurationMs = (value: number | string): number | undefined => {
  if (typeof value === "number") return Number.isFinite(value) ? Math.round(value * 1000) : undefined
  const match = durationPattern.exec(value.trim())
  if (match === null) return undefined
  return Math.round(Number(match[1]) * unitMs[match[2] ?? "s"]!)
}
