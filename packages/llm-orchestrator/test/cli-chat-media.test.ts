/**
 * `llm-orchestrator chat --image PATH --file PATH` against the simulator fleet: the files reach the wire
 * as the provider's image and document parts after the prompt's text, their media types from their
 * extensions; an unknown extension or a missing file is a usage error before any request.
 */
import { writeFileSync } from "node:fs"
import type { SimulatorFleet } from "@llm-orchestrator/testing"
import { startSimulatorFleet } from "@llm-orchestrator/testing"
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest"
import { runCli, tempDir } from "./cli-support.ts"

const png = Buffer.from("89504e470d0a1a0a0000000d4948445200000001000000010806000000", "hex")
const pdf = Buffer.from("%PDF-1.4\n1 0 obj << /Type /Page >>\n%%EOF\n")

describe("llm-orchestrator chat with images and files", { timeout: 60_000 }, () => {
  let fleet: SimulatorFleet
  let dir: ReturnType<typeof tempDir>
  let config: string
  beforeAll(async () => {
    fleet = await startSimulatorFleet()
    dir = tempDir()
    config = dir.file("config.yaml", fleet.configYaml({ costLogPath: `${dir.path}/costs.jsonl` }))
    writeFileSync(`${dir.path}/cat.PNG`, png)
    writeFileSync(`${dir.path}/invoice.pdf`, pdf)
    writeFileSync(`${dir.path}/notes.txt`, "buy milk")
  })
  afterAll(async () => {
    await fleet.close()
    dir.cleanup()
  })
  afterEach(() => fleet.openai.reset())

  const chatBody = () =>
    fleet.openai.requests.filter((r) => r.kind !== "models").at(-1)!.body as {
      messages: Array<{ role: string; content: unknown }>
    }

  it("the prompt, then each image and file, in the provider's own parts", async () => {
    fleet.openai.script({ kind: "text", text: "A cat and an invoice." })
    const result = await runCli([
      "chat",
      "What are these?",
      "--config",
      config,
      "--image",
      `${dir.path}/cat.PNG`,
      "--file",
      `${dir.path}/invoice.pdf`,
      "--file",
      `${dir.path}/notes.txt`
    ])
    expect(result.code, result.stderr).toBe(0)
    expect(result.stdout).toBe("A cat and an invoice.\n")
    expect(chatBody().messages.at(-1)).toEqual({
      role: "user",
      content: [
        { type: "text", text: "What are these?" },
        { type: "image_url", image_url: { url: `data:image/png;base64,${png.toString("base64")}` } },
        {
          type: "file",
          file: { file_data: `data:application/pdf;base64,${pdf.toString("base64")}`, filename: "invoice.pdf" }
        },
        { type: "text", text: "buy milk" }
      ]
    })
  })

  it("a file whose extension names no media type, or that does not exist, is a usage error (exit 2) before any request", async () => {
    const bmp = dir.file("cat.bmp", "BM")
    for (const [flag, file, message] of [
      ["--image", bmp, "the extension must be one of .png, .jpg, .jpeg, .gif, .webp"],
      ["--file", `${dir.path}/cat.PNG`, "the extension must be one of .pdf, .txt"],
      ["--image", `${dir.path}/missing.png`, "ENOENT"]
    ] as const) {
      const result = await runCli(["chat", "hi", "--config", config, flag, file])
      expect(result.code, file).toBe(2)
      expect(result.stderr, file).toContain(`${flag} ${file}: `)
      expect(result.stderr, file).toContain(message)
    }
    expect(fleet.openai.requests.filter((r) => r.kind !== "models")).toHaveLength(0)
  })
})
