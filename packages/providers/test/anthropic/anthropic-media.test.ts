/**
 * Images and files through AnthropicProvider and the real `@anthropic-ai/sdk` against the Anthropic
 * simulator (which checks source tags, media types, base64 and the 5 MB image limit as the API does),
 * plain and streamed: an image as an `image` block with a base64 source (from base64 text or bytes) or a
 * url source; a PDF as a `document` with a base64 or url source (its filename as the title); a text file
 * as a `document` with a text source holding its UTF-8 text. Refused before any request: an inline image
 * over 5 MB of base64 (Anthropic measures the base64) and a text file by URL.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, type ContentPart, LLMProvider } from "@llm-orchestrator/core"
import { AnthropicProvider } from "@llm-orchestrator/providers"
import { anthropicSimulator, type Simulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
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

const model = "claude-sonnet-4-6"

const withProvider = <A, E>(body: (provider: LLMProvider["Service"], sim: Simulator) => Effect.Effect<A, E>) =>
  Effect.scoped(
    Effect.gen(function* () {
      const sim = yield* anthropicSimulator()
      const layer = AnthropicProvider.layer({ apiKey: Redacted.make("sk-ant-test-0000"), baseUrl: sim.url })
      const provider = yield* Effect.provide(Effect.service(LLMProvider), layer)
      return yield* body(provider, sim)
    })
  )

const run = (provider: LLMProvider["Service"], mode: "plain" | "streamed", request: ChatRequest) =>
  mode === "plain"
    ? Effect.map(provider.generate(request, model), (response) => response.content)
    : Effect.map(Stream.runCollect(provider.stream(request, model)), (events) =>
        Array.from(events)
          .flatMap((e) => (e._tag === "TextDelta" ? [e.text] : []))
          .join("")
      )

const ask = (...parts: ReadonlyArray<ContentPart>): ChatRequest => ({ messages: [{ role: "user", content: parts }] })

type Json = Record<string, unknown>
const sentMessages = (sim: Simulator) => (sim.requests.at(-1)!.body as Json).messages as Array<Json>

/** Base64 text of exactly 5 MB (Anthropic's limit): 3,932,160 bytes. */
const atLimit = bytesOfSize((5 * 1024 * 1024 * 3) / 4)
/** One byte more of image: 4 more characters of base64. */
const overLimit = bytesOfSize((5 * 1024 * 1024 * 3) / 4 + 1)

for (const mode of ["plain", "streamed"] as const) {
  describe(`Anthropic media on the wire, ${mode}`, () => {
    it.live("images as base64 text, bytes and URL: image blocks with base64 and url sources, in order", () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "text", text: "Three cats." })
          const text = yield* run(
            provider,
            mode,
            ask(
              { type: "text", text: "Compare" },
              { type: "image", data: pngBase64, mediaType: "image/png" },
              { type: "image", data: pngBytes, mediaType: "image/webp" },
              { type: "image", data: imageUrl, mediaType: "image/png" }
            )
          )
          expect(text).toBe("Three cats.")
          expect(sentMessages(sim)).toEqual([
            {
              role: "user",
              content: [
                { type: "text", text: "Compare" },
                { type: "image", source: { type: "base64", media_type: "image/png", data: pngBase64 } },
                { type: "image", source: { type: "base64", media_type: "image/webp", data: pngBase64 } },
                { type: "image", source: { type: "url", url: imageUrl.href } }
              ]
            }
          ])
          expect(sim.requests.at(-1)!.media.map((m) => m.url ?? m.mediaType)).toEqual([
            "image/png",
            "image/webp",
            imageUrl.href
          ])
        })
      )
    )

    it.live("PDFs as bytes, base64 (titled by the filename) and URL: document blocks", () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "text", text: "Read." })
          yield* run(
            provider,
            mode,
            ask(
              { type: "file", data: pdfBytes, mediaType: "application/pdf" },
              { type: "file", data: pdfBase64, mediaType: "application/pdf", filename: "q3-report.pdf" },
              { type: "file", data: pdfUrl, mediaType: "application/pdf" },
              { type: "text", text: "Summarise." }
            )
          )
          expect(sentMessages(sim)[0]!.content).toEqual([
            { type: "document", source: { type: "base64", media_type: "application/pdf", data: pdfBase64 } },
            {
              type: "document",
              source: { type: "base64", media_type: "application/pdf", data: pdfBase64 },
              title: "q3-report.pdf"
            },
            { type: "document", source: { type: "url", url: pdfUrl.href } },
            { type: "text", text: "Summarise." }
          ])
          expect(Buffer.from(sim.requests.at(-1)!.media[0]!.bytes!)).toEqual(Buffer.from(pdfBytes))
        })
      )
    )

    it.live("a text file, as base64 and bytes: a document with a text source holding its UTF-8 text", () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "text", text: "Noted." })
          yield* run(
            provider,
            mode,
            ask(
              { type: "file", data: notesBase64, mediaType: "text/plain", filename: "notes.txt" },
              { type: "file", data: notesBytes, mediaType: "text/plain" }
            )
          )
          expect(sentMessages(sim)[0]!.content).toEqual([
            {
              type: "document",
              source: { type: "text", media_type: "text/plain", data: notesText },
              title: "notes.txt"
            },
            { type: "document", source: { type: "text", media_type: "text/plain", data: notesText } }
          ])
          expect(sim.requests.at(-1)!.media.map((m) => m.text)).toEqual([notesText, notesText])
        })
      )
    )

    it.live("an image of exactly 5 MB of base64 goes out; one byte more is refused before any request", () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          sim.script({ kind: "text", text: "Big." })
          yield* run(provider, mode, ask({ type: "image", data: atLimit, mediaType: "image/png" }))
          expect(sim.requests).toHaveLength(1)
          expect(sim.requests[0]!.media[0]!.bytes!.length).toBe(atLimit.length)
          const error = yield* Effect.flip(
            run(
              provider,
              mode,
              ask({ type: "text", text: "And this?" }, { type: "image", data: overLimit, mediaType: "image/png" })
            )
          )
          expect(error._tag).toBe("InvalidRequestError")
          expect(error.message).toContain("image at messages[0].content[1]")
          expect(error.message).toContain("over Anthropic's 5 MB per image")
          expect(error.message).toContain("make it smaller")
          expect(sim.requests).toHaveLength(1)
        })
      )
    )

    it.live("a text file by URL is refused before any request (Anthropic fetches only PDFs and images)", () =>
      withProvider((provider, sim) =>
        Effect.gen(function* () {
          const error = yield* Effect.flip(
            run(
              provider,
              mode,
              ask({ type: "file", data: new URL("https://example.com/notes.txt"), mediaType: "text/plain" })
            )
          )
          expect(error._tag).toBe("InvalidRequestError")
          expect(error.message).toContain("pass the text file's bytes")
          expect(sim.requests).toHaveLength(0)
        })
      )
    )
  })
}

describe("Anthropic media beside tool results and plain text", () => {
  it.live("a user message with an image right after tool results joins their user message, after them", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Done." })
        yield* provider.generate(
          {
            messages: [
              { role: "user", content: "Take a screenshot." },
              { role: "assistant", content: [{ type: "tool-call", id: "toolu_01", name: "shot", arguments: {} }] },
              { role: "tool", content: [{ type: "tool-result", id: "toolu_01", name: "shot", result: "saved" }] },
              {
                role: "user",
                content: [
                  { type: "text", text: "Here it is." },
                  { type: "image", data: pngBytes, mediaType: "image/png" }
                ]
              }
            ],
            tools: [{ name: "shot", parameters: { type: "object", properties: {} } }]
          },
          model
        )
        expect(sentMessages(sim).at(-1)).toEqual({
          role: "user",
          content: [
            { type: "tool_result", tool_use_id: "toolu_01", content: "saved" },
            { type: "text", text: "Here it is." },
            { type: "image", source: { type: "base64", media_type: "image/png", data: pngBase64 } }
          ]
        })
      })
    )
  )

  it.live("a message without media keeps its plain string content", () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Hi." })
        yield* provider.generate(ask({ type: "text", text: "Hello " }, { type: "text", text: "there" }), model)
        expect(sentMessages(sim)).toEqual([{ role: "user", content: "Hello there" }])
      })
    )
  )
})
