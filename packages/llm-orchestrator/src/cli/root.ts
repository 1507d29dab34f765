/**
 * The root command and its shared `--config` flag: every subcommand reads it with `yield* root`.
 * The flag falls back to LLM_ORCHESTRATOR_CONFIG, then ./config.yaml.
 */
import { Config } from "effect"
import { Command, Flag } from "effect/cli"

export const defaultConfigPath = "./config.yaml"
export const configPathVariable = "LLM_ORCHESTRATOR_CONFIG"

export const configFlag = Flag.String("config").pipe(
  Flag.withAlias("c"),
  Flag.withMetavar("PATH"),
  Flag.withDescription(`The YAML config file (default: $${configPathVariable}, else ${defaultConfigPath})`),
  Flag.withFallbackConfig(Config.String(configPathVariable)),
  Flag.withDefault(defaultConfigPath)
)

export const root = Command.make("llm-orchestrator").pipe(
  Command.withSharedFlags({ config: configFlag }),
  Command.withDescription(
    "One interface to OpenAI, Anthropic, Gemini, Bedrock and Vertex AI: models, chat, costs, config checks"
  )
)
