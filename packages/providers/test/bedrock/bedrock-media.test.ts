/**
 * Images and files through the Bedrock provider layer and the real SDK against the Bedrock simulator
 * (which checks formats, document names, sizes and the text beside a document as Converse does), on
 * Converse and ConverseStream: an image as an `image` block with its format and bytes, a PDF or a text
 * file as a `document` (format pdf or txt) with a name Converse takes, unique in the request. Refused
 * before any request: any URL (Converse takes bytes or S3 locations), an image over 3.75 MB, a document
 * over 4.5 MB, and a document in a user turn without text.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, type ContentPart, LLMProvider, type Message } from "@llm-orchestrator/core"
import { bedrockSimulator, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { BedrockProvider } from "../../src/bedrock/bedrock.ts"
import { documentName } from "../../src/bedrock/mapping.ts"
import {
  bytesOfSize,
  imageUrl,
  notesBase64,
  notesBytes,
  notesText,
  pdfBase64,
  pdfBytes,
  pdfUrl,
  pngBase64,
  pngBytes
} from "../media-fixtures.ts"

const model = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"

const withBedrock = <A, E>(body: (sim: Simulator) => Effect.Effect<A, E, LLMProvider>) =>
  Effect.gen(function* () {
    const sim = yield* bedrockSimulator()
    return yield* body(sim).pipe(
      Effect.provide(
        BedrockProvider.layer({
          region: "us-east-1",
          baseUrl: sim.url,
          accessKeyId: Redacted.make("AKIDMEDIA"),
          secretAccessKey: Redacted.make("media-secret")
        })
      )
    )
  })

const run = (mode: "plain" | "streamed", request: ChatRequest) =>
  Effect.gen(function* () {
    const llm = yield* LLMProvider
    if (mode === "plain") return (yield* llm.generate(request, model)).content
    const events = yield* Stream.runCollect(llm.stream(request, model))
    return Array.from(events)
      .flatMap((e) => (e._tag === "TextDelta" ? [e.text] : []))
      .join("")
  })

const ask = (...parts: ReadonlyArray<ContentPart>): ChatRequest => ({ messages: [{ role: "user", content: parts }] })

type Json = Record<string, unknown>
const sentMessages = (sim: Simulator) => (sim.requests.at(-1)!.body as Json).messages as Array<Json>

const mb = 1024 * 1024

for (const mode of ["plain", "streamed"] as const) {
  describe(`Bedrock media on the wire, ${mode}`, () => {
    it.live("images as base64 text and bytes: image blocks with their format and the bytes, in order", () =>
      withBedrock((sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "text", text: "Two cats." })
          const text = yield* run(
            mode,
            ask(
              { type: "text", text: "Compare" },
              { type: "image", data: pngBase64, mediaType: "image/png" },
              { type: "text", text: "with" },
              { type: "image", data: pngBytes, mediaType: "image/webp" }
            )
          )
          expect(text).toBe("Two cats.")
          // The SDK sends the bytes as base64 in the JSON body.
          expect(sentMessages(sim)).toEqual([
            {
              role: "user",
              content: [
                { text: "Compare" },
                { image: { format: "png", source: { bytes: pngBase64 } } },
                { text: "with" },
                { image: { format: "webp", source: { bytes: pngBase64 } } }
              ]
            }
          ])
          const media = sim.requests.at(-1)!.media
          expect(media.map((m) => m.mediaType)).toEqual(["image/png", "image/webp"])
          expect(Buffer.from(media[1]!.bytes!)).toEqual(Buffer.from(pngBytes))
        })
      )
    )

    it.live("PDFs and text files: document blocks (pdf, txt) named from the filename, unique in the request", () =>
      withBedrock((sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "text", text: "Read." })
          const messages: ReadonlyArray<Message> = [
            {
              role: "user",
              content: [
                { type: "file", data: pdfBytes, mediaType: "application/pdf", filename: "Q3 report.pdf" },
                { type: "file", data: pdfBase64, mediaType: "application/pdf" },
                { type: "text", text: "Summarise." }
              ]
            },
            { role: "assistant", content: "Done." },
            {
              role: "user",
              content: [
                { type: "file", data: notesBytes, mediaType: "text/plain", filename: "q3 REPORT.txt" },
                { type: "file", data: notesBase64, mediaType: "text/plain" },
                { type: "text", text: "And these?" }
              ]
            }
          ]
          yield* run(mode, { messages })
          const sent = sentMessages(sim)
          expect(sent[0]!.content).toEqual([
            { document: { format: "pdf", name: "Q3 report", source: { bytes: pdfBase64 } } },
            { document: { format: "pdf", name: "document", source: { bytes: pdfBase64 } } },
            { text: "Summarise." }
          ])
          expect(sent[2]!.content).toEqual([
            { document: { format: "txt", name: "q3 REPORT (2)", source: { bytes: notesBase64 } } },
            { document: { format: "txt", name: "document (2)", source: { bytes: notesBase64 } } },
            { text: "And these?" }
          ])
          const media = sim.requests.at(-1)!.media
          expect(media.map((m) => [m.mediaType, m.name])).toEqual([
            ["application/pdf", "Q3 report"],
            ["application/pdf", "document"],
            ["text/plain", "q3 REPORT (2)"],
            ["text/plain", "document (2)"]
          ])
          expect(Buffer.from(media[2]!.bytes!).toString("utf8")).toBe(notesText)
        })
      )
    )

    it.live("an image or a PDF by URL is refused before any request: Converse takes bytes", () =>
      withBedrock((sim) =>
        Effect.gen(function* () {
          for (const part of [
            { type: "image", data: imageUrl, mediaType: "image/png" },
            { type: "file", data: pdfUrl, mediaType: "application/pdf" }
          ] as const) {
            const error = yield* Effect.flip(run(mode, ask({ type: "text", text: "Look." }, part)))
            expect(error._tag).toBe("InvalidRequestError")
            expect(error.message).toContain("messages[0].content[1] is a URL, and Converse takes no URL")
            expect(error.message).toContain("pass the bytes")
          }
          expect(sim.requests).toHaveLength(0)
        })
      )
    )

    it.live("an image of 3.75 MB and a document of 4.5 MB go out; one byte more of either is refused", () =>
      withBedrock((sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "text", text: "Big." })
          yield* run(
            mode,
            ask(
              { type: "text", text: "Look." },
              { type: "image", data: bytesOfSize(3.75 * mb), mediaType: "image/png" },
              { type: "file", data: bytesOfSize(4.5 * mb), mediaType: "application/pdf" }
            )
          )
          expect(sim.requests).toHaveLength(1)
          expect(sim.requests[0]!.media.map((m) => m.bytes!.length)).toEqual([3.75 * mb, 4.5 * mb])
          const image = yield* Effect.flip(
            run(
              mode,
              ask(
                { type: "text", text: "Look." },
                { type: "image", data: bytesOfSize(3.75 * mb + 1), mediaType: "image/png" }
              )
            )
          )
          expect(image._tag).toBe("InvalidRequestError")
          expect(image.message).toContain("over Converse's 3.75 MB per image")
          const document = yield* Effect.flip(
            run(
              mode,
              ask(
                { type: "text", text: "Read." },
                { type: "file", data: bytesOfSize(4.5 * mb + 1), mediaType: "text/plain" }
              )
            )
          )
          expect(document._tag).toBe("InvalidRequestError")
          expect(document.message).toContain("over Converse's 4.5 MB per document")
          expect(sim.requests).toHaveLength(1)
        })
      )
    )

    it.live("a document in a user turn without text is refused; text in a message merged into the turn is enough", () =>
      withBedrock((sim) =>
        Effect.gen(function* () {
          const error = yield* Effect.flip(
            run(mode, ask({ type: "file", data: pdfBytes, mediaType: "application/pdf", filename: "q3.pdf" }))
          )
          expect(error._tag).toBe("InvalidRequestError")
          expect(error.message).toContain('the document "q3" is in a user turn without text')
          expect(error.message).toContain("add a text part")
          expect(sim.requests).toHaveLength(0)
          sim.script({ kind: "text", text: "Read." })
          yield* run(mode, {
            messages: [
              { role: "user", content: [{ type: "file", data: pdfBytes, mediaType: "application/pdf" }] },
              { role: "user", content: "Summarise it." }
            ]
          })
          expect(sentMessages(sim)).toEqual([
            {
              role: "user",
              content: [
                { document: { format: "pdf", name: "document", source: { bytes: pdfBase64 } } },
                { text: "Summarise it." }
              ]
            }
          ])
        })
      )
    )
  })
}

describe("Bedrock document names", () => {
  const rows: ReadonlyArray<readonly [string | undefined, string]> = [
    [undefined, "document"],
    ["report.pdf", "report"],
    ["my_report v2.final.pdf", "my-report v2-final"],
    ["  two   spaces\tand tab (draft) [1].txt", "two spaces and tab (draft) [1]"],
    ["報告書.pdf", "document"],
    ["notes", "notes"],
    [".pdf", "document"]
  ]
  for (const [filename, name] of rows)
    it(`${JSON.stringify(filename)} -> ${JSON.stringify(name)}`, () => {
      expect(documentName(filename, new Set())).toBe(name)
    })

  it("names stay unique (case-insensitively) and within 200 characters", () => {
    const used = new Set<string>()
    expect(documentName("Report.pdf", used)).toBe("Report")
    expect(documentName("report.txt", used)).toBe("report (2)")
    expect(documentName("REPORT", used)).toBe("REPORT (3)")
    const long = documentName(`${"a".repeat(300)}.pdf`, used)
    const longAgain = documentName(`${"a".repeat(300)}.pdf`, used)
    expect(long.length).toBeLessThanOrEqual(200)
    expect(longAgain).toBe(`${long} (2)`)
    expect(longAgain.length).toBeLessThanOrEqual(200)
  })
})
