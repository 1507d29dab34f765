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
