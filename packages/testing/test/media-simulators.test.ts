/**
 * Images and documents as the five simulators check them, posted as raw HTTP (no adapter in between):
 * each provider's valid shapes are accepted and recorded (`RecordedRequest.media`, the render context),
 * and malformed ones are refused with the provider's own 400: media types, base64 that does not decode,
 * the per-provider size limits (Anthropic's 5 MB of base64 per image, Bedrock's 3.75 MB per image and
 * 4.5 MB per document), Anthropic's source tags, OpenAI's data URLs and filenames, Gemini's MIME types
 * and file URIs, Bedrock's document names, document count and the text a document needs beside it.
 */
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest"
import {
  type Simulator,
  startAnthropicSimulator,
  startBedrockSimulator,
  startGeminiSimulator,
  startOpenAISimulator,
  startVertexSimulator
} from "../src/index.ts"

type Json = Record<string, unknown>

let openai: Simulator
let anthropic: Simulator
let gemini: Simulator
let vertex: Simulator
let bedrock: Simulator
beforeAll(async () => {
  ;[openai, anthropic, gemini, vertex, bedrock] = await Promise.all([
    startOpenAISimulator(),
    startAnthropicSimulator(),
    startGeminiSimulator(),
    startVertexSimulator(),
    startBedrockSimulator()
  ])
})
afterAll(() => Promise.all([openai, anthropic, gemini, vertex, bedrock].map((sim) => sim.close())))
beforeEach(() => {
  for (const sim of [openai, anthropic, gemini, vertex, bedrock]) sim.reset()
})

interface Answer {
  readonly status: number
  readonly headers: Headers
  readonly body: Json
}

const post = async (url: string, headers: Record<string, string>, body: unknown): Promise<Answer> => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify(body)
  })
  return { status: response.status, headers: response.headers, body: (await response.json()) as Json }
}

const png = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
const pdf = Buffer.from("%PDF-1.4\n%%EOF\n").toString("base64")
/** Looks like base64 but is not: a character outside the alphabet. */
const broken = "iVBORw0K*GgoAAAA"
const base64OfSize = (bytes: number) => Buffer.alloc(bytes, 7).toString("base64")

// ---- OpenAI --------------------------------------------------------------------------------------------

const chat = (content: ReadonlyArray<unknown>, role = "user") =>
  post(
    `${openai.url}/v1/chat/completions`,
    { authorization: "Bearer sk-test" },
    { model: "gpt-4o", messages: [{ role, content }] }
  )
const responses = (content: ReadonlyArray<unknown>) =>
  post(
    `${openai.url}/v1/responses`,
    { authorization: "Bearer sk-test" },
    { model: "gpt-4o", input: [{ role: "user", content }] }
  )
const openaiError = (answer: Answer) => answer.body.error as { message: string; param: string; code: string }

describe("OpenAI simulator: Chat image_url and file parts", () => {
  it("accepts data URLs, http URLs and PDFs with a filename, and records them", async () => {
    const answer = await chat([
      { type: "text", text: "Look" },
      { type: "image_url", image_url: { url: `data:image/png;base64,${png}`, detail: "auto" } },
      { type: "image_url", image_url: { url: "https://example.com/cat.jpg" } },
      { type: "file", file: { file_data: `data:application/pdf;base64,${pdf}`, filename: "a.pdf" } },
      { type: "file", file: { file_id: "file-abc" } }
    ])
    expect(answer.status).toBe(200)
    const media = openai.requests.at(-1)!.media
    expect(media.map((m) => [m.kind, m.mediaType, m.url, m.name, m.at])).toEqual([
      ["image", "image/png", undefined, undefined, "messages[0].content[1]"],
      ["image", "", "https://example.com/cat.jpg", undefined, "messages[0].content[2]"],
      ["document", "application/pdf", undefined, "a.pdf", "messages[0].content[3]"]
    ])
    expect(Buffer.from(media[0]!.bytes!).toString("base64")).toBe(png)
  })

  const refusals: ReadonlyArray<readonly [string, ReadonlyArray<unknown>, string, string, string]> = [
    [
      "raw base64 without the data: prefix",
      [{ type: "image_url", image_url: { url: png } }],
      "messages[0].content[0].image_url.url",
      "invalid_value",
      "but got a value without the 'data:' prefix"
    ],
    [
      "an image type OpenAI does not read",
      [{ type: "image_url", image_url: { url: `data:image/bmp;base64,${png}` } }],
      "messages[0].content[0].image_url.url",
      "invalid_value",
      "but got unsupported MIME type 'image/bmp'"
    ],
    [
      "base64 that does not decode",
      [{ type: "image_url", image_url: { url: `data:image/png;base64,${broken}` } }],
      "messages[0].content[0].image_url.url",
      "invalid_value",
      "Invalid base64 image_url."
    ],
    [
      "image_url as a string",
      [{ type: "image_url", image_url: `data:image/png;base64,${png}` }],
      "messages[0].content[0].image_url",
      "invalid_type",
      "expected an object, but got a string instead"
    ],
    [
      "an unknown detail",
      [{ type: "image_url", image_url: { url: `data:image/png;base64,${png}`, detail: "ultra" } }],
      "messages[0].content[0].image_url.detail",
      "invalid_value",
      "Invalid value: 'ultra'"
    ],
    [
      "file data that is not a PDF data URL",
      [{ type: "file", file: { file_data: `data:text/plain;base64,${pdf}`, filename: "a.txt" } }],
      "messages[0].content[0].file.file_data",
      "invalid_value",
      "but got unsupported MIME type 'text/plain'"
    ],
    [
      "file data without a filename",
      [{ type: "file", file: { file_data: `data:application/pdf;base64,${pdf}` } }],
      "messages[0].content[0].file.filename",
      "missing_required_parameter",
      "Missing required parameter"
    ],
    [
      "a file without data or id",
      [{ type: "file", file: { filename: "a.pdf" } }],
      "messages[0].content[0].file.file_id",
      "missing_required_parameter",
      "Missing required parameter"
    ]
  ]
  for (const [name, content, param, code, text] of refusals)
    it(`refuses ${name}`, async () => {
      const answer = await chat(content)
      expect(answer.status).toBe(400)
      expect(openaiError(answer)).toMatchObject({ param, code })
      expect(openaiError(answer).message).toContain(text)
    })

  it("refuses an image in an assistant message, as OpenAI does", async () => {
    const answer = await chat([{ type: "image_url", image_url: { url: `data:image/png;base64,${png}` } }], "assistant")
    expect(answer.status).toBe(400)
    expect(openaiError(answer).message).toBe(
      "Image URLs are only allowed for messages with role 'user', but this message with role 'assistant' contains an image URL."
    )
  })
})

describe("OpenAI simulator: Responses input_image and input_file", () => {
  it("accepts images and files inline and by URL, text files inline, and records them", async () => {
    const answer = await responses([
      { type: "input_image", image_url: `data:image/jpeg;base64,${png}`, detail: "auto" },
      { type: "input_file", file_data: `data:application/pdf;base64,${pdf}`, filename: "a.pdf" },
      { type: "input_file", file_data: `data:text/plain;base64,${pdf}`, filename: "a.txt" },
      { type: "input_file", file_url: "https://example.com/a.pdf" }
    ])
    expect(answer.status).toBe(200)
    expect(openai.requests.at(-1)!.media.map((m) => m.url ?? m.mediaType)).toEqual([
      "image/jpeg",
      "application/pdf",
      "text/plain",
      "https://example.com/a.pdf"
    ])
  })

  it("refuses two sources in one input_file, a file URL that is not http(s), and broken base64", async () => {
    const two = await responses([
      { type: "input_file", file_url: "https://example.com/a.pdf", file_data: `data:application/pdf;base64,${pdf}` }
    ])
    expect(two.status).toBe(400)
    expect(openaiError(two).message).toContain("only one of 'file_id', 'file_url' and 'file_data'")
    const ftp = await responses([{ type: "input_file", file_url: "ftp://example.com/a.pdf" }])
    expect(openaiError(ftp).param).toBe("input[0].content[0].file_url")
    const bad = await responses([{ type: "input_image", image_url: `data:image/png;base64,${broken}` }])
    expect(openaiError(bad)).toMatchObject({
      param: "input[0].content[0].image_url",
      message: "Invalid base64 image_url."
    })
  })
})

// ---- Anthropic -----------------------------------------------------------------------------------------

const messages = (content: ReadonlyArray<unknown>) =>
  post(
    `${anthropic.url}/v1/messages`,
    { "x-api-key": "sk-ant-test" },
    { model: "claude-sonnet-4-6", max_tokens: 100, messages: [{ role: "user", content }] }
  )
const anthropicMessage = (answer: Answer) => (answer.body.error as { message: string }).message

describe("Anthropic simulator: image and document blocks", () => {
  it("accepts base64, url and text sources, with exactly 5 MB of base64 per image, and records them", async () => {
    const atLimit = base64OfSize((5 * 1024 * 1024 * 3) / 4)
    expect(atLimit.length).toBe(5 * 1024 * 1024)
    const answer = await messages([
      { type: "image", source: { type: "base64", media_type: "image/png", data: atLimit } },
      { type: "image", source: { type: "url", url: "https://example.com/cat.png" } },
      { type: "document", source: { type: "base64", media_type: "application/pdf", data: pdf }, title: "Q3" },
      { type: "document", source: { type: "url", url: "https://example.com/a.pdf" } },
      { type: "document", source: { type: "text", media_type: "text/plain", data: "notes" } },
      { type: "text", text: "Look" }
    ])
    expect(answer.status).toBe(200)
    expect(anthropic.requests.at(-1)!.media.map((m) => [m.kind, m.mediaType, m.url, m.text, m.name])).toEqual([
      ["image", "image/png", undefined, undefined, undefined],
      ["image", "", "https://example.com/cat.png", undefined, undefined],
      ["document", "application/pdf", undefined, undefined, "Q3"],
      ["document", "", "https://example.com/a.pdf", undefined, undefined],
      ["document", "text/plain", undefined, "notes", undefined]
    ])
  })

  const refusals: ReadonlyArray<readonly [string, unknown, string]> = [
    [
      "an image of more than 5 MB of base64",
      {
        type: "image",
        source: { type: "base64", media_type: "image/png", data: base64OfSize((5 * 1024 * 1024 * 3) / 4 + 3) }
      },
      "messages.0.content.0.image.source.base64: image exceeds 5 MB maximum: 5242884 bytes > 5242880 bytes"
    ],
    [
      "an image type Anthropic does not read",
      { type: "image", source: { type: "base64", media_type: "image/bmp", data: png } },
      "messages.0.content.0.image.source.base64.media_type: Input should be 'image/jpeg', 'image/png', 'image/gif' or 'image/webp'"
    ],
    [
      "image base64 that does not decode",
      { type: "image", source: { type: "base64", media_type: "image/png", data: broken } },
      "messages.0.content.0.image.source.base64.data: The image data is not valid base64"
    ],
    [
      "an unknown image source type",
      { type: "image", source: { type: "text", media_type: "text/plain", data: "x" } },
      "messages.0.content.0.image.source: Input tag 'text' found using 'type' does not match any of the expected tags: 'base64', 'url', 'file'"
    ],
    [
      "a base64 document that is not a PDF",
      { type: "document", source: { type: "base64", media_type: "text/plain", data: pdf } },
      "messages.0.content.0.document.source.base64.media_type: Input should be 'application/pdf'"
    ],
    [
      "a text source of another media type",
      { type: "document", source: { type: "text", media_type: "text/html", data: "<p>x</p>" } },
      "messages.0.content.0.document.source.text.media_type: Input should be 'text/plain'"
    ],
    [
      "a url source that is not a URL",
      { type: "document", source: { type: "url", url: "not a url" } },
      "messages.0.content.0.document.source.url.url: Input should be a valid URL"
    ]
  ]
  for (const [name, block, message] of refusals)
    it(`refuses ${name}`, async () => {
      const answer = await messages([block, { type: "text", text: "Look" }])
      expect(answer.status).toBe(400)
      expect(answer.body).toMatchObject({ type: "error", error: { type: "invalid_request_error" } })
      expect(anthropicMessage(answer)).toBe(message)
    })
})

// ---- Gemini and Vertex ---------------------------------------------------------------------------------

const google = [
  { name: "Gemini", sim: () => gemini, path: "/v1beta/models/gemini-2.5-flash:generateContent" },
  {
    name: "Vertex",
    sim: () => vertex,
    path: "/v1beta1/projects/acme-prod/locations/us-central1/publishers/google/models/gemini-2.5-flash:generateContent"
  }
] as const

for (const flavor of google) {
  const generate = (parts: ReadonlyArray<unknown>) =>
    post(
      `${flavor.sim().url}${flavor.path}`,
      { "x-goog-api-key": "AIzaSy-raw" },
      { contents: [{ role: "user", parts }] }
    )
  const googleError = (answer: Answer) => answer.body.error as { code: number; status: string; message: string }

  describe(`${flavor.name} simulator: inlineData and fileData parts`, () => {
    it("accepts inline data (camelCase or snake_case, standard or URL-safe base64) and file URIs, and records them", async () => {
      const answer = await generate([
        { text: "Look" },
        { inlineData: { mimeType: "image/png", data: png } },
        { inline_data: { mime_type: "application/pdf", data: Buffer.from(pdf, "base64").toString("base64url") } },
        { fileData: { fileUri: "https://example.com/a.pdf", mimeType: "application/pdf" } },
        { fileData: { fileUri: "gs://bucket/cat.png", mimeType: "image/png" } }
      ])
      expect(answer.status).toBe(200)
      const media = flavor.sim().requests.at(-1)!.media
      expect(media.map((m) => [m.kind, m.mediaType, m.url, m.at])).toEqual([
        ["image", "image/png", undefined, "contents[0].parts[1]"],
        ["document", "application/pdf", undefined, "contents[0].parts[2]"],
        ["document", "application/pdf", "https://example.com/a.pdf", "contents[0].parts[3]"],
        ["image", "image/png", "gs://bucket/cat.png", "contents[0].parts[4]"]
      ])
      expect(Buffer.from(media[1]!.bytes!).toString("base64")).toBe(pdf)
    })

    const refusals: ReadonlyArray<readonly [string, unknown, string]> = [
      [
        "base64 that does not decode",
        { inlineData: { mimeType: "image/png", data: broken } },
        `Invalid value at 'contents[0].parts[0].inline_data.data' (TYPE_BYTES), Base64 decoding failed for "${broken}"`
      ],
      [
        "a MIME type Google does not read",
        { inlineData: { mimeType: "image/bmp", data: png } },
        "Unsupported MIME type: image/bmp"
      ],
      [
        "inline data without a mime type",
        { inlineData: { data: png } },
        "* GenerateContentRequest.contents[0].parts[0].inline_data.mime_type: mime_type is required.\n"
      ],
      [
        "a file URI Google cannot fetch",
        { fileData: { fileUri: "ftp://example.com/a.pdf", mimeType: "application/pdf" } },
        "* GenerateContentRequest.contents[0].parts[0].file_data.file_uri: Invalid or unsupported file uri: ftp://example.com/a.pdf\n"
      ]
    ]
    for (const [name, part, message] of refusals)
      it(`refuses ${name} with INVALID_ARGUMENT`, async () => {
        const answer = await generate([part])
        expect(answer.status).toBe(400)
        expect(googleError(answer)).toMatchObject({ code: 400, status: "INVALID_ARGUMENT", message })
      })
  })
}

// ---- Bedrock -------------------------------------------------------------------------------------------

const converse = (content: ReadonlyArray<unknown>, more: ReadonlyArray<Json> = []) =>
  post(
    `${bedrock.url}/model/${encodeURIComponent("us.anthropic.claude-sonnet-4-5-20250929-v1:0")}/converse`,
    {},
    { messages: [{ role: "user", content }, ...more] }
  )
const document = (name: string, bytes = pdf, format = "pdf") => ({ document: { format, name, source: { bytes } } })
const mb = 1024 * 1024

describe("Bedrock simulator: image and document blocks", () => {
  it("accepts images and documents at Converse's size limits, with S3 locations, and records them", async () => {
    const answer = await converse([
      { text: "Look" },
      { image: { format: "png", source: { bytes: base64OfSize(3.75 * mb) } } },
      document("Q3 report (draft) [v2]", base64OfSize(4.5 * mb)),
      document("notes", Buffer.from("hello").toString("base64"), "txt"),
      { image: { format: "jpeg", source: { s3Location: { uri: "s3://bucket/cat.jpg" } } } }
    ])
    expect(answer.status).toBe(200)
    expect(bedrock.requests.at(-1)!.media.map((m) => [m.kind, m.mediaType, m.name, m.bytes?.length])).toEqual([
      ["image", "image/png", undefined, 3.75 * mb],
      ["document", "application/pdf", "Q3 report (draft) [v2]", 4.5 * mb],
      ["document", "text/plain", "notes", 5],
      ["image", "image/jpeg", undefined, undefined]
    ])
  })

  const refusals: ReadonlyArray<readonly [string, ReadonlyArray<unknown>, string]> = [
    [
      "an image format Converse does not read",
      [{ text: "x" }, { image: { format: "bmp", source: { bytes: png } } }],
      "1 validation error detected: Value 'bmp' at 'messages.1.member.content.2.member.image.format' failed to satisfy constraint: Member must satisfy enum value set: [gif, jpeg, png, webp]"
    ],
    [
      "an image over 3.75 MB",
      [{ text: "x" }, { image: { format: "png", source: { bytes: base64OfSize(3.75 * mb + 1) } } }],
      "The model returned the following errors: messages.0.content.1.image.source: image exceeds max size of 3.75 MB: 3932161 bytes > 3932160 bytes"
    ],
    [
      "a document over 4.5 MB",
      [{ text: "x" }, document("big", base64OfSize(4.5 * mb + 1))],
      "The document file size exceeds the maximum of 4.5 MB: 4718593 bytes (big)"
    ],
    [
      "bytes that are not base64",
      [{ text: "x" }, document("a", broken)],
      "messages.0.content.1.document.source.bytes: the value is not valid base64."
    ],
    [
      "a document name with a dot",
      [{ text: "x" }, document("report.pdf")],
      "1 validation error detected: Value 'report.pdf' at 'messages.1.member.content.2.member.document.name' failed to satisfy constraint: Member must contain only alphanumeric characters, whitespace characters (no more than one in a row), hyphens, parentheses and square brackets"
    ],
    [
      "a document name with two spaces in a row",
      [{ text: "x" }, document("two  spaces")],
      "Member must contain only alphanumeric characters, whitespace characters (no more than one in a row)"
    ],
    [
      "a document name over 200 characters",
      [{ text: "x" }, document("a".repeat(201))],
      "Member must have length between 1 and 200"
    ],
    [
      "a document with a text source",
      [{ text: "x" }, { document: { format: "txt", name: "a", source: { text: "hello" } } }],
      "DocumentSource object at messages.0.content.1.document.source must set one of the following keys: bytes, s3Location."
    ],
    [
      "two documents with one name",
      [{ text: "x" }, document("same"), document("same")],
      "Messages can't contain duplicate document names."
    ],
    ["a document without a text block", [document("alone")], "A text block must be included when using documents."],
    [
      "a document beside a blank text block",
      [{ text: "  " }, document("alone")],
      "A text block must be included when using documents."
    ],
    [
      "six documents",
      [{ text: "x" }, ...["a", "b", "c", "d", "e", "f"].map((name) => document(name))],
      "You can't include more than 5 documents in a request."
    ]
  ]
  for (const [name, content, message] of refusals)
    it(`refuses ${name} with a ValidationException`, async () => {
      const answer = await converse(content)
      expect(answer.status).toBe(400)
      expect(answer.headers.get("x-amzn-errortype")).toMatch(/^ValidationException:/)
      expect(String(answer.body.message)).toContain(message)
    })

  it("refuses a name used again in a later message of the request", async () => {
    const answer = await converse(
      [{ text: "x" }, document("same")],
      [
        { role: "assistant", content: [{ text: "ok" }] },
        { role: "user", content: [{ text: "y" }, document("same")] }
      ]
    )
    expect(answer.status).toBe(400)
    expect(answer.body.message).toBe("Messages can't contain duplicate document names.")
  })
})
