/**
 * The install check (`pnpm test:install`, run by CI; README "Install"): what a user gets from the
 * published packages, outside this workspace.
 *
 * 1. `pnpm pack` of each package (its `prepack` builds it), as `pnpm publish` would upload them.
 * 2. A fresh app installed with npm: the tarballs (not the testing package's or the ledger's), `effect` and `openai`
 *    only (an OpenAI-only app).
 * 3. On each supported Node (the lowest, 22, and 24): the README's two quick starts, copied from the
 *    README as written, run against the OpenAI simulator and must print an answer and a cost (and write
 *    the cost log); the `llm-orchestrator` command runs `check`; a config naming Anthropic, whose SDK
 *    the app lacks, fails with a ConfigError naming the package to install.
 * 4. `tsc --noEmit` of the app with nodenext and with bundler resolution, library checks on.
 * Prints the app's `node_modules` size (the README's install section quotes it).
 */
import { type ChildProcess, execFileSync, spawn, spawnSync } from "node:child_process"
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs"
import { tmpdir } from "node:os"
import { dirname, join } from "node:path"

const root = join(import.meta.dirname, "..", "..")
const work = mkdtempSync(join(tmpdir(), "install-check-"))
const tarballs = join(work, "tarballs")
const app = join(work, "app")
const packages = ["core", "cost", "providers", "llm-orchestrator", "effect-ai", "ledger", "testing"] as const
// The lowest supported Node (engines ">=22.19") and the current one, fetched from the npm registry.
const nodes = ["node@22", "node@24"] as const

let failures = 0
const check = (ok: boolean, what: string, detail = "") => {
  console.log(`${ok ? "ok  " : "FAIL"} ${what}${ok || detail === "" ? "" : `\n${detail}`}`)
  if (!ok) failures++
}
const run = (command: string, args: ReadonlyArray<string>, cwd: string, env: NodeJS.ProcessEnv = process.env) =>
  spawnSync(command, args, { cwd, env, encoding: "utf8", timeout: 300_000 })

/** The ```ts block under a README heading, as a user would copy it. */
const readmeBlock = (heading: string): string => {
  const readme = readFileSync(join(root, "README.md"), "utf8")
  const start = readme.indexOf(`## ${heading}\n`)
  const code = readme.slice(start).match(/```ts\n([\s\S]*?)```/)
  if (start < 0 || code?.[1] === undefined) throw new Error(`README has no \`ts\` block under "## ${heading}"`)
  return code[1]
}

/** Starts the simulator fleet from the workspace and resolves with the OpenAI simulator's URL. */
const startSimulator = (): Promise<{ readonly url: string; readonly process: ChildProcess }> =>
  new Promise((resolve, reject) => {
    const sim = spawn(process.execPath, [join(root, "packages/testing/src/bin/simulate.ts")], { cwd: work })
    let out = ""
    sim.stdout.on("data", (chunk: Buffer) => {
      out += chunk.toString()
      const url = out.match(/^openai\s+(\S+)$/m)?.[1]
      if (url !== undefined && out.includes("ready")) resolve({ url, process: sim })
    })
    sim.on("exit", (code) => reject(new Error(`simulate exited with ${code}: ${out}`)))
  })

try {
  // 1. Pack, as a release would.
  mkdirSync(tarballs)
  for (const name of packages) {
    const packed = run(
      "npx",
      ["-y", "pnpm@12.21.0", "pack", "--pack-destination", tarballs],
      join(root, "packages", name)
    )
    check(packed.status === 0, `pnpm pack ${name}`, packed.stderr + packed.stdout)
  }
  const files = readdirSync(tarballs).map((file) => join(tarballs, file))
  for (const file of files) {
    const listing = execFileSync("tar", ["tzf", file], { encoding: "utf8" }).split("\n")
    const has = (path: string) => listing.includes(`package/${path}`)
    check(
      has("README.md") && has("LICENSE") && has("dist/index.js") && has("dist/index.d.ts"),
      `${file.split("/").at(-1)} holds README.md, LICENSE and the built dist/`
    )
    check(!listing.some((path) => path.includes("tsbuildinfo")), `${file.split("/").at(-1)} holds no build info`)
    const manifest = JSON.parse(execFileSync("tar", ["xzOf", file, "package/package.json"], { encoding: "utf8" }))
    check(!JSON.stringify(manifest).includes("workspace:"), `${manifest.name}'s manifest has no workspace: ranges`)
    check(
      manifest.peerDependencies?.effect !== undefined && manifest.dependencies?.effect === undefined,
      `${manifest.name} takes effect as a peer dependency (one copy, the app's)`
    )
    check(manifest.engines?.node === ">=22.19", `${manifest.name} asks for Node >=22.19, as the README says`)
  }

  // 2. A fresh OpenAI-only app, installed with npm outside the workspace.
  mkdirSync(app)
  writeFileSync(join(app, "package.json"), JSON.stringify({ name: "app", private: true, type: "module" }))
  // The testing package and the ledger are packed (and checked) above, but are separate installs an app
  // does not need (the ledger brings a PostgreSQL driver).
  const appTarballs = files.filter(
    (file) => !file.includes("llm-orchestrator-testing-") && !file.includes("llm-orchestrator-ledger-")
  )
  const install = run(
    "npm",
    ["install", "--no-audit", "--no-fund", ...appTarballs, "effect", "openai", "@types/node@24"],
    app
  )
  check(install.status === 0, "npm install of the tarballs, effect and openai", install.stderr)
  const installed = (name: string) => existsSync(join(app, "node_modules", name, "package.json"))
  const unwanted = [
    "@anthropic-ai/sdk",
    "@google/genai",
    "@aws-sdk/client-bedrock-runtime",
    "@llm-orchestrator/testing",
    "@llm-orchestrator/ledger",
    "pg"
  ]
  check(
    !unwanted.some(installed),
    "the app holds no other provider's SDK, no testing package and no ledger",
    `installed: ${unwanted.filter(installed).join(", ")}`
  )
  console.log(`app node_modules: ${execFileSync("du", ["-sh", "node_modules"], { cwd: app, encoding: "utf8" }).trim()}`)

  // 3. The quick starts on each supported Node, against the OpenAI simulator.
  const sim = await startSimulator()
  try {
    const config = (provider: string, model: string) =>
      [
        `active_provider: ${provider}`,
        `active_model: ${model}`,
        "providers:",
        `  ${provider}:`,
        '    api_key: "sk-install-check-0000"',
        `    base_url: "${provider === "openai" ? `${sim.url}/v1` : sim.url}"`,
        "cost_tracking:",
        "  log_path: ./costs.jsonl",
        ""
      ].join("\n")
    writeFileSync(join(app, "llm-orchestrator.yaml"), config("openai", "gpt-4o-mini"))
    writeFileSync(join(app, "anthropic.yaml"), config("anthropic", "claude-sonnet-4-6"))
    writeFileSync(join(app, "promise-quick-start.ts"), readmeBlock("Quick start: Promises"))
    writeFileSync(join(app, "effect-quick-start.ts"), readmeBlock("Quick start: Effect"))
    writeFileSync(
      join(app, "missing-sdk.ts"),
      [
        'import { createOrchestrator } from "llm-orchestrator"',
        'await createOrchestrator("anthropic.yaml").then(',
        '  () => console.log("loaded"),',
        "  (error) => console.log(error._tag, error.message)",
        ")",
        ""
      ].join("\n")
    )
    for (const node of nodes) {
      // npm's copy of that Node first on PATH, so `#!/usr/bin/env node` in the bin finds it too.
      const nodeBin = dirname(run("npx", ["-y", "-p", node, "-c", "command -v node"], app).stdout.trim())
      const env = { ...process.env, PATH: `${nodeBin}:${process.env.PATH}` }
      const version = run("node", ["--version"], app, env).stdout.trim()
      for (const quickStart of ["promise-quick-start.ts", "effect-quick-start.ts"]) {
        rmSync(join(app, "costs.jsonl"), { force: true })
        const result = run("node", [quickStart], app, env)
        const records = existsSync(join(app, "costs.jsonl"))
          ? readFileSync(join(app, "costs.jsonl"), "utf8").trim().split("\n")
          : []
        // The cost each quick start prints is the first call's, as the cost log recorded it.
        const loggedCost = records[0] === undefined ? undefined : String(JSON.parse(records[0]).cost?.total)
        check(
          result.status === 0 && records.length >= 2 && loggedCost !== undefined && result.stdout.includes(loggedCost),
          `Node ${version}: ${quickStart} prints an answer and its cost and logs ${records.length} cost records`,
          result.stdout + result.stderr
        )
      }
      const cli = run(join(app, "node_modules/.bin/llm-orchestrator"), ["check", "llm-orchestrator.yaml"], app, env)
      check(
        cli.status === 0,
        `Node ${version}: the llm-orchestrator command checks the config`,
        cli.stdout + cli.stderr
      )
      const missing = run("node", ["missing-sdk.ts"], app, env)
      check(
        missing.stdout.startsWith("ConfigError") && missing.stdout.includes("npm install @anthropic-ai/sdk"),
        `Node ${version}: a config naming Anthropic without its SDK fails with a ConfigError naming it`,
        missing.stdout + missing.stderr
      )
    }
  } finally {
    sim.process.kill()
  }

  // 4. The app type-checks against the published types, with each resolution users pick.
  writeFileSync(
    join(app, "types-probe.ts"),
    [
      'import { createOrchestrator, type ChatResponse } from "llm-orchestrator"',
      "const llm = await createOrchestrator()",
      "const response: ChatResponse = await llm.sendRequest({ messages: [] })",
      "// Typed, not `any`: a string is not a number.",
      "// @ts-expect-error",
      "const wrong: number = response.content",
      "console.log(wrong)",
      ""
    ].join("\n")
  )
  const resolutions = { nodenext: { module: "nodenext" }, bundler: { module: "preserve", moduleResolution: "bundler" } }
  for (const [name, options] of Object.entries(resolutions)) {
    writeFileSync(
      join(app, `tsconfig.${name}.json`),
      JSON.stringify({
        compilerOptions: {
          ...options,
          target: "es2023",
          strict: true,
          noEmit: true,
          allowImportingTsExtensions: true,
          skipLibCheck: false,
          types: ["node"]
        },
        include: ["*.ts"]
      })
    )
    const tsc = run(join(root, "node_modules/.bin/tsc"), ["-p", `tsconfig.${name}.json`], app)
    check(tsc.status === 0, `tsc --noEmit with ${name} resolution`, tsc.stdout + tsc.stderr)
  }
} finally {
  rmSync(work, { recursive: true, force: true })
}
console.log(failures === 0 ? "install check passed" : `install check: ${failures} failed`)
process.exit(failures === 0 ? 0 : 1)
