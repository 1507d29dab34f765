/**
 * An effort stands for a budget where an API takes a budget, and a bare budget for the smallest effort
 * that covers it where an API takes an effort (README "Reasoning"): the mapping at its exact bounds.
 */
import { describe, expect, it } from "@effect/vitest"
import { effortBudgets, reasoningBudgetOf, reasoningEffortOf } from "@llm-orchestrator/core"

describe("reasoning effort and budget", () => {
  it("a bare budget is the smallest effort whose budget covers it, at each bound", () => {
    const effortOf = (budgetTokens: number) => reasoningEffortOf({ budgetTokens })
    expect(effortOf(1)).toBe("low")
    expect(effortOf(effortBudgets.low)).toBe("low")
    expect(effortOf(effortBudgets.low + 1)).toBe("medium")
    expect(effortOf(effortBudgets.medium)).toBe("medium")
    expect(effortOf(effortBudgets.medium + 1)).toBe("high")
    expect(effortOf(1_000_000)).toBe("high")
  })

  it("an effort given wins over a budget; no reasoning, or neither field, is no effort", () => {
    expect(reasoningEffortOf({ effort: "low", budgetTokens: 30_000 })).toBe("low")
    expect(reasoningEffortOf(undefined)).toBeUndefined()
    expect(reasoningEffortOf({})).toBeUndefined()
  })

  it("the budget: budgetTokens when given, else the effort's; none without either", () => {
    expect(reasoningBudgetOf({ effort: "high", budgetTokens: 3_000 })).toBe(3_000)
    expect(reasoningBudgetOf({ effort: "low" })).toBe(2_048)
    expect(reasoningBudgetOf({ effort: "medium" })).toBe(8_192)
    expect(reasoningBudgetOf({ effort: "high" })).toBe(24_576)
    expect(reasoningBudgetOf({})).toBeUndefined()
    expect(reasoningBudgetOf(undefined)).toBeUndefined()
  })
})
