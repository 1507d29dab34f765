/**
 * The root command and its shared `--config` flag: every subcommand reads it with `yield* root`.
 * The flag falls back to LLM_ORCHESTRATOR_CONFIG, then ./llm-orchestrator.yaml (as `createOrchestrator()`).
 */
import { Config } from "effect"
import { Command, Flag } from "effect/cli"
import { configPathVariable, defaultConfigFile } from "../config.ts"

export const configFlag = Flag.String("config").pipe(
  Flag.withAlias("c"),
  Flag.withMetavar("PATH"),
  Flag.withDescription(`The YAML config file (default: $${configPathVariable}, else ${defaultConfigFile})`),
  Flag.withFallbackConfig(Config.String(configPathVariable)),
  Flag.withDefault(defaultConfigFile)
)

export const root = Command.make("llm-orchestrator").pipe(
  Command.withSharedFlags({ config: configFlag }),
  Command.withDescription(
    "One interface to OpenAI, Anthropic, Gemini, Bedrock and Vertex AI: models, chat, costs, config checks"
  )
)
