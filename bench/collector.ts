/** An OTLP/HTTP collector stand-in for the telemetry benches (bench/telemetry.ts, bench/profile.ts). */
import { type ChildProcess, spawn } from "node:child_process"

/** The collector stand-in: a child process counting the spans and metric exports it receives. */
const collectorSource = `
const http = require("node:http")
let spans = 0, metricExports = 0
const server = http.createServer((req, res) => {
  const chunks = []
  req.on("data", (c) => chunks.push(c))
  req.on("end", () => {
    if (req.url === "/v1/traces") {
      const body = JSON.parse(Buffer.concat(chunks).toString("utf8"))
      for (const rs of body.resourceSpans ?? []) for (const ss of rs.scopeSpans ?? []) spans += (ss.spans ?? []).length
    } else if (req.url === "/v1/metrics") metricExports += 1
    res.writeHead(200, { "content-type": "application/json" }).end("{}")
  })
})
server.listen(0, "127.0.0.1", () => process.send({ port: server.address().port }))
process.on("message", () => process.send({ spans, metricExports }))
`

export const startCollector = async () => {
  const child: ChildProcess = spawn(process.execPath, ["-e", collectorSource], {
    stdio: ["ignore", "ignore", "inherit", "ipc"]
  })
  const port = await new Promise<number>((resolve) =>
    child.once("message", (m) => resolve((m as { port: number }).port))
  )
  return {
    url: `http://127.0.0.1:${port}`,
    counts: () =>
      new Promise<{ spans: number; metricExports: number }>((resolve) => {
        child.once("message", (m) => resolve(m as { spans: number; metricExports: number }))
        child.send("counts")
      }),
    stop: () => child.kill()
  }
}
