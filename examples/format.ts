import type { Attempt } from "llm-orchestrator"

/** Plain aligned tables and dollar amounts for the examples' terminal output. */
export const formatTable = (headers: ReadonlyArray<string>, rows: ReadonlyArray<ReadonlyArray<string>>): string => {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? "").length)))
  const line = (cells: ReadonlyArray<string>) =>
    cells
      .map((c, i) => c.padEnd(widths[i]!))
      .join("  ")
      .trimEnd()
  return [line(headers), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n")
}

export const usd = (amount: number | undefined): string =>
  amount === undefined ? "unpriced" : `$${amount < 0.01 ? amount.toFixed(6) : amount.toFixed(4)}`

/** `response.attempts` as a table: every try, in order, with its outcome. */
export const attemptsTable = (attempts: ReadonlyArray<Attempt>): string =>
  formatTable(
    ["#", "provider", "model", "try", "outcome", "ms"],
    attempts.map((a, i) => [
      String(i + 1),
      a.provider,
      a.model,
      String(a.attempt),
      a.errorTag ? `${a.outcome} (${a.errorTag})` : a.outcome,
      String(Math.round(a.durationMs))
    ])
  )
