/**
 * effect/ai on the orchestrator: an effect/ai program, written as effect/ai documents it, runs on any
 * of the five providers with the fallback chain and cost tracking. A Toolkit with two handlers (Chat
 * runs the steps), `generateObject` with a Schema, and `streamText` whose active model fails before
 * its first token, so the stream comes whole from the next provider in the chain.
 *
 *   pnpm example effect-ai                                  # simulators: Anthropic fails the stream, Gemini answers
 *   npx -y pnpm@12.21.0 exec node examples/effect-ai.ts my-config.yaml     # real providers
 *
 * The config's relevant part:
 *
 *   active_provider: anthropic
 *   fallback:
 *     chain: [{ provider: gemini, model: gemini-2.5-flash }]
 */
import { NodeRuntime } from "@effect/platform-node"
import { OrchestratorLanguageModel, orchestratorMetadata } from "@llm-orchestrator/effect-ai"
import { Console, Effect, Layer, Schema, Stream } from "effect"
import { Chat, LanguageModel, Tool, Toolkit } from "effect/ai"
import { LLMOrchestrator } from "llm-orchestrator"
import { usd } from "./format.ts"

export interface EffectAiContext {
  readonly configPath: string
}

const GetWeather = Tool.make("get_weather", {
  description: "The current temperature in a city, in degrees Celsius",
  parameters: Schema.Struct({ city: Schema.String }),
  success: Schema.Struct({ celsius: Schema.Number })
})
const GetTime = Tool.make("get_time", {
  description: "The local time in a city",
  parameters: Schema.Struct({ city: Schema.String }),
  success: Schema.String
})
const CityTools = Toolkit.make(GetWeather, GetTime)
const CityHandlers = CityTools.toLayer({
  get_weather: ({ city }) =>
    Console.log(`tool get_weather(${city})`).pipe(Effect.as({ celsius: city === "Paris" ? 21 : 9 })),
  get_time: ({ city }) => Console.log(`tool get_time(${city})`).pipe(Effect.as(`14:05 in ${city}`))
})

const Trip = Schema.Struct({ city: Schema.String, days: Schema.Number, pack: Schema.Array(Schema.String) })

/** Who answered, after how many tries, at what cost: the orchestrator's part of every answer. */
const answeredBy = (source: Parameters<typeof orchestratorMetadata>[0]): string => {
  const meta = orchestratorMetadata(source)
  return meta === undefined
    ? "unknown"
    : `${meta.provider}/${meta.model} (${meta.attempts.length} attempt${meta.attempts.length === 1 ? "" : "s"}, ${usd(meta.cost?.total ?? undefined)})`
}

const program = Effect.gen(function* () {
  // A Toolkit with handlers: Chat keeps the history, each turn runs the tools the model called.
  const chat = yield* Chat.empty
  let turn = yield* chat.generateText({
    prompt: "Is it warm in Paris, and what time is it in Oslo?",
    toolkit: CityTools
  })
  for (let step = 1; turn.toolCalls.length > 0 && step < 5; step++)
    turn = yield* chat.generateText({ prompt: [], toolkit: CityTools })
  yield* Console.log(`answer: ${turn.text}`)
  yield* Console.log(`  answered by ${answeredBy(turn)}`)

  // generateObject: the Schema is the response format, the answer decoded with it.
  const trip = yield* LanguageModel.generateObject({ prompt: "Plan a short trip to Paris.", schema: Trip })
  yield* Console.log(`object: ${JSON.stringify(trip.value)}`)

  // streamText: the active model fails before its first token; the chain's next provider streams it all.
  const parts = yield* LanguageModel.streamText({ prompt: "A haiku about fallback." }).pipe(
    Stream.tap((part) => (part.type === "text-delta" ? Console.log(`  | ${part.delta}`) : Effect.void)),
    Stream.runCollect
  )
  yield* Console.log(`stream answered by ${answeredBy(parts)}`)
  const llm = yield* LLMOrchestrator
  yield* Console.log(`session cost: ${usd(yield* llm.getSessionCost)}`)
})

/** The effect/ai LanguageModel over the orchestrator; the program also reads the orchestrator itself. */
const layerFor = (configPath: string) =>
  Layer.mergeAll(OrchestratorLanguageModel.layer(), CityHandlers).pipe(
    Layer.provideMerge(LLMOrchestrator.layerFromFile(configPath))
  )

export const main = ({ configPath }: EffectAiContext): Promise<void> =>
  Effect.runPromise(program.pipe(Effect.provide(layerFor(configPath))))

if (import.meta.main) program.pipe(Effect.provide(layerFor(process.argv[2] ?? "config.yaml")), NodeRuntime.runMain)
