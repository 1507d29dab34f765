/**
 * The media and JSON Schema helpers every adapter shares, at the edges the adapter tests do not pin:
 * the decoded size of base64 text by its padding (what the per-provider size limits compare), the
 * units and names in a refusal, text files from either form, and the schema walk that closes objects
 * for Anthropic (type lists, `items`, `additionalProperties`, non-schema values left alone).
 */
import { describe, expect, it } from "@effect/vitest"
import { closeObjects, everySchema, isObjectSchema } from "../../src/kit/json-schema.ts"
import { byteLengthOf, bytesOf, mediaWhere, megabytes, textOf } from "../../src/kit/media.ts"

describe("media helpers", () => {
  it("the decoded size of base64 text counts its padding, and equals the bytes' length", () => {
    for (const bytes of [3, 4, 5, 6, 1_000, 1_001, 1_002]) {
      const data = Buffer.alloc(bytes, 7)
      const base64 = data.toString("base64")
      expect(byteLengthOf(base64), `${bytes} bytes as ${base64.slice(-4)}`).toBe(bytes)
      expect(byteLengthOf(new Uint8Array(data))).toBe(bytes)
    }
  })

  it("base64 text decodes to its bytes; bytes stay themselves", () => {
    expect(Array.from(bytesOf("AQID"))).toEqual([1, 2, 3])
    const bytes = new Uint8Array([9, 8])
    expect(bytesOf(bytes)).toBe(bytes)
  })

  it("a text file reads as UTF-8 from base64 text and from bytes", () => {
    expect(textOf(Buffer.from("héllo", "utf8").toString("base64"))).toBe("héllo")
    expect(textOf(new Uint8Array(Buffer.from("héllo", "utf8")))).toBe("héllo")
  })

  it("sizes are in MB of 1,048,576 bytes with two decimals", () => {
    expect(megabytes(5 * 1024 * 1024)).toBe("5.00 MB")
    expect(megabytes(3_932_160)).toBe("3.75 MB")
  })

  it("a refusal names the part: an image by its place, a file with its media type", () => {
    expect(mediaWhere({ type: "image", data: "AA==", mediaType: "image/png" }, 1, 2)).toBe(
      "image at messages[1].content[2]"
    )
    expect(mediaWhere({ type: "file", data: "AA==", mediaType: "application/pdf" }, 0, 3)).toBe(
      "file (application/pdf) at messages[0].content[3]"
    )
  })
})

describe("JSON Schema walk", () => {
  it("an object schema is typed object, has object in its type list, or has properties", () => {
    expect(isObjectSchema({ type: "object" })).toBe(true)
    expect(isObjectSchema({ type: ["object", "null"] })).toBe(true)
    expect(isObjectSchema({ properties: {} })).toBe(true)
    expect(isObjectSchema({ type: ["string", "null"] })).toBe(false)
    expect(isObjectSchema({ type: "array", items: { type: "object" } })).toBe(false)
  })

  it("closing objects reaches objects in a type list, in items and in additionalProperties, and leaves the rest", () => {
    const schema = {
      type: "object",
      properties: {
        maybe: { type: ["object", "null"], properties: { a: { type: "string" } } },
        list: { type: "array", items: { type: "object", properties: { b: { type: "number" } } } },
        tuple: { type: "array", items: [{ type: "object" }, { type: "string" }] },
        map: { type: "object", additionalProperties: { type: "object", properties: { c: { type: "boolean" } } } },
        open: { type: "object", additionalProperties: true },
        tag: { type: "string" }
      }
    }
    expect(closeObjects(schema)).toStrictEqual({
      type: "object",
      additionalProperties: false,
      properties: {
        maybe: { type: ["object", "null"], properties: { a: { type: "string" } }, additionalProperties: false },
        list: {
          type: "array",
          items: { type: "object", properties: { b: { type: "number" } }, additionalProperties: false }
        },
        tuple: { type: "array", items: [{ type: "object", additionalProperties: false }, { type: "string" }] },
        map: {
          type: "object",
          additionalProperties: { type: "object", properties: { c: { type: "boolean" } }, additionalProperties: false }
        },
        open: { type: "object", additionalProperties: true },
        tag: { type: "string" }
      }
    })
    // Values that are not schemas (true, a list) come back as they were.
    expect(closeObjects(true)).toBe(true)
    expect(closeObjects(["x"])).toStrictEqual(["x"])
  })

  it("a test over every subschema: non-schema values pass, a failing subschema anywhere fails", () => {
    const noRefs = (schema: Readonly<Record<string, unknown>>) => schema.$ref === undefined
    expect(everySchema(true, noRefs)).toBe(true)
    expect(everySchema({ type: "object", properties: { a: true } }, noRefs)).toBe(true)
    expect(everySchema({ type: "array", items: { $ref: "#/$defs/x" } }, noRefs)).toBe(false)
    expect(everySchema({ type: "object", additionalProperties: { $ref: "#/$defs/x" } }, noRefs)).toBe(false)
  })
})
