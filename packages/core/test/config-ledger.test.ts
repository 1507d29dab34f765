// biome-ignore-all lint/suspicious/noTemplateCurlyInString: config texts deliberately contain ${VAR} references
/**
 * `cost_tracking.ledger`: the URL is a secret read from the environment (never echoed), the table and
 * schema are optional, and each shared budget is checked (name, usd, window, per_tag) with the fix each
 * mistake needs.
 */
import { describe, expect, it } from "@effect/vitest"
import type { ConfigProblem } from "@llm-orchestrator/core"
import { Effect, Redacted } from "effect"
import { checkConfig, parseConfig } from "llm-orchestrator"

const withLedger = (ledger: string) =>
  `active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: sk-test\ncost_tracking:\n  ledger:\n${ledger
    .split("\n")
    .map((line) => `    ${line}`)
    .join("\n")}\n`
const env = { DATABASE_URL: "postgresql://app:pw-9f2@db.internal:5432/costs" }
const problems = (yaml: string): ReadonlyArray<ConfigProblem> => checkConfig(yaml, { env })

describe("cost_tracking.ledger", () => {
  it.effect("every key read, the URL as a secret, budgets with their defaults", () =>
    Effect.gen(function* () {
      const config = yield* parseConfig(
        withLedger(
          [
            'url: "${DATABASE_URL}"',
            "table: team_costs",
            "schema: billing",
            "budgets:",
            "  - { name: all, usd: 250 }",
            "  - { name: daily, usd: 20.5, window: day }",
            "  - { name: tenants, usd: 5, window: month, per_tag: tenant }"
          ].join("\n")
        ),
        { env }
      )
      const ledger = config.costTracking.ledger!
      expect(Redacted.isRedacted(ledger.url)).toBe(true)
      expect(Redacted.value(ledger.url)).toBe(env.DATABASE_URL)
      expect(String(ledger.url)).not.toContain("pw-9f2")
      expect({ ...ledger, url: undefined }).toEqual({
        url: undefined,
        table: "team_costs",
        schema: "billing",
        budgets: [
          { name: "all", usd: 250, window: "total" },
          { name: "daily", usd: 20.5, window: "day" },
          { name: "tenants", usd: 5, window: "month", perTag: "tenant" }
        ]
      })
    })
  )

  it.effect("only the URL is required: no table, schema or budgets is none of them", () =>
    Effect.gen(function* () {
      const config = yield* parseConfig(withLedger('url: "${DATABASE_URL}"'), { env })
      expect(Object.keys(config.costTracking.ledger!).sort()).toEqual(["budgets", "url"])
      expect(config.costTracking.ledger!.budgets).toEqual([])
      const without = yield* parseConfig(withLedger("").replace("  ledger:\n    \n", ""), { env })
      expect(without.costTracking.ledger).toBeUndefined()
      // Written with no value, like any section: none.
      const bare = yield* parseConfig(withLedger("").replace("  ledger:\n    \n", "  ledger:\n"), { env })
      expect(bare.costTracking.ledger).toBeUndefined()
      const empty = yield* parseConfig(withLedger("").replace("  ledger:\n    \n", "  ledger: {}\n"), {
        env
      }).pipe(Effect.flip)
      expect(empty.problems).toEqual([
        {
          path: "cost_tracking.ledger.url",
          message: 'is required; set it to the PostgreSQL URL, e.g. "${DATABASE_URL}"'
        }
      ])
    })
  )

  // Labelled cases: a test name with a newline cannot be picked out by name (the mutation runner does).
  const url = 'url: "${DATABASE_URL}"'
  it.each([
    [
      "an unset variable in the URL",
      "url: ${LEDGER_URL}",
      "cost_tracking.ledger.url",
      "environment variable LEDGER_URL is not set; export it, or write ${LEDGER_URL:-...} for a default"
    ],
    [
      "a URL that is a number",
      "url: 5432",
      "cost_tracking.ledger.url",
      "expected a string, got a number; put it in quotes"
    ],
    ["a misspelled key", `${url}\nbudget: []`, "cost_tracking.ledger.budget", "unknown key; did you mean budgets?"],
    [
      "budgets as a mapping",
      `${url}\nbudgets: { name: all, usd: 1 }`,
      "cost_tracking.ledger.budgets",
      "expected a list of {name, usd, window, per_tag}, got a mapping"
    ],
    [
      "a budget that is a string",
      `${url}\nbudgets: [all]`,
      "cost_tracking.ledger.budgets[0]",
      "expected a mapping {name, usd, window, per_tag}, got a string"
    ],
    [
      "a budget without a name",
      `${url}\nbudgets: [{ usd: 1 }]`,
      "cost_tracking.ledger.budgets[0].name",
      "is required; name the budget (it is its key in the database)"
    ],
    [
      "a budget without usd",
      `${url}\nbudgets: [{ name: all }]`,
      "cost_tracking.ledger.budgets[0].usd",
      "is required; set the limit in USD"
    ],
    [
      "a budget of $0",
      `${url}\nbudgets: [{ name: all, usd: 0 }]`,
      "cost_tracking.ledger.budgets[0].usd",
      "must be a number greater than 0 (USD)"
    ],
    [
      "an unknown window",
      `${url}\nbudgets: [{ name: all, usd: 1, window: week }]`,
      "cost_tracking.ledger.budgets[0].window",
      'unknown value "week"; expected one of total, day, month'
    ],
    [
      "an unknown budget key",
      `${url}\nbudgets: [{ name: all, usd: 1, per_tenant: x }]`,
      "cost_tracking.ledger.budgets[0].per_tenant",
      "unknown key; the keys here are name, usd, window, per_tag"
    ],
    [
      "a per_tag that is not a string",
      `${url}\nbudgets: [{ name: all, usd: 1, per_tag: 5 }]`,
      "cost_tracking.ledger.budgets[0].per_tag",
      "expected a string, got a number; put it in quotes"
    ],
    [
      "a table that is not a string",
      `${url}\ntable: 5`,
      "cost_tracking.ledger.table",
      "expected a string, got a number; put it in quotes"
    ],
    [
      "a budget whose usd is written without a value",
      `${url}\nbudgets:\n  - name: all\n    usd:`,
      "cost_tracking.ledger.budgets[0].usd",
      "is required; set the limit in USD"
    ],
    ["a schema that is a list", `${url}\nschema: [a]`, "cost_tracking.ledger.schema", "expected a string, got a list"]
  ])("%s", (_label, ledger, path, message) => {
    expect(problems(withLedger(ledger))).toEqual([{ path, message }])
  })

  it.effect("budgets written without a value are none", () =>
    Effect.gen(function* () {
      const config = yield* parseConfig(withLedger(`${url}\nbudgets:`), { env })
      expect(config.costTracking.ledger!.budgets).toEqual([])
    })
  )

  it("a ledger that is not a mapping is a problem, not a crash", () => {
    expect(problems(withLedger("").replace("  ledger:\n    \n", "  ledger: 5\n"))).toEqual([
      { path: "cost_tracking.ledger", message: "expected a mapping (url, table, schema, budgets), got a number" }
    ])
  })

  it("two budgets of one name are one problem, at the second", () => {
    expect(
      problems(withLedger('url: "${DATABASE_URL}"\nbudgets:\n  - { name: all, usd: 1 }\n  - { name: all, usd: 2 }'))
    ).toEqual([
      {
        path: "cost_tracking.ledger.budgets[1].name",
        message: '"all" names another budget too; give each its own name'
      }
    ])
  })

  it("a bad budget does not hide the others' problems, nor a bad URL", () => {
    expect(
      problems(withLedger("url: ${NOPE}\nbudgets:\n  - { name: a, usd: -1 }\n  - { name: b, usd: 1, window: year }"))
    ).toEqual([
      {
        path: "cost_tracking.ledger.url",
        message: "environment variable NOPE is not set; export it, or write ${NOPE:-...} for a default"
      },
      { path: "cost_tracking.ledger.budgets[0].usd", message: "must be a number greater than 0 (USD)" },
      {
        path: "cost_tracking.ledger.budgets[1].window",
        message: 'unknown value "year"; expected one of total, day, month'
      }
    ])
  })
})
