/**
 * What the simulators share to read images and documents in a request: strict base64 (what the real
 * APIs decode), data URLs (OpenAI's inline form) and http(s) URLs. Each simulator checks its own wire
 * shapes and limits with these and lists what arrived as `SeenMedia` (script.ts).
 */

const base64Shape = /^[A-Za-z0-9+/]*={0,2}$/
const base64UrlShape = /^[A-Za-z0-9_-]*={0,2}$/

/**
 * The bytes of base64 text, or undefined when it does not decode: the standard alphabet, padded to a
 * multiple of 4 (`urlSafe`: Google's protobuf JSON also takes the URL-safe alphabet, padding optional).
 */
export const decodeBase64 = (text: unknown, urlSafe = false): Buffer | undefined => {
  if (typeof text !== "string" || text.length === 0) return undefined
  if (base64Shape.test(text) && text.length % 4 === 0) return Buffer.from(text, "base64")
  if (urlSafe && base64UrlShape.test(text) && text.replace(/=+$/, "").length % 4 !== 1)
    return Buffer.from(text, "base64url")
  return undefined
}

/** `data:<mediaType>;base64,<data>`, split; undefined for anything else. */
export const parseDataUrl = (url: string): { readonly mediaType: string; readonly data: string } | undefined => {
  const match = /^data:([^;,]*);base64,(.*)$/s.exec(url)
  return match ? { mediaType: match[1] ?? "", data: match[2] ?? "" } : undefined
}

/** An absolute http or https URL. */
export const isHttpUrl = (value: unknown): boolean => {
  if (typeof value !== "string") return false
  try {
    const url = new URL(value)
    return url.protocol === "http:" || url.protocol === "https:"
  } catch {
    return false
  }
}

export const megabytes = (bytes: number): string => `${(bytes / (1024 * 1024)).toFixed(2)} MB`
