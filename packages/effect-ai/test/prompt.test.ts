/**
 * effect/ai's prompt parts on the wire, through the real SDKs: images and files of user messages
 * reach each provider as media, reasoning of earlier answers is dropped, a failed tool result is sent
 * as an error result, and what core cannot carry is refused before any call.
 */

import { describe, expect, it } from "@effect/vitest"
import { fleetProviders } from "@llm-orchestrator/testing"
import { Effect, Exit, Schema } from "effect"
import { type AiError, LanguageModel, Prompt, Tool, Toolkit } from "effect/ai"
import { fleetLanguageModel } from "./support.ts"

// A 1x1 PNG.
const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
const invoice = new TextEncoder().encode("Invoice 7: total 42 EUR.")

const prompt = Prompt.make([
  { role: "system", content: "Be brief." },
  {
    role: "user",
    content: [
      { type: "text", text: "Read these." },
      { type: "file", mediaType: "image/png", data: `data:image/png;base64,${png}` },
      { type: "file", mediaType: "text/plain", fileName: "invoice.txt", data: invoice }
    ]
  },
  {
    role: "assistant",
    content: [
      { type: "reasoning", text: "HIDDEN-REASONING" },
      { type: "text", text: "Earlier answer." }
    ]
  },
  { role: "user", content: "The total?" }
])

const sent = <R extends { readonly kind: string }>(requests: ReadonlyArray<R>) =>
  requests.filter((r) => r.kind !== "models")

describe("prompt parts on the wire", () => {
  for (const provider of fleetProviders)
    it.live(`${provider}: an image and a text file reach the API as media; reasoning is not sent`, () =>
      Effect.gen(function* () {
        const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: provider })
        yield* Effect.provide(LanguageModel.generateText({ prompt }), layer)
        const [request] = fleet[provider].requests.filter((r) => r.kind !== "models")
        // OpenAI Chat has no text document: the file goes as its text (README "Images and files per provider").
        expect(request?.media.map((m) => m.kind)).toEqual(provider === "openai" ? ["image"] : ["image", "document"])
        if (provider === "openai") expect(JSON.stringify(request?.body)).toContain("Invoice 7: total 42 EUR.")
        expect(Buffer.from(request!.media[0]!.bytes!).toString("base64")).toBe(png)
        const body = JSON.stringify(request?.body)
        expect(body).toContain("Earlier answer.")
        expect(body).not.toContain("HIDDEN-REASONING")
      })
    )

  it.live("a tool that fails is answered to the model as an error result", () =>
    Effect.gen(function* () {
      const Lookup = Tool.make("lookup", {
        parameters: Schema.Struct({ id: Schema.String }),
        failure: Schema.String,
        failureMode: "return"
      })
      const tools = Toolkit.make(Lookup)
      const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: "anthropic" })
      fleet.anthropic.script({ kind: "text", text: "", toolCalls: [{ name: "lookup", arguments: { id: "x" } }] })
      const first = yield* LanguageModel.generateText({ prompt: "Look up x", toolkit: tools }).pipe(
        Effect.provide(tools.toLayer({ lookup: () => Effect.fail("no such id") })),
        Effect.provide(layer)
      )
      expect(first.toolResults[0]?.isFailure).toBe(true)
      yield* Effect.provide(
        LanguageModel.generateText({
          prompt: Prompt.concat(Prompt.make("Look up x"), Prompt.fromResponseParts(first.content))
        }),
        layer
      )
      const body = JSON.stringify(sent(fleet.anthropic.requests).map((r) => r.body)[1])
      expect(body).toContain('"is_error":true')
      expect(body).toContain("no such id")
    })
  )

  it.live("a provider-defined tool is refused before any call", () =>
    Effect.gen(function* () {
      const WebSearch = Tool.providerDefined({
        id: "anthropic.web_search_20250305",
        customName: "web_search",
        providerName: "web_search"
      })
      const { fleet, layer } = yield* fleetLanguageModel({ activeProvider: "anthropic" })
      const exit = yield* LanguageModel.generateText({ prompt: "Search", toolkit: Toolkit.make(WebSearch()) }).pipe(
        Effect.provide(layer),
        Effect.exit
      )
      expect(Exit.isFailure(exit)).toBe(true)
      const failure = Exit.isFailure(exit) ? exit.cause.reasons.find((r) => r._tag === "Fail") : undefined
      const reason = (failure?._tag === "Fail" ? failure.error : undefined) as AiError.AiError | undefined
      expect(reason?.reason._tag).toBe("InvalidRequestError")
      expect((reason?.reason as AiError.InvalidRequestError | undefined)?.parameter).toBe("tools")
      expect(sent(fleet.anthropic.requests)).toHaveLength(0)
    })
  )
})
