/**
 * Recorded real provider exchanges (see cassettes/README.md): loading them, and turning one into a
 * simulator reply so the real SDKs can replay it.
 */
import { readdirSync, readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import type { CassetteReply } from "./simulator/script.ts"

export type CassetteFolder = "openai-chat" | "openai-responses" | "anthropic" | "gemini" | "vertex" | "bedrock"

export interface Cassette {
  /** File name without `.json`. */
  readonly name: string
  readonly folder: CassetteFolder
  readonly source: string
  readonly request: {
    readonly method: string
    readonly host: string
    readonly path: string
    readonly query: string
    readonly body: unknown
  }
  readonly response: {
    readonly status: number
    readonly headers: Readonly<Record<string, string>>
    readonly body?: string
    readonly bodyBase64?: string
  }
}

export const cassettesDirectory = fileURLToPath(new URL("../cassettes/", import.meta.url))

/**
 * How many exchanges each folder holds (at least). Every test that loops over a folder goes through
 * `loadCassettes`, so a folder emptied or half-copied fails loudly instead of a loop that tests nothing.
 * Raise a number when recordings are added.
 */
export const minimumCassettes: Readonly<Record<CassetteFolder, number>> = {
  "openai-chat": 22,
  "openai-responses": 72,
  anthropic: 37,
  gemini: 46,
  vertex: 4,
  bedrock: 44
}

export const loadCassettes = (folder: CassetteFolder): ReadonlyArray<Cassette> =>
  readCassetteFolder(join(cassettesDirectory, folder), folder, minimumCassettes[folder])

/** The exchanges of one folder, sorted by name; fails when it holds fewer than `minimum`. */
export const readCassetteFolder = (dir: string, folder: CassetteFolder, minimum: number): ReadonlyArray<Cassette> => {
  const files = readdirSync(dir)
    .filter((file) => file.endsWith(".json"))
    .sort()
  if (files.length < minimum)
    throw new Error(
      `cassette folder ${dir} holds ${files.length} recorded exchange(s), expected at least ${minimum}: restore the recordings (packages/testing/cassettes)`
    )
  return files.map((file) => {
    const raw = JSON.parse(readFileSync(join(dir, file), "utf8")) as Omit<Cassette, "name" | "folder">
    return { ...raw, name: file.slice(0, -".json".length), folder }
  })
}

/** Whether the recorded response is a stream (SSE or AWS event stream). */
export const isStreamingCassette = (cassette: Cassette): boolean => {
  const type = cassette.response.headers["content-type"] ?? ""
  return type.includes("text/event-stream") || type.includes("vnd.amazon.eventstream")
}

/** The recorded response, served as is by any simulator. */
export const cassetteReply = (cassette: Cassette): CassetteReply => ({
  kind: "cassette",
  status: cassette.response.status,
  headers: { "content-type": cassette.response.headers["content-type"] ?? "application/json" },
  ...(cassette.response.body !== undefined ? { body: cassette.response.body } : {}),
  ...(cassette.response.bodyBase64 !== undefined ? { bodyBase64: cassette.response.bodyBase64 } : {})
})

/** Applies `edit` to every usage object (`usage`, `usageMetadata`) inside one recorded JSON document. */
const editUsage = (value: unknown, edit: (usage: Record<string, unknown>) => void): void => {
  if (typeof value !== "object" || value === null) return
  for (const [key, child] of Object.entries(value)) {
    if ((key === "usage" || key === "usageMetadata") && typeof child === "object" && child !== null)
      edit(child as Record<string, unknown>)
    else editUsage(child, edit)
  }
}

/**
 * A recorded exchange whose usage counters are edited, everything else as recorded: for what the
 * recordings lack (1-hour cache writes, Gemini's tool-use prompt tokens). JSON and SSE bodies only;
 * `edit` sees every usage object of the body (each stream event's too) and changes it in place.
 */
export const withEditedUsage = (
  cassette: Cassette,
  name: string,
  edit: (usage: Record<string, unknown>) => void
): Cassette => {
  const editJson = (text: string) => {
    const parsed = JSON.parse(text) as unknown
    editUsage(parsed, edit)
    return JSON.stringify(parsed)
  }
  const body = cassette.response.body ?? ""
  const edited = isStreamingCassette(cassette)
    ? body.replace(/^data: ?(\{.*\})[ \t]*$/gm, (_line, json: string) => `data: ${editJson(json)}`)
    : editJson(body)
  return { ...cassette, name, response: { ...cassette.response, body: edited } }
}
