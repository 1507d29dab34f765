/**
 * Images and PDFs with the Promise facade: a user message carries an image and a PDF after its text,
 * as bytes read from disk (a `URL` the provider fetches itself works too). Each adapter puts them on
 * the wire in its provider's own form; under a budget each counts in the request's worst case.
 *
 *   pnpm example images                                                   # against the local simulators
 *   npx -y pnpm@12.21.0 exec node examples/images.ts my-config.yaml photo.png report.pdf   # against real providers
 */
import { readFileSync } from "node:fs"
import { basename } from "node:path"
import { createOrchestrator } from "llm-orchestrator"
import { usd } from "./format.ts"

export interface ImagesContext {
  readonly configPath: string
  readonly imagePath: string
  readonly pdfPath: string
}

const imageTypes = { ".png": "image/png", ".jpg": "image/jpeg", ".jpeg": "image/jpeg", ".webp": "image/webp" } as const

export const main = async ({ configPath, imagePath, pdfPath }: ImagesContext): Promise<void> => {
  const extension = imagePath.slice(imagePath.lastIndexOf(".")).toLowerCase() as keyof typeof imageTypes
  const mediaType = imageTypes[extension]
  if (mediaType === undefined) throw new Error(`${imagePath}: give a .png, .jpg or .webp image`)
  const llm = await createOrchestrator(configPath)
  try {
    const response = await llm.sendRequest({
      messages: [
        {
          role: "user",
          content: [
            { type: "text", text: "Does the photo show what the report describes? Answer in one sentence." },
            { type: "image", data: new Uint8Array(readFileSync(imagePath)), mediaType },
            {
              type: "file",
              data: new Uint8Array(readFileSync(pdfPath)),
              mediaType: "application/pdf",
              filename: basename(pdfPath)
            }
          ]
        }
      ]
    })
    console.log(response.content)
    console.log(
      `${response.provider}/${response.model}: ${response.usage.inputTokens} input tokens (text, image and PDF), ${response.usage.outputTokens} output; cost ${usd(response.cost?.total)}`
    )
  } finally {
    await llm.close()
  }
}

if (import.meta.main) {
  const [configPath = "config.yaml", imagePath, pdfPath] = process.argv.slice(2)
  if (imagePath === undefined || pdfPath === undefined) {
    console.error("usage: node examples/images.ts <config.yaml> <image.png|jpg|webp> <document.pdf>")
    process.exitCode = 2
  } else await main({ configPath, imagePath, pdfPath })
}
