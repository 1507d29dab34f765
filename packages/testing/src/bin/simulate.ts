/**
 * `pnpm simulate -- --write-config <path>`: starts the five provider simulators on 127.0.0.1, writes
 * a config pointing the orchestrator at them, prints `ready`, and runs until interrupted.
 * `--fault PROVIDER:MODEL=STATUS[,retry-after=S]` (repeatable) makes every request for that model
 * fail with that HTTP status in the provider's own error form, to watch retry and fallback.
 */
import { writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { parseArgs } from "node:util"
import { type FleetProvider, fleetProviders, startSimulatorFleet } from "../fleet.ts"
import type { ErrorReply, FaultKind } from "../simulator/script.ts"

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    "write-config": { type: "string" },
    "cost-log": { type: "string" },
    active: { type: "string" },
    fault: { type: "string", multiple: true },
    help: { type: "boolean", short: "h" }
  }
})
if (values.help) {
  console.log(
    "usage: npx -y pnpm@12.21.0 simulate -- [--write-config <path>] [--cost-log <path>] [--active <provider>]\n" +
      "         [--fault PROVIDER:MODEL=STATUS[,retry-after=SECONDS]]...   e.g. --fault openai:gpt-4o-mini=429,retry-after=2"
  )
  process.exit(0)
}
const active = fleetProviders.find((p) => p === values.active)
if (values.active && !active) {
  console.error(`--active must be one of ${fleetProviders.join(", ")}`)
  process.exit(2)
}

/** Each status as the fault the provider answers it with (its own error body and type). */
const faultOfStatus: Readonly<Record<number, FaultKind>> = {
  400: "invalid-request",
  401: "auth",
  403: "permission",
  404: "model-not-found",
  429: "rate-limit",
  500: "server-error",
  503: "unavailable",
  529: "overloaded"
}
const faults = (values.fault ?? []).map((spec) => {
  const match = /^([a-z]+):(.+)=(\d{3})(?:,retry-after=(\d+))?$/.exec(spec)
  const provider = fleetProviders.find((p) => p === match?.[1])
  const status = Number(match?.[3])
  if (!match || !provider || status < 400 || status > 599) {
    console.error(
      `--fault ${spec}: expected PROVIDER:MODEL=STATUS[,retry-after=SECONDS] with PROVIDER one of ` +
        `${fleetProviders.join(", ")} and STATUS 400-599, e.g. openai:gpt-4o-mini=429,retry-after=2`
    )
    process.exit(2)
  }
  const reply: ErrorReply = {
    kind: "error",
    fault: faultOfStatus[status] ?? "server-error",
    status,
    ...(match[4] !== undefined ? { retryAfterSeconds: Number(match[4]) } : {})
  }
  return { provider: provider as FleetProvider, model: match[2] as string, reply }
})
const fleet = await startSimulatorFleet()
for (const { provider, model, reply } of faults) fleet[provider].failModel(model, reply)
const yaml = fleet.configYaml({
  ...(active ? { activeProvider: active } : {}),
  ...(values["cost-log"] ? { costLogPath: resolve(values["cost-log"]) } : {})
})
if (values["write-config"]) writeFileSync(values["write-config"], yaml)
for (const sim of [fleet.openai, fleet.anthropic, fleet.gemini, fleet.vertex, fleet.bedrock])
  console.log(`${sim.protocol.padEnd(10)} ${sim.url}`)
for (const { provider, model, reply } of faults)
  console.log(
    `fault      ${provider} ${model}: every request answered ${reply.status}` +
      (reply.retryAfterSeconds !== undefined ? ` with retry-after ${reply.retryAfterSeconds} s` : "")
  )
if (values["write-config"]) console.log(`config written to ${resolve(values["write-config"])}`)
console.log("ready")
const stop = () => void fleet.close().then(() => process.exit(0))
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
