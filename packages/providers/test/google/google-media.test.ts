/**
 * Images and files through GeminiProvider and VertexProvider with the real `@google/genai` SDK against
 * the simulators (which check MIME types, base64 and file URIs as the API does), plain and streamed:
 * inline data (base64 text or bytes) as `inlineData` with its mime type and base64 data, a URL as
 * `fileData` with its URI and mime type, in order among the text parts; PDFs and text files the same
 * way. Google fetches URLs itself, so nothing is refused.
 */
import { describe, expect, it } from "@effect/vitest"
import { type ChatRequest, type ContentPart, LLMProvider } from "@llm-orchestrator/core"
import { GeminiProvider, VertexProvider } from "@llm-orchestrator/providers"
import { geminiSimulator, type Simulator, vertexSimulator } from "@llm-orchestrator/testing"
import { Effect, Redacted, Stream } from "effect"
import { OAuth2Client } from "google-auth-library"
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

const model = "gemini-2.5-flash"

const flavors = [
  {
    name: "Gemini",
    simulator: geminiSimulator,
    provider: (sim: Simulator) =>
      Effect.gen(function* () {
        return yield* LLMProvider
      }).pipe(Effect.provide(GeminiProvider.layer({ apiKey: Redacted.make("AIzaSy-media"), baseUrl: sim.url })))
  },
  {
    name: "Vertex",
    simulator: vertexSimulator,
    provider: (sim: Simulator) => {
      const authClient = new OAuth2Client()
      authClient.setCredentials({ access_token: "ya29.media-test" })
      return Effect.gen(function* () {
        return yield* LLMProvider
      }).pipe(
        Effect.provide(
          VertexProvider.layer({
            project: "acme-prod",
            location: "us-central1",
            baseUrl: sim.url,
            googleAuthOptions: { authClient }
          })
        )
      )
    }
  }
] as const

const ask = (...parts: ReadonlyArray<ContentPart>): ChatRequest => ({ messages: [{ role: "user", content: parts }] })

type Json = Record<string, unknown>
const sentContents = (sim: Simulator) => (sim.requests.at(-1)!.body as Json).contents as Array<Json>

for (const flavor of flavors) {
  const withProvider = <A, E>(body: (provider: LLMProvider["Service"], sim: Simulator) => Effect.Effect<A, E>) =>
    Effect.scoped(
      Effect.gen(function* () {
        const sim = yield* flavor.simulator()
        const provider = yield* flavor.provider(sim)
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

  for (const mode of ["plain", "streamed"] as const) {
    describe(`${flavor.name} media on the wire, ${mode}`, () => {
      it.live("images as base64 text, bytes and URL: inlineData and fileData parts, in order", () =>
        withProvider((provider, sim) =>
          Effect.gen(function* () {
            sim.script({ kind: "text", text: "Three cats." })
            const text = yield* run(
              provider,
              mode,
              ask(
                { type: "text", text: "Compare" },
                { type: "image", data: pngBase64, mediaType: "image/png" },
                { type: "image", data: pngBytes, mediaType: "image/jpeg" },
                { type: "image", data: imageUrl, mediaType: "image/png" }
              )
            )
            expect(text).toBe("Three cats.")
            expect(sentContents(sim)).toEqual([
              {
                role: "user",
                parts: [
                  { text: "Compare" },
                  { inlineData: { mimeType: "image/png", data: pngBase64 } },
                  { inlineData: { mimeType: "image/jpeg", data: pngBase64 } },
                  { fileData: { fileUri: imageUrl.href, mimeType: "image/png" } }
                ]
              }
            ])
            const media = sim.requests.at(-1)!.media
            expect(media.map((m) => [m.kind, m.mediaType, m.url])).toEqual([
              ["image", "image/png", undefined],
              ["image", "image/jpeg", undefined],
              ["image", "image/png", imageUrl.href]
            ])
            expect(Buffer.from(media[1]!.bytes!)).toEqual(Buffer.from(pngBytes))
          })
        )
      )

      it.live("PDFs and text files, inline and by URL: inlineData and fileData with their mime types", () =>
        withProvider((provider, sim) =>
          Effect.gen(function* () {
            sim.script({ kind: "text", text: "Read." })
            yield* run(
              provider,
              mode,
              ask(
                { type: "file", data: pdfBytes, mediaType: "application/pdf", filename: "q3.pdf" },
                { type: "file", data: pdfBase64, mediaType: "application/pdf" },
                { type: "file", data: pdfUrl, mediaType: "application/pdf" },
                { type: "file", data: notesBytes, mediaType: "text/plain" },
                { type: "file", data: notesBase64, mediaType: "text/plain" },
                { type: "text", text: "Summarise." }
              )
            )
            expect(sentContents(sim)[0]!.parts).toEqual([
              { inlineData: { mimeType: "application/pdf", data: pdfBase64 } },
              { inlineData: { mimeType: "application/pdf", data: pdfBase64 } },
              { fileData: { fileUri: pdfUrl.href, mimeType: "application/pdf" } },
              { inlineData: { mimeType: "text/plain", data: notesBase64 } },
              { inlineData: { mimeType: "text/plain", data: notesBase64 } },
              { text: "Summarise." }
            ])
            const media = sim.requests.at(-1)!.media
            expect(media.map((m) => m.kind)).toEqual(["document", "document", "document", "document", "document"])
            expect(Buffer.from(media[3]!.bytes!).toString("utf8")).toBe(notesText)
          })
        )
      )
    })
  }

  it.live(`${flavor.name}: a message without media keeps one text part`, () =>
    withProvider((provider, sim) =>
      Effect.gen(function* () {
        sim.script({ kind: "text", text: "Hi." })
        yield* provider.generate(ask({ type: "text", text: "Hello " }, { type: "text", text: "there" }), model)
        expect(sentContents(sim)).toEqual([{ role: "user", parts: [{ text: "Hello there" }] }])
        expect(sim.requests.at(-1)!.media).toEqual([])
      })
    )
  )
}
