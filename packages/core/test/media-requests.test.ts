/**
 * Images and files in requests, over fake providers: the rules checked before anything is sent (where
 * a part may be, its media type, its data as base64, bytes or a URL, its size), valid parts reaching
 * the provider untouched, and their share of a budget's worst case.
 */
import { describe, expect, it } from "@effect/vitest"
import {
  type ChatRequest,
  imageTokensBound,
  LLMOrchestrator,
  mediaInputTokens,
  pdfPageTokensBound,
  urlFileTokensBound
} from "@llm-orchestrator/core"
import { Effect, Stream } from "effect"
import { setup } from "./orchestrator-helpers.ts"

const png = Buffer.from("89504e470d0a1a0a0000000d49484452", "hex")
const pngBase64 = png.toString("base64")
const look = (...parts: ReadonlyArray<unknown>) => ({
  messages: [
    {
      role: "user",
      content: ["What is this?", ...parts].map((p) => (typeof p === "string" ? { type: "text", text: p } : p))
    }
  ]
})
const image = (fields: Record<string, unknown>) => ({
  type: "image",
  mediaType: "image/png",
  data: pngBase64,
  ...fields
})
const file = (fields: Record<string, unknown>) => ({
  type: "file",
  mediaType: "application/pdf",
  data: pngBase64,
  ...fields
})
const where = "request.messages[0].content[1]"
const twentyMb = 20 * 1024 * 1024

/** [what, request, the message after "invalid request: "] */
const refused: ReadonlyArray<[string, unknown, string]> = [
  [
    "an image in an assistant message",
    {
      messages: [
        { role: "user", content: "hi" },
        { role: "assistant", content: [image({})] }
      ]
    },
    "request.messages[1].content[0]: image parts belong in user messages"
  ],
  [
    "a file in a system message",
    {
      messages: [
        { role: "system", content: [file({})] },
        { role: "user", content: "hi" }
      ]
    },
    "request.messages[0].content[0]: file parts belong in user messages"
  ],
  [
    "an image of an unknown media type",
    look(image({ mediaType: "image/bmp" })),
    `${where}.mediaType must be one of image/png, image/jpeg, image/gif, image/webp (got "image/bmp")`
  ],
  [
    "an image without a media type",
    look(image({ mediaType: undefined })),
    `${where}.mediaType must be one of image/png, image/jpeg, image/gif, image/webp (got undefined)`
  ],
  [
    "a file of a media type no provider shares",
    look(file({ mediaType: "application/zip" })),
    `${where}.mediaType must be one of application/pdf, text/plain (got "application/zip")`
  ],
  [
    "an image with a PDF media type",
    look(image({ mediaType: "application/pdf" })),
    `${where}.mediaType must be one of image/png, image/jpeg, image/gif, image/webp (got "application/pdf")`
  ],
  ["a filename that is not text", look(file({ filename: 3 })), `${where}.filename must be a string`],
  [
    "a URL written as a string",
    look(image({ data: "https://example.com/cat.png" })),
    `${where}.data is a URL written as a string: pass new URL(...) (a string is read as base64)`
  ],
  [
    "a data: URL",
    look(image({ data: `data:image/png;base64,${pngBase64}` })),
    `${where}.data must be base64 text (no data: prefix, no line breaks), bytes (Uint8Array) or a URL`
  ],
  [
    "base64 with a line break",
    look(image({ data: `${pngBase64.slice(0, 8)}\n${pngBase64.slice(8)}` })),
    `${where}.data must be base64 text (no data: prefix, no line breaks), bytes (Uint8Array) or a URL`
  ],
  [
    "base64 of a wrong length",
    look(image({ data: pngBase64.slice(1) })),
    `${where}.data must be base64 text (no data: prefix, no line breaks), bytes (Uint8Array) or a URL`
  ],
  [
    "empty base64",
    look(image({ data: "" })),
    `${where}.data must be base64 text (no data: prefix, no line breaks), bytes (Uint8Array) or a URL`
  ],
  ["no bytes", look(image({ data: new Uint8Array(0) })), `${where}.data is empty`],
  ["a number", look(image({ data: 7 })), `${where}.data must be base64 text, bytes (Uint8Array) or a URL`],
  [
    "a file: URL",
    look(file({ data: new URL("file:///etc/passwd") })),
    `${where}.data must be an http or https URL (got file:)`
  ],
  [
    "a 50 MB image",
    look(image({ data: new Uint8Array(50 * 1024 * 1024) })),
    `${where} is 50.0 MB; at most 20.0 MB can be sent inline: make it smaller, or pass a URL the provider can fetch`
  ],
  [
    "base64 one byte over 20 MB",
    look(file({ data: Buffer.alloc(twentyMb + 1).toString("base64") })),
    `${where} is 20.0 MB; at most 20.0 MB can be sent inline: make it smaller, or pass a URL the provider can fetch`
  ]
]

const accepted: ReadonlyArray<[string, ChatRequest]> = [
  ["a base64 PNG", look(image({})) as ChatRequest],
  [
    "JPEG bytes with a filename",
    look(image({ mediaType: "image/jpeg", data: new Uint8Array(png), filename: "cat.jpg" })) as ChatRequest
  ],
  [
    "a GIF and a WebP by URL",
    look(
      image({ mediaType: "image/gif", data: new URL("https://example.com/a.gif") }),
      image({ mediaType: "image/webp", data: new URL("http://example.com/b.webp") })
    ) as ChatRequest
  ],
  ["a PDF of exactly 20 MB", look(file({ data: Buffer.alloc(twentyMb).toString("base64") })) as ChatRequest],
  [
    "a text file with one padding character",
    look(file({ mediaType: "text/plain", data: Buffer.from("hello").toString("base64") })) as ChatRequest
  ]
]

describe("image and file parts", () => {
  it.effect("each broken rule fails with a message that names the part and the fix, before any call", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const [what, request, message] of refused) {
        const failure = yield* Effect.flip(llm.sendRequest(request as ChatRequest))
        expect(failure._tag, what).toBe("InvalidRequestError")
        expect(failure.message, what).toBe(`invalid request: ${message}`)
        const streamed = yield* Effect.flip(Stream.runDrain(llm.sendStreamingRequest(request as ChatRequest)))
        expect(streamed.message, what).toBe(`invalid request: ${message}`)
      }
      expect(t.fake("openai").calls).toHaveLength(0)
    }).pipe(Effect.provide(t.layer))
  })

  it.effect("valid parts reach the provider as they were given", () => {
    const t = setup({ activeProvider: "openai", activeModel: "m", providers: { openai: {} } })
    return Effect.gen(function* () {
      const llm = yield* LLMOrchestrator
      for (const [what, request] of accepted) {
        const response = yield* Effect.result(llm.sendRequest(request))
        expect(response._tag, what).toBe("Success")
      }
      const sent = t.fake("openai").calls.map((c) => c.request)
      expect(sent).toHaveLength(accepted.length)
      sent.forEach((request, i) => {
        expect(request, accepted[i]![0]).toBe(accepted[i]![1])
      })
    }).pipe(Effect.provide(t.layer))
  })
})

describe("media in the input estimate", () => {
  it("an image counts the most any provider bills for one, however it is given", () => {
    expect(
      mediaInputTokens(look(image({}), image({ data: new URL("https://example.com/a.png") })) as ChatRequest)
    ).toBe(2 * imageTokensBound)
    expect(imageTokensBound).toBe(6_000)
  })

  it("an inline file counts one token per byte, a PDF also each page object; a file by URL a million", () => {
    const pdf = Buffer.from(
      "%PDF-1.4\n1 0 obj << /Type /Pages /Count 2 >>\n2 0 obj << /Type /Page >>\n3 0 obj <</Type/Page/Parent 1 0 R>>\n"
    )
    expect(mediaInputTokens(look(file({ data: pdf.toString("base64") })) as ChatRequest)).toBe(
      pdf.length + 2 * pdfPageTokensBound
    )
    expect(mediaInputTokens(look(file({ data: new Uint8Array(pdf) })) as ChatRequest)).toBe(
      pdf.length + 2 * pdfPageTokensBound
    )
    const text = Buffer.from("/Type /Page is only text here")
    expect(mediaInputTokens(look(file({ mediaType: "text/plain", data: text })) as ChatRequest)).toBe(text.length)
    expect(mediaInputTokens(look(file({ data: new URL("https://example.com/a.pdf") })) as ChatRequest)).toBe(
      urlFileTokensBound
    )
    expect([pdfPageTokensBound, urlFileTokensBound]).toEqual([6_000, 1_000_000])
  })

  it("text and tool parts count nothing here", () => {
    expect(mediaInputTokens(look() as ChatRequest)).toBe(0)
    expect(mediaInputTokens({ messages: [{ role: "user", content: "hi" }] })).toBe(0)
  })
})
