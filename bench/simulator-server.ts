/**
 * The simulators the benchmark talks to, in their own process so their CPU time never lands in the
 * measured client. Prints one JSON line `{ "openai": url, "anthropic": url }` once listening, then serves
 * until killed (SIGTERM/SIGINT) or until its parent closes stdin.
 *
 * Replies are chosen by model (no per-request scripting across processes): every model answers with the
 * same 200-chunk text, except the `failing` models, which always answer 503, the `tools` models,
 * which answer with one tool call whose arguments JSON comes in 200 deltas, and the `spread` and `slow`
 * models, whose deltas come some milliseconds apart.
 * Run alone: `npx pnpm@12.21.0 exec node bench/simulator-server.ts`.
 */
import { type ChildProcess, spawn } from "node:child_process"
import { createInterface } from "node:readline"
import { type Reply, type Simulator, startAnthropicSimulator, startOpenAISimulator } from "@llm-orchestrator/testing"

/** Where the simulator process listens, as it prints on its first line. */
export interface SimulatorUrls {
  readonly openai: string
  readonly anthropic: string
}

export interface SimulatorProcess {
  readonly urls: SimulatorUrls
  /** SIGTERM, then wait for the process to exit. */
  readonly stop: () => Promise<void>
}

/** Starts this file as a child process (the bench scripts measure their own process alone). */
export const startSimulatorProcess = async (): Promise<SimulatorProcess> => {
  const child: ChildProcess = spawn(process.execPath, [import.meta.filename], { stdio: ["pipe", "pipe", "inherit"] })
  const lines = createInterface({ input: child.stdout! })
  const first = await new Promise<string>((resolve, reject) => {
    lines.once("line", resolve)
    child.once("exit", (code) => reject(new Error(`the simulator process exited (${code}) before listening`)))
  })
  lines.close()
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return
    const exited = new Promise((resolve) => child.once("exit", resolve))
    child.kill("SIGTERM")
    await exited
  }
  return { urls: JSON.parse(first) as SimulatorUrls, stop }
}

/**
 * Models the bench asks for; `failing` always gets a 503, so the orchestrator falls back to `active`;
 * `tools` answers with the tool call below (also the steady-state config's fallback, which never runs);
 * `spread` sends its deltas `spreadChunkMs` apart, `slow` waits before its first byte too.
 */
export const benchModels = {
  openai: { active: "gpt-4o-mini", failing: "gpt-4.1", tools: "gpt-4o", slow: "gpt-4.1-nano", spread: "gpt-4.1-mini" },
  anthropic: {
    active: "claude-sonnet-4-6",
    failing: "claude-opus-4-6",
    tools: "claude-haiku-4-5-20251001",
    spread: "claude-3-haiku-20240307"
  }
} as const

export const streamChunks = 200
/** 200 words of five characters: one word per stream delta. */
export const replyText = Array.from({ length: streamChunks }, (_, i) => `w${String(i).padStart(3, "0")} `).join("")

/** The function the `tools` models call. */
export const benchToolName = "show_text"

/**
 * The call's arguments: `{ text }`, the reply text padded with spaces so that its JSON (1,200 characters)
 * splits into exactly `streamChunks` deltas (the simulators cut it into pieces of ceil(length / chunks)).
 */
export const toolArguments = (() => {
  const length = JSON.stringify({ text: replyText }).length
  const piece = Math.ceil(length / streamChunks)
  return { text: replyText + " ".repeat(piece * streamChunks - length) }
})()

const failing = new Set<string>([benchModels.openai.failing, benchModels.anthropic.failing])
const tools = new Set<string>([benchModels.openai.tools, benchModels.anthropic.tools])
const usage = { inputTokens: 12, outputTokens: streamChunks }

const unavailable: Reply = {
  kind: "error",
  fault: "unavailable",
  status: 503,
  message: "The bench simulator is unavailable for this model."
}
const textReply: Reply = { kind: "text", text: replyText, chunks: streamChunks, usage }
/** No text: the answer is the one call (finish reason "tool-calls"). */
const toolReply: Reply = {
  kind: "text",
  text: "",
  toolCalls: [{ name: benchToolName, arguments: toolArguments, argumentsChunks: streamChunks }],
  usage
}

/**
 * The memory scenario's model (bench/run.ts `inFlightHeap`): the answer waits `slowFirstByteMs`, then
 * its stream deltas come `slowChunkMs` apart, so many requests and streams are open at once.
 */
export const slowFirstByteMs = 1_500
export const slowChunkMs = 10
const slowReply: Reply = { ...textReply, firstByteDelayMs: slowFirstByteMs, chunkDelayMs: slowChunkMs }

/**
 * The spread-out streams' model (bench/run.ts `spreadStreams`): each delta its own network write, as a
 * model streaming tokens as it makes them sends them, rather than the whole answer in one burst.
 */
export const spreadChunkMs = 2
const spreadReply: Reply = { ...textReply, chunkDelayMs: spreadChunkMs }
const spread = new Set<string>([benchModels.openai.spread, benchModels.anthropic.spread])

const reply = (model: string): Reply =>
  failing.has(model)
    ? unavailable
    : tools.has(model)
      ? toolReply
      : model === benchModels.openai.slow
        ? slowReply
        : spread.has(model)
          ? spreadReply
          : textReply

const main = async () => {
  const simulators: Array<Simulator> = await Promise.all([
    startOpenAISimulator({ defaultReply: reply }),
    startAnthropicSimulator({ defaultReply: reply })
  ])
  const [openai, anthropic] = simulators
  // The simulator records every request; the bench sends hundreds of thousands, so forget them regularly.
  const forget = setInterval(() => {
    for (const sim of simulators) sim.requests.length = 0
  }, 500)
  let closing = false
  const close = async () => {
    if (closing) return
    closing = true
    clearInterval(forget)
    await Promise.all(simulators.map((sim) => sim.close()))
    process.exit(0)
  }
  process.on("SIGTERM", close)
  process.on("SIGINT", close)
  // The parent holds our stdin open: when it goes away (even killed), so do we.
  process.stdin.on("end", close)
  process.stdin.on("close", close)
  process.stdin.resume()
  process.stdout.write(`${JSON.stringify({ openai: openai!.url, anthropic: anthropic!.url, pid: process.pid })}\n`)
}

if (import.meta.main) void main()
