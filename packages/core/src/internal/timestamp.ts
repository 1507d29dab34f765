/**
 * `new Date().toISOString()` for a cost record, which is written on every call: formatting a date
 * costs ~0.8 us on the machines the bench runs on, so the part up to the second is formatted once
 * per second and the milliseconds appended. Same output as `toISOString` (years 0000-9999).
 */
let cachedSecond = Number.NaN
let cachedPrefix = ""

export const isoTimestamp = (epochMs: number = Date.now()): string => {
  const second = Math.floor(epochMs / 1000)
  if (second !== cachedSecond) {
    cachedSecond = second
    cachedPrefix = new Date(second * 1000).toISOString().slice(0, 19)
  }
  const ms = epochMs - second * 1000
  return `${cachedPrefix}.${ms < 10 ? "00" : ms < 100 ? "0" : ""}${ms}Z`
}
