/**
 * Optional packages (a provider's SDK, the PostgreSQL ledger) are loaded with an `import()` only when
 * a config needs them, so users of other features never install or load them.
 */
import { Effect } from "effect"
import { ConfigError } from "../errors.ts"

/**
 * Loads `packageName` with `load`. A package that cannot be loaded is a `ConfigError` at `path` (the
 * config key or CLI flag that needs it) naming the package to install and what it is for (`purpose`,
 * e.g. "to use this provider"): a missing package is a setup problem, not a defect.
 */
export const loadOptionalPackage = <A>(
  path: string,
  packageName: string,
  purpose: string,
  load: () => Promise<A>
): Effect.Effect<A, ConfigError> =>
  Effect.tryPromise({
    try: load,
    catch: (cause) => {
      const code = (cause as { code?: unknown } | null)?.code
      const why =
        code === "ERR_MODULE_NOT_FOUND" || code === "MODULE_NOT_FOUND"
          ? "is not installed"
          : `cannot be loaded (${cause instanceof Error ? cause.message : String(cause)})`
      return ConfigError.fromProblems([
        { path, message: `the \`${packageName}\` package ${why}: install it (npm install ${packageName}) ${purpose}` }
      ])
    }
  })
