/**
 * Images and files through `OpenAIProvider` and the real `openai` SDK against the OpenAI simulator (which
 * checks them as OpenAI does), on both APIs, plain and streamed. Chat Completions: an image as
 * `image_url` (a data URL for base64 text or bytes, the href for a URL), a PDF as a `file` part with a
 * data URL and a filename ("document.pdf" by default), a text file as a text part holding its text, and
 * a file by URL refused before any request (Chat takes no file URL). Responses: `input_image` with
 * detail auto, `input_file` with a data URL and filename or with `file_url`, a text file as `input_text`.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "@effect/vitest"
import { type ChatRequest, type ContentPart, LLMProvider } from "@llm-orchestrator/core"
import { type Simulator, startOpenAISimulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { OpenAIProvider } from "../../src/openai/openai.ts"
import {
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

let sim: Simulator
beforeAll(async () => {
  sim = await startOpenAISimulator()
})
afterAll(() => sim.close())
beforeEach(() => {
  sim.reset()
})

type Api = "chat" | "responses"
type Json = Record<string, unknown>

const layer = (api: Api) =>
  OpenAIProvider.layer({ apiKey: Redacted.make("sk-test-media"), baseUrl: `${sim.url}/v1`, api })

const generate = (api: Api, request: ChatRequest) =>
  LLMProvider.use((p) => p.generate(request, "gpt-4o-mini")).pipe(Effect.provide(layer(api)))

const stream = (api: Api, request: ChatRequest) =>
  Effect.gen(function* () {
    const provider = yield* LLMProvider
    return Array.from(yield* Stream.runCollect(provider.stream(request, "gpt-4o-mini")))
  }).pipe(Effect.provide(layer(api)))

/** Plain or streamed, the answer's text. */
const run = (api: Api, mode: "plain" | "streamed", request: ChatRequest) =>
  mode === "plain"
    ? Effect.map(generate(api, request), (response) => response.content)
    : Effect.map(stream(api, request), (events) =>
        events.flatMap((e) => (e._tag === "TextDelta" ? [e.text] : [])).join("")
      )

const ask = (...parts: ReadonlyArray<ContentPart>): ChatRequest => ({
  messages: [
    { role: "system", content: "Be brief." },
    { role: "user", content: parts }
  ]
})

const lastBody = (): Json => sim.requests.at(-1)?.body as Json
/** The user message as sent: Chat's second message (after the system one), the Responses API's first input item. */
const sentUser = (api: Api): Json =>
  api === "chat" ? (lastBody().messages as Array<Json>)[1]! : (lastBody().input as Array<Json>)[0]!

const pngDataUrl = `data:image/png;base64,${pngBase64}`
const pdfDataUrl = `data:application/pdf;base64,${pdfBase64}`

for (const mode of ["plain", "streamed"] as const) {
  describe(`chat, ${mode}: the parts on the wire`, () => {
    it.live("an image as base64 text and as bytes: image_url with the same data URL, between the texts", () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Two cats." })
        const text = yield* run(
          "chat",
          mode,
          ask(
            { type: "text", text: "Compare " },
            { type: "image", data: pngBase64, mediaType: "image/png" },
            { type: "text", text: "with" },
            { type: "image", data: pngBytes, mediaType: "image/png" }
          )
        )
        expect(text).toBe("Two cats.")
        expect(sentUser("chat")).toEqual({
          role: "user",
          content: [
            { type: "text", text: "Compare " },
            { type: "image_url", image_url: { url: pngDataUrl } },
            { type: "text", text: "with" },
            { type: "image_url", image_url: { url: pngDataUrl } }
          ]
        })
        const media = sim.requests.at(-1)!.media
        expect(media.map((m) => [m.kind, m.mediaType])).toEqual([
          ["image", "image/png"],
          ["image", "image/png"]
        ])
        expect(Buffer.from(media[1]!.bytes!)).toEqual(Buffer.from(pngBytes))
      })
    )

    it.live("an image by URL: its href", () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "A cat." })
        yield* run("chat", mode, ask({ type: "image", data: imageUrl, mediaType: "image/png" }))
        expect(sentUser("chat").content).toEqual([{ type: "image_url", image_url: { url: imageUrl.href } }])
        expect(sim.requests.at(-1)!.media).toEqual([
          { kind: "image", mediaType: "", url: imageUrl.href, at: "messages[1].content[0]" }
        ])
      })
    )

    it.live("a PDF as bytes (named document.pdf) and as base64 with its filename: file parts with data URLs", () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Both say hello." })
        yield* run(
          "chat",
          mode,
          ask(
            { type: "file", data: pdfBytes, mediaType: "application/pdf" },
            { type: "file", data: pdfBase64, mediaType: "application/pdf", filename: "q3-report.pdf" },
            { type: "text", text: "Summarise both." }
          )
        )
        expect(sentUser("chat").content).toEqual([
          { type: "file", file: { file_data: pdfDataUrl, filename: "document.pdf" } },
          { type: "file", file: { file_data: pdfDataUrl, filename: "q3-report.pdf" } },
          { type: "text", text: "Summarise both." }
        ])
        expect(sim.requests.at(-1)!.media.map((m) => [m.kind, m.mediaType, m.name])).toEqual([
          ["document", "application/pdf", "document.pdf"],
          ["document", "application/pdf", "q3-report.pdf"]
        ])
      })
    )

    it.live("a text file, as base64 and as bytes: text parts holding its UTF-8 text", () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Noted." })
        yield* run(
          "chat",
          mode,
          ask(
            { type: "file", data: notesBase64, mediaType: "text/plain", filename: "notes.txt" },
            { type: "file", data: notesBytes, mediaType: "text/plain" }
          )
        )
        expect(sentUser("chat").content).toEqual([
          { type: "text", text: notesText },
          { type: "text", text: notesText }
        ])
        expect(sim.requests.at(-1)!.media).toEqual([])
      })
    )

    it.live("a PDF or a text file by URL: InvalidRequestError naming the fix, and nothing is sent", () =>
      Effect.gen(function* () {
        for (const [mediaType, fix] of [
          ["application/pdf", "pass the PDF's bytes, or use the Responses API"],
          ["text/plain", "pass the file's bytes"]
        ] as const) {
          const error = yield* Effect.flip(
            run("chat", mode, ask({ type: "text", text: "Read it." }, { type: "file", data: pdfUrl, mediaType }))
          )
          expect(error._tag).toBe("InvalidRequestError")
          expect(error.message).toContain("messages[1].content[1]")
          expect(error.message).toContain("Chat Completions takes no file URL")
          expect(error.message).toContain(fix)
        }
        expect(sim.requests).toHaveLength(0)
      })
    )
  })

  describe(`responses, ${mode}: the parts on the wire`, () => {
    it.live("images as base64, bytes and URL: input_image with detail auto, data URLs or the href", () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Three cats." })
        const text = yield* run(
          "responses",
          mode,
          ask(
            { type: "text", text: "Compare" },
            { type: "image", data: pngBase64, mediaType: "image/png" },
            { type: "image", data: pngBytes, mediaType: "image/png" },
            { type: "image", data: imageUrl, mediaType: "image/png" }
          )
        )
        expect(text).toBe("Three cats.")
        expect(lastBody().instructions).toBe("Be brief.")
        expect(sentUser("responses")).toEqual({
          role: "user",
          content: [
            { type: "input_text", text: "Compare" },
            { type: "input_image", image_url: pngDataUrl, detail: "auto" },
            { type: "input_image", image_url: pngDataUrl, detail: "auto" },
            { type: "input_image", image_url: imageUrl.href, detail: "auto" }
          ]
        })
        expect(sim.requests.at(-1)!.media.map((m) => m.url ?? m.mediaType)).toEqual([
          "image/png",
          "image/png",
          imageUrl.href
        ])
      })
    )

    it.live("PDFs as bytes (named document.pdf), base64 with a filename and by URL: input_file", () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Read." })
        yield* run(
          "responses",
          mode,
          ask(
            { type: "file", data: pdfBytes, mediaType: "application/pdf" },
            { type: "file", data: pdfBase64, mediaType: "application/pdf", filename: "q3-report.pdf" },
            { type: "file", data: pdfUrl, mediaType: "application/pdf" },
            { type: "text", text: "Summarise." }
          )
        )
        expect(sentUser("responses").content).toEqual([
          { type: "input_file", file_data: pdfDataUrl, filename: "document.pdf" },
          { type: "input_file", file_data: pdfDataUrl, filename: "q3-report.pdf" },
          { type: "input_file", file_url: pdfUrl.href },
          { type: "input_text", text: "Summarise." }
        ])
        expect(sim.requests.at(-1)!.media.map((m) => m.name ?? m.url)).toEqual([
          "document.pdf",
          "q3-report.pdf",
          pdfUrl.href
        ])
      })
    )

    it.live("a text file: input_text holding its UTF-8 text", () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Noted." })
        yield* run("responses", mode, ask({ type: "file", data: notesBytes, mediaType: "text/plain" }))
        expect(sentUser("responses").content).toEqual([{ type: "input_text", text: notesText }])
      })
    )
  })
}

describe("messages without media keep their plain string content", () => {
  for (const api of ["chat", "responses"] as const)
    it.live(`${api}: text parts are joined into one string, as before`, () =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Hi." })
        yield* generate(api, ask({ type: "text", text: "Hello " }, { type: "text", text: "there" }))
        expect(sentUser(api)).toEqual({ role: "user", content: "Hello there" })
      })
    )
})
