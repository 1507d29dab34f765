/**
 * No secret ever leaves the library: every provider is configured with the fleet's recognisable fake
 * keys (plus a Bedrock session token), every error path is run (each fault on each provider, plain and
 * streamed, with the provider ECHOING the key in its error message, as OpenAI's 401 does), then the
 * errors (message, JSON, String, util.inspect, Cause.pretty), the responses, the loaded config, the
 * cost log, debug logs at level All, and the stdout/stderr of the CLI and the demo are searched for the
 * keys. The simulators must have received the keys (headers, a valid SigV4 signature), so the test
 * would notice a configuration that silently dropped them.
 */
import { spawn } from "node:child_process"
import { readFileSync } from "node:fs"
import { join } from "node:path"
import { fileURLToPath } from "node:url"
import { inspect } from "node:util"
import { bedrockType, openaiType } from "@llm-orchestrator/providers"
import {
  type FaultKind,
  type FleetProvider,
  fleetCredentials,
  type SimulatorFleet,
  startSimulatorFleet
} from "@llm-orchestrator/testing"
import { Cause, Effect, Exit, Layer, Logger, ManagedRuntime, Redacted, References, Stream } from "effect"
import {
  createOrchestrator,
  type LLMError,
  LLMOrchestrator,
  layerFromConfig,
  loadConfig,
  parseConfig,
  settingsOf
} from "llm-orchestrator"
import { afterAll, beforeAll, describe, expect, it } from "vitest"
import {
  activeModels,
  guardUnhandledRejections,
  providers,
  reliabilityYaml,
  writeReliabilityConfig
} from "./reliability-support.ts"
import { checkSigV4 } from "./sigv4-support.ts"
import { tempDir, user } from "./support.ts"

guardUnhandledRejections()

const sessionToken = "IQoJsimulator-session-token-0000000000"
const secrets: ReadonlyArray<string> = [...Object.values(fleetCredentials), sessionToken]
// Recognisable pieces too: a half-masked key ("sk-simulator-op...") is still a leak.
const fragments = [
  "simulator-openai",
  "ant-simulator",
  "simulator-gemini",
  "simulator-vertex",
  "ASIMULATOR",
  "secret/access",
  "session-token"
]
const bedrockExtra = `    session_token: ${JSON.stringify(sessionToken)}`

/** Every text a user could see, with where it came from. */
const exposed: Array<{ readonly where: string; readonly text: string }> = []
const expose = (where: string, value: unknown) => {
  exposed.push({ where: `${where} (inspect)`, text: inspect(value, { depth: null, showHidden: true }) })
  exposed.push({ where: `${where} (String)`, text: String(value) })
  try {
    exposed.push({ where: `${where} (JSON)`, text: JSON.stringify(value) ?? "" })
  } catch {
    // cyclic values cannot be JSON; inspect covered them
  }
}
const leaksIn = (text: string) => [...secrets, ...fragments].filter((s) => text.includes(s))
const leaks = () =>
  exposed.flatMap(({ where, text }) => leaksIn(text).map((secret) => `${where} contains ${secret}`)).slice(0, 20)

const faults: ReadonlyArray<FaultKind> = [
  "rate-limit",
  "overloaded",
  "server-error",
  "unavailable",
  "auth",
  "permission",
  "model-not-found",
  "context-length",
  "invalid-request",
  "content-filter"
]

/** The provider's own key, as a careless provider (or proxy) would echo it back in an error message. */
const keysOf: Record<FleetProvider, ReadonlyArray<string>> = {
  openai: [fleetCredentials.openai],
  anthropic: [fleetCredentials.anthropic],
  gemini: [fleetCredentials.gemini],
  vertex: [fleetCredentials.vertex],
  bedrock: [fleetCredentials.bedrockAccessKeyId, fleetCredentials.bedrockSecretAccessKey, sessionToken]
}
const echo = (provider: FleetProvider) => `Incorrect API key provided: ${keysOf[provider].join(" / ")}. Check it.`

let fleet: SimulatorFleet
beforeAll(async () => {
  fleet = await startSimulatorFleet()
})
afterAll(async () => {
  await fleet?.close()
})

/** The simulators saw each provider's credentials on the wire (a header, or a SigV4 signature). */
const expectKeysReceived = (provider: FleetProvider) => {
  const calls = fleet[provider].requests
  expect(calls.length).toBeGreaterThan(0)
  for (const call of calls) {
    switch (provider) {
      case "openai":
        expect(call.headers.authorization).toBe(`Bearer ${fleetCredentials.openai}`)
        break
      case "anthropic":
        // The 1.x SDK sends the key as a bearer token; older ones used x-api-key.
        expect(call.headers["x-api-key"] ?? call.headers.authorization).toMatch(
          new RegExp(`^(Bearer )?${fleetCredentials.anthropic}$`)
        )
        break
      case "gemini":
      case "vertex":
        expect(call.headers["x-goog-api-key"]).toBe(fleetCredentials[provider])
        break
      case "bedrock":
        expect(call.headers["x-amz-security-token"]).toBe(sessionToken)
        expect(checkSigV4(call, fleetCredentials.bedrockSecretAccessKey)).toEqual({
          accessKeyId: fleetCredentials.bedrockAccessKeyId,
          valid: true
        })
    }
  }
  // And a wrong secret would not have produced those signatures: the check can fail.
  if (provider === "bedrock") expect(checkSigV4(calls[0]!, "not-the-secret").valid).toBe(false)
}

describe("secrets never leak", () => {
  it("the loaded config holds the keys as Redacted and prints none of them", async () => {
    const path = writeReliabilityConfig(fleet, { bedrockExtra })
    const fromText = await Effect.runPromise(parseConfig(reliabilityYaml(fleet, { bedrockExtra })))
    const fromFile = await Effect.runPromise(loadConfig(path))
    for (const config of [fromText, fromFile]) {
      expose("config", config)
      expose("config.providers", config.providers)
      const bedrock = settingsOf(config.providers, "bedrock", bedrockType)!
      expect(Redacted.value(settingsOf(config.providers, "openai", openaiType)!.apiKey)).toBe(fleetCredentials.openai)
      expect(Redacted.value(bedrock.sessionToken!)).toBe(sessionToken)
      expect(Redacted.value(bedrock.secretAccessKey!)).toBe(fleetCredentials.bedrockSecretAccessKey)
    }
    expect(leaks()).toEqual([])
  })

  for (const provider of providers) {
    it(`${provider}: every fault, plain and streamed, through Effect and the Promise facade, with debug logs`, async () => {
      exposed.length = 0
      fleet[provider].reset()
      const logged: Array<string> = []
      const capture = Logger.make((options) => {
        logged.push(Logger.formatJson.log(options))
        logged.push(inspect(options.message, { depth: null }))
        logged.push(Cause.pretty(options.cause))
      })
      const dir = tempDir("llm-orchestrator-secrets-")
      const logPath = join(dir, "costs.jsonl")
      const yaml = reliabilityYaml(fleet, {
        activeProvider: provider,
        costLogPath: logPath,
        bedrockExtra,
        noFallback: true,
        timeout: "400ms",
        extraYaml: "retry:\n  max_attempts: 1"
      })
      const config = await Effect.runPromise(parseConfig(yaml))
      const runtime = ManagedRuntime.make(
        Layer.mergeAll(
          layerFromConfig(config),
          Logger.layer([capture]),
          Layer.succeed(References.MinimumLogLevel)("All")
        )
      )
      const facade = await createOrchestrator(config)
      const sim = fleet[provider]
      const model = activeModels[provider]
      const errors: Array<string> = []
      const run = async (label: string, effect: Effect.Effect<unknown, LLMError, LLMOrchestrator>) => {
        const exit = await runtime.runPromiseExit(
          effect.pipe(
            Effect.tap((value) => Effect.logDebug("answer", value)),
            Effect.tapCause((cause) => Effect.logError(`${label} failed`, cause)),
            Effect.tapError((error) => Effect.logDebug(error))
          )
        )
        expose(`${label} exit`, exit)
        if (Exit.isFailure(exit)) {
          const error = Cause.squash(exit.cause) as LLMError
          errors.push(`${label}: ${error._tag}`)
          expose(`${label} error`, error)
          exposed.push({ where: `${label} error.message`, text: error.message })
          exposed.push({ where: `${label} Cause.pretty`, text: Cause.pretty(exit.cause) })
          exposed.push({ where: `${label} stack`, text: (error as Error).stack ?? "" })
        }
      }
      const sendPlain = LLMOrchestrator.use((llm) => llm.sendRequest(user("hello")))
      const sendStream = LLMOrchestrator.use((llm) => Stream.runCollect(llm.sendStreamingRequest(user("hello"))))
      try {
        for (const fault of faults) {
          const message = fault === "content-filter" ? undefined : echo(provider)
          const reply = { kind: "error", fault, ...(message ? { message } : {}) } as const
          sim.scriptModel(model, reply)
          await run(`${fault} plain`, sendPlain)
          sim.scriptModel(model, reply)
          await run(`${fault} stream`, sendStream)
          // The facade: a rejected promise and a rejected iteration.
          sim.scriptModel(model, reply, reply)
          const rejection = await facade.sendRequest(user("hello")).then(
            () => undefined,
            (error: unknown) => error
          )
          expose(`${fault} facade rejection`, rejection)
          const iteration = await (async () => {
            for await (const event of facade.streamEvents(user("hello"))) expose("facade event", event)
          })().then(
            () => undefined,
            (error: unknown) => error
          )
          expose(`${fault} facade stream rejection`, iteration)
        }
        for (const errorFault of faults)
          for (const fault of ["error-event"] as const) {
            sim.scriptModel(model, { kind: "stream-fault", text: "a b c d", afterChunks: 2, fault, errorFault })
            await run(`mid-stream ${errorFault}`, sendStream)
          }
        for (const fault of ["drop", "malformed", "hang"] as const) {
          sim.scriptModel(model, { kind: "stream-fault", text: "a b c d", afterChunks: 2, fault })
          await run(`stream ${fault}`, sendStream)
          sim.scriptModel(model, { kind: "stream-fault", text: "a b c d", afterChunks: 2, fault })
          await run(`plain ${fault}`, sendPlain)
        }
        // Successful calls: the response and the stream's events.
        await run("success plain", sendPlain)
        await run("success stream", sendStream)
        expose("facade response", await facade.sendRequest(user("hello")))
        expose("models", await facade.getAvailableModels(provider))
        expose("cost report", await facade.getCostReport())
      } finally {
        await facade.close()
        await runtime.dispose()
      }
      // Every fault really failed, so every error path was taken. Bedrock's guardrail answers 200 with
      // its canned text, and a Google stream blocked after some text ends with finishReason SAFETY:
      // content-filter finishes WITH text, so responses rather than errors.
      const answered =
        provider === "bedrock"
          ? ["content-filter plain", "content-filter stream"]
          : provider === "gemini" || provider === "vertex"
            ? ["mid-stream content-filter"]
            : []
      const expectedFailures = [
        ...faults.flatMap((f) => [`${f} plain`, `${f} stream`]),
        ...faults.map((f) => `mid-stream ${f}`),
        ...["drop", "malformed", "hang"].flatMap((f) => [`stream ${f}`, `plain ${f}`])
      ].filter((label) => !answered.includes(label))
      expect(errors.map((e) => e.split(":")[0])).toEqual(expectedFailures)
      expect(errors.every((e) => /: [A-Za-z]+Error$/.test(e))).toBe(true)
      exposed.push({ where: "cost log", text: readFileSync(logPath, "utf8") })
      exposed.push(...logged.map((text) => ({ where: "debug log", text })))
      // The debug log really saw the errors (a logger that captured nothing would prove nothing).
      expect(logged.some((line) => line.includes("auth plain failed"))).toBe(true)
      expect(leaks()).toEqual([])
      expectKeysReceived(provider)
    })
  }
})

// ---- The CLI and the demo, as separate processes ----------------------------------------------------

const repoRoot = fileURLToPath(new URL("..", import.meta.url))

interface ProcessRun {
  readonly code: number | null
  readonly stdout: string
  readonly stderr: string
}

const runNode = (args: ReadonlyArray<string>, env: Readonly<Record<string, string>> = {}): Promise<ProcessRun> =>
  new Promise((resolve, reject) => {
    const child = spawn(process.execPath, args, {
      cwd: repoRoot,
      env: { ...process.env, LLM_ORCHESTRATOR_CONFIG: "", ...env },
      stdio: ["ignore", "pipe", "pipe"]
    })
    let stdout = ""
    let stderr = ""
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => {
      stdout += chunk
    })
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      stderr += chunk
    })
    child.once("error", reject)
    child.once("close", (code) => resolve({ code, stdout, stderr }))
  })

const cli = "packages/llm-orchestrator/src/bin/cli.ts"

describe("secrets never reach a terminal", () => {
  it("the CLI: check, models, chat (streamed, JSON, every provider, an auth error echoing the key), costs, at log level all", async () => {
    const dir = tempDir("llm-orchestrator-secrets-cli-")
    const logPath = join(dir, "costs.jsonl")
    const path = writeReliabilityConfig(fleet, { costLogPath: logPath, bedrockExtra }, dir)
    for (const p of providers) fleet[p].reset()
    const runs: Array<[string, ProcessRun]> = []
    const cliRun = async (args: ReadonlyArray<string>, env?: Readonly<Record<string, string>>) => {
      const result = await runNode([cli, ...args], env)
      runs.push([args.join(" "), result])
      return result
    }
    const logLevel = ["--log-level", "all"]
    const [check, checkFlag, models] = await Promise.all([
      cliRun(["check", path, ...logLevel]),
      cliRun(["check", "--config", path, ...logLevel]),
      cliRun(["models", "--config", path, ...logLevel])
    ])
    expect([check.code, checkFlag.code, models.code], check.stderr + models.stderr).toEqual([0, 0, 0])
    // One provider per process at a time (each has its own simulator script), providers in parallel.
    await Promise.all(
      providers.map(async (p) => {
        const chat = await cliRun(["chat", "hi", "--provider", p, "--config", path, ...logLevel], {
          // The SDKs' own debug logging, which prints requests, must not print keys either.
          ANTHROPIC_LOG: "debug",
          OPENAI_LOG: "debug"
        })
        expect(chat.code, chat.stderr).toBe(0)
        expect(chat.stdout).toContain(p)
        fleet[p].scriptModel(activeModels[p], { kind: "error", fault: "auth", message: echo(p) })
        const failed = await cliRun(["chat", "hi", "--no-stream", "--provider", p, "--config", path, ...logLevel])
        expect(failed.code).toBe(1)
        expect(failed.stderr).toContain("AuthenticationError")
      })
    )
    expect((await cliRun(["chat", "hi", "--json", "--no-stream", "--config", path, ...logLevel])).code).toBe(0)
    const costs = await cliRun(["costs", logPath, "--config", path, ...logLevel])
    expect(costs.code).toBe(0)
    expect(costs.stdout).toContain("openai")
    const found = runs.flatMap(([args, r]) =>
      leaksIn(r.stdout + r.stderr).map((secret) => `\`${args}\` printed ${secret}`)
    )
    expect(found).toEqual([])
    expect(leaksIn(readFileSync(logPath, "utf8"))).toEqual([])
    for (const p of providers) expectKeysReceived(p)
  }, 120_000)

  it("the demo with --config", async () => {
    const dir = tempDir("llm-orchestrator-secrets-demo-")
    const logPath = join(dir, "costs.jsonl")
    const path = writeReliabilityConfig(fleet, { costLogPath: logPath, bedrockExtra }, dir)
    for (const p of providers) fleet[p].reset()
    // A rate limit echoing the key on the way, so the demo's fallback table has an error to show.
    fleet.openai.scriptModel("gpt-4o-mini", { kind: "error", fault: "rate-limit", message: echo("openai") })
    const demo = await runNode(["examples/demo.ts", "--config", path])
    expect(demo.code, demo.stderr).toBe(0)
    expect(demo.stdout).toContain("RateLimitError")
    expect(leaksIn(demo.stdout + demo.stderr)).toEqual([])
    expect(leaksIn(readFileSync(logPath, "utf8"))).toEqual([])
    expectKeysReceived("openai")
  }, 120_000)
})
