/**
 * What the CLI writes: data on stdout (tables, JSON, streamed text), everything else (progress, cost
 * lines, errors) on stderr, so `llm-orchestrator chat "..." > answer.txt` captures only the answer.
 */
import { Effect, Fiber } from "effect"

export const writeOut = (text: string): Effect.Effect<void> => Effect.sync(() => void process.stdout.write(text))
export const writeErr = (text: string): Effect.Effect<void> => Effect.sync(() => void process.stderr.write(text))
export const printOut = (line: string): Effect.Effect<void> => writeOut(`${line}\n`)
export const printErr = (line: string): Effect.Effect<void> => writeErr(`${line}\n`)

/** Pretty JSON on stdout: one document per command, so `| jq` works. */
export const printJson = (value: unknown): Effect.Effect<void> => printOut(JSON.stringify(value, null, 2))

export type Align = "left" | "right"

export interface Column {
  readonly header: string
  readonly align?: Align
}

/**
 * Plain aligned columns separated by two spaces; no borders or colours, so the output greps and
 * diffs well. A row of `undefined` draws a rule (before a TOTAL row).
 */
export const formatTable = (
  columns: ReadonlyArray<Column>,
  rows: ReadonlyArray<ReadonlyArray<string> | undefined>
): string => {
  const widths = columns.map((column, i) =>
    Math.max(column.header.length, ...rows.map((row) => (row ? (row[i] ?? "").length : 0)))
  )
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((cell, i) => (columns[i]?.align === "right" ? cell.padStart(widths[i]!) : cell.padEnd(widths[i]!)))
      .join("  ")
      .trimEnd()
  const rule = widths.map((width) => "-".repeat(width)).join("  ")
  return [line(columns.map((c) => c.header)), ...rows.map((row) => (row ? line(row) : rule))].join("\n")
}

/** 1234567 -> "1,234,567" (en-US grouping whatever the locale, so output is stable). */
export const formatCount = (n: number): string => n.toLocaleString("en-US")

/** USD with six decimals: small calls cost fractions of a cent, and totals must add up visibly. */
export const formatUsd = (usd: number): string => `$${usd.toFixed(6)}`

/** USD per million tokens: "2.5", "0.075", "15". */
export const formatPerMillion = (usd: number | undefined): string =>
  usd === undefined ? "-" : String(Number(usd.toPrecision(6)))

/** 200000 -> "200k", 1048576 -> "1.05M". */
export const formatTokensShort = (n: number | undefined): string => {
  if (n === undefined) return "-"
  if (n >= 1_000_000) return `${Number((n / 1_000_000).toPrecision(3))}M`
  if (n >= 1_000) return `${Number((n / 1_000).toPrecision(3))}k`
  return String(n)
}

/**
 * Runs `effect`; if it has not finished after `afterMs`, says `message` on stderr. A fast call prints
 * nothing, a slow one tells the user what it is waiting for.
 */
export const withSlowNotice = <A, E, R>(
  effect: Effect.Effect<A, E, R>,
  message: string,
  afterMs = 300
): Effect.Effect<A, E, R> =>
  Effect.gen(function* () {
    const notice = yield* Effect.forkChild(Effect.andThen(Effect.sleep(afterMs), printErr(message)))
    return yield* Effect.ensuring(effect, Fiber.interrupt(notice))
  })
