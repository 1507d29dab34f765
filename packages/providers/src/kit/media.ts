/**
 * Images and files as every adapter needs them: which parts are media, their bytes as base64 text or
 * as bytes (each converted once, only where a wire form needs the other one), data URLs, a text file's
 * UTF-8 text, and the refusal of media a provider's API cannot take. Core validation has already checked
 * media types, base64 shape, the 20 MB inline limit and URL schemes: nothing here checks them again.
 */
import { type ContentPart, type FilePart, type ImagePart, InvalidRequestError } from "@llm-orchestrator/core"
import type { CallContext } from "./call.ts"

export type MediaPart = ImagePart | FilePart

export const isMediaPart = (part: ContentPart): part is MediaPart => part.type === "image" || part.type === "file"

/** Whether a message's content holds an image or a file (a plain string never does). */
export const hasMedia = (content: string | ReadonlyArray<ContentPart>): content is ReadonlyArray<ContentPart> =>
  typeof content !== "string" && content.some(isMediaPart)

/** A view of the bytes as a Buffer, without copying them. */
const asBuffer = (bytes: Uint8Array): Buffer => Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength)

/** Inline data as base64 text: a string already is; bytes are encoded. */
export const base64Of = (data: string | Uint8Array): string =>
  typeof data === "string" ? data : asBuffer(data).toString("base64")

/** Inline data as bytes: base64 text is decoded; bytes are themselves. */
export const bytesOf = (data: string | Uint8Array): Uint8Array =>
  typeof data === "string" ? Buffer.from(data, "base64") : data

/** The decoded size of inline data, without decoding base64 text (core checked its shape). */
export const byteLengthOf = (data: string | Uint8Array): number =>
  typeof data === "string"
    ? (data.length / 4) * 3 - (data.endsWith("==") ? 2 : data.endsWith("=") ? 1 : 0)
    : data.byteLength

/** `data:<mediaType>;base64,<base64>`, the form OpenAI takes inline media in. */
export const dataUrl = (mediaType: string, data: string | Uint8Array): string =>
  `data:${mediaType};base64,${base64Of(data)}`

/** A text/plain file's content as UTF-8 text. */
export const textOf = (data: string | Uint8Array): string =>
  typeof data === "string" ? Buffer.from(data, "base64").toString("utf8") : asBuffer(data).toString("utf8")

/** Sizes in the unit the providers' limits are written in (MB of 1,048,576 bytes). */
export const megabytes = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(2)} MB`

/** Which part a refusal is about, by its place in the request: "image at messages[1].content[2]". */
export const mediaWhere = (part: MediaPart, messageIndex: number, partIndex: number): string =>
  `${part.type === "image" ? "image" : `file (${part.mediaType})`} at messages[${messageIndex}].content[${partIndex}]`

/** Media the provider's API cannot take: a typed error before any network call, saying what to do. */
export const unsupportedMediaError = (ctx: CallContext, what: string, fix: string): InvalidRequestError =>
  new InvalidRequestError({
    provider: ctx.provider,
    model: ctx.model,
    message: `${ctx.provider} model ${ctx.model}: ${what}; ${fix}`
  })
