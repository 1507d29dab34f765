/**
 * `pnpm simulate -- --write-config <path>`: starts the five provider simulators on 127.0.0.1, writes
 * a config pointing the orchestrator at them, prints `ready`, and runs until interrupted.
 */
import { writeFileSync } from "node:fs"
import { resolve } from "node:path"
import { parseArgs } from "node:util"
import { startSimulatorFleet } from "../fleet.ts"

const { values } = parseArgs({
  args: process.argv.slice(2).filter((arg) => arg !== "--"),
  options: {
    "write-config": { type: "string" },
    "cost-log": { type: "string" },
    active: { type: "string" },
    help: { type: "boolean", short: "h" }
  }
})
if (values.help) {
  console.log(
    "usage: npx -y pnpm@12.21.0 simulate -- [--write-config <path>] [--cost-log <path>] [--active <provider>]"
  )
  process.exit(0)
}
const providers = ["openai", "anthropic", "gemini", "bedrock", "vertex"] as const
const active = providers.find((p) => p === values.active)
if (values.active && !active) {
  console.error(`--active must be one of ${providers.join(", ")}`)
  process.exit(2)
}
const fleet = await startSimulatorFleet()
const yaml = fleet.configYaml({
  ...(active ? { activeProvider: active } : {}),
  ...(values["cost-log"] ? { costLogPath: resolve(values["cost-log"]) } : {})
})
if (values["write-config"]) writeFileSync(values["write-config"], yaml)
for (const sim of [fleet.openai, fleet.anthropic, fleet.gemini, fleet.vertex, fleet.bedrock])
  console.log(`${sim.protocol.padEnd(10)} ${sim.url}`)
if (values["write-config"]) console.log(`config written to ${resolve(values["write-config"])}`)
console.log("ready")
const stop = () => void fleet.close().then(() => process.exit(0))
process.on("SIGINT", stop)
process.on("SIGTERM", stop)
