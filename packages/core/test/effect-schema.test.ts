/**
 * `jsonSchemaFrom`, `schemaTool` and the decoding behind them, on schemas built inside each test (a
 * schema made at module level would be converted before the test runs, and cached).
 */
import { describe, expect, it } from "@effect/vitest"
import { jsonSchemaFrom, schemaTool } from "@llm-orchestrator/core"
import { Effect, Schema } from "effect"
import { decodeWith, effectSchemaOf } from "../src/effect-schema.ts"

describe("jsonSchemaFrom", () => {
  it("a Class: its definition at the root (no $ref), objects closed, no $defs when nothing else is defined", () => {
    class Point extends Schema.Class<Point>("Point")({ x: Schema.Finite, y: Schema.Finite }) {}
    const json = jsonSchemaFrom(Point)
    expect(json).toEqual({
      type: "object",
      properties: { x: { type: "number" }, y: { type: "number" } },
      required: ["x", "y"],
      additionalProperties: false
    })
    expect("$defs" in json).toBe(false)
    expect(jsonSchemaFrom(Point)).toBe(json)
    expect(effectSchemaOf(json)).toBe(Point)
    expect(effectSchemaOf({ ...json })).toBeUndefined()
  })

  it("a recursive Class keeps its own definition under $defs, for its inner references", () => {
    interface Tree {
      readonly label: string
      readonly children: ReadonlyArray<Tree>
    }
    const Tree: Schema.Codec<Tree> = Schema.Struct({
      label: Schema.String,
      children: Schema.Array(Schema.suspend((): Schema.Codec<Tree> => Tree))
    }).annotate({ identifier: "Tree" })
    const json = jsonSchemaFrom(Tree)
    expect(json.type).toBe("object")
    expect(Object.keys(json.$defs as object)).toEqual(["Tree"])
    expect(JSON.stringify(json.properties)).toContain('"$ref":"#/$defs/Tree"')
  })

  it("a Struct holding a Class: the Class under $defs, every object closed", () => {
    class Point extends Schema.Class<Point>("Point")({ x: Schema.Finite }) {}
    const json = jsonSchemaFrom(Schema.Struct({ at: Point, label: Schema.String }))
    expect(json.type).toBe("object")
    expect(json.additionalProperties).toBe(false)
    expect(json.properties).toEqual({ at: { $ref: "#/$defs/PointEncoded" }, label: { type: "string" } })
    expect(json.$defs).toEqual({
      PointEncoded: {
        type: "object",
        properties: { x: { type: "number" } },
        required: ["x"],
        additionalProperties: false
      }
    })
  })
})

describe("decodeWith", () => {
  it("the decoded value, or the schema's message; a check that throws is a problem too, not a crash", () => {
    expect(decodeWith(Schema.DateTimeUtcFromString, "2026-01-02T03:04:05Z")).toMatchObject({ ok: true })
    expect(decodeWith(Schema.Struct({ n: Schema.Finite }), { n: "x" })).toEqual({
      ok: false,
      problem: 'Expected number\n  at ["n"]'
    })
    const throwing = Schema.Finite.check(
      Schema.makeFilter(() => {
        throw new Error("the check broke")
      })
    )
    expect(decodeWith(throwing, 1)).toEqual({ ok: false, problem: "the check broke" })
  })
})

describe("schemaTool", () => {
  it.effect("its definition: the name, the description only when given, the parameters' JSON Schema", () =>
    Effect.gen(function* () {
      const parameters = Schema.Struct({ city: Schema.String })
      const described = schemaTool("weather", {
        description: "The weather in a city",
        parameters,
        execute: (args) => Effect.succeed(`sunny in ${args.city}`)
      })
      expect(described.name).toBe("weather")
      expect(described.description).toBe("The weather in a city")
      expect(described.parameters).toBe(jsonSchemaFrom(parameters))
      expect(yield* described.execute({ city: "Lima" }, { id: "c1", name: "weather", arguments: {} })).toBe(
        "sunny in Lima"
      )
      const bare = schemaTool("weather", { parameters, execute: () => Effect.void })
      expect("description" in bare).toBe(false)
    })
  )
})
