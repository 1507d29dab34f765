/** Images and documents shared by the adapters' media tests (not a test file itself). */

/** A 1x1 PNG. */
export const pngBase64 =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg=="
export const pngBytes = new Uint8Array(Buffer.from(pngBase64, "base64"))

/** A one-page PDF, as bytes and as base64. */
export const pdfBytes = new Uint8Array(
  Buffer.from("%PDF-1.4\n1 0 obj <</Type /Catalog /Pages 2 0 R>> endobj\n2 0 obj <</Type /Page>> endobj\n%%EOF\n")
)
export const pdfBase64 = Buffer.from(pdfBytes).toString("base64")

/** A text file with non-ASCII text, so a wrong decoding shows. */
export const notesText = "Meeting notes: café at 10, budget €1,200.\nNext: ship it."
export const notesBytes = new Uint8Array(Buffer.from(notesText, "utf8"))
export const notesBase64 = Buffer.from(notesBytes).toString("base64")

export const imageUrl = new URL("https://example.com/images/cat.png")
export const pdfUrl = new URL("https://example.com/docs/report.pdf")

/** `size` bytes that are not all zero (a PNG header, then a pattern). */
export const bytesOfSize = (size: number): Uint8Array => {
  const bytes = new Uint8Array(size)
  for (let i = 0; i < size; i++) bytes[i] = i % 251
  bytes.set(pngBytes.subarray(0, Math.min(8, size)))
  return bytes
}
