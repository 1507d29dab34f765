/**
 * What the HTTP transport under an SDK costs: the same OpenAI chat request sent with Node's `fetch`
 * (every SDK's default transport) and with undici's `request` (the library `fetch` is built on, without
 * its WHATWG layer), from one process, arms shuffled every round, sequential or 64 concurrent. Prints
 * the median wall time and whole-process CPU per request.
 *
 * `npx pnpm@12.21.0 exec node bench/transport.ts [seq|c64] [rounds]`
 */
import { request } from "undici"
import { benchModels, startSimulatorProcess } from "./simulator-server.ts"
import { fmt, median, shuffled } from "./stats.ts"

const mode = process.argv[2] === "seq" ? "seq" : "c64"
const rounds = Number(process.argv[3] ?? 12)
const perRound = mode === "seq" ? 300 : 1_500

const { urls, stop } = await startSimulatorProcess()
const url = `${urls.openai}/v1/chat/completions`
const body = JSON.stringify({
  model: benchModels.openai.active,
  messages: [{ role: "user", content: "Write two hundred words, please." }],
  max_completion_tokens: 256
})
const headers = { "content-type": "application/json", authorization: "Bearer sk-bench-openai-000000000000" }

// Node's fetch first, so its own dispatcher is the global one (undici, loaded first, would install its own).
const arms: Record<string, () => Promise<unknown>> = {
  "Node's fetch": async () => (await fetch(url, { method: "POST", body, headers })).json(),
  "undici's request": async () => (await request(url, { method: "POST", body, headers })).body.json()
}

const runRound = async (task: () => Promise<unknown>) => {
  let left = perRound
  const lanes = mode === "seq" ? 1 : 64
  await Promise.all(
    Array.from({ length: lanes }, async () => {
      while (left-- > 0) await task()
    })
  )
}

try {
  const names = Object.keys(arms)
  const samples = Object.fromEntries(
    names.map((name) => [name, { wallUs: [] as Array<number>, cpuUs: [] as Array<number> }])
  )
  for (const name of names) await runRound(arms[name]!)
  for (let round = 0; round < rounds; round++) {
    for (const name of shuffled(names)) {
      const cpuBefore = process.cpuUsage()
      const start = performance.now()
      await runRound(arms[name]!)
      const cpu = process.cpuUsage(cpuBefore)
      samples[name]!.wallUs.push(((performance.now() - start) * 1000) / perRound)
      samples[name]!.cpuUs.push((cpu.user + cpu.system) / perRound)
    }
  }
  console.log(
    `${mode === "seq" ? "sequential" : "64 concurrent"}, ${rounds} rounds x ${perRound}, Node ${process.version}`
  )
  for (const name of names)
    console.log(
      `${name.padEnd(18)} wall ${fmt(median(samples[name]!.wallUs)).padStart(7)} us/request, CPU ${fmt(median(samples[name]!.cpuUs)).padStart(7)} us/request`
    )
} finally {
  await stop()
}
