/**
 * The per-chunk cost of the Stream shapes the stream path uses, without any network: an async
 * generator of N events (what an SDK iterator looks like once its bytes have arrived) consumed by
 * a plain for-await (the floor), by `Stream.fromAsyncIterable` (one Effect async step per chunk), with
 * the orchestrator's `Stream.map` + `Stream.flattenIterable` on top, and by a pump that drains the
 * iterator in plain JS into a queue the stream reads in batches (`Stream.callback`), and `streamSdk`
 * itself (that pump with its bounded feed and timers, as every provider adapter runs it).
 *
 * `npx pnpm@12.21.0 exec node bench/stream-micro.ts [chunks] [rounds]`
 */
import { emptyUsage } from "@llm-orchestrator/core"
import { Effect, Queue, Stream } from "effect"
import { streamSdk } from "../packages/providers/src/kit/call.ts"
import { median } from "./stats.ts"

const chunks = Number(process.argv[2] ?? 200)
const rounds = Number(process.argv[3] ?? 300)

interface Delta {
  readonly _tag: "TextDelta"
  readonly text: string
}

async function* source(): AsyncGenerator<Delta> {
  for (let i = 0; i < chunks; i++) {
    // What an SDK iterator does between chunks: resolve after a microtask.
    await undefined
    yield { _tag: "TextDelta", text: `w${i} ` }
  }
}

const toPublic = (event: Delta): ReadonlyArray<Delta> => (event.text === "" ? [] : [event])

/** Pulls the whole iterator in plain JS, pushing each event into the stream's queue (batched reads). */
const pumped = <A>(iterable: AsyncIterable<A>): Stream.Stream<A, Error> =>
  Stream.callback<A, Error>((queue) =>
    Effect.sync(() => {
      void (async () => {
        try {
          for await (const item of iterable) Queue.offerUnsafe(queue, item)
          Queue.endUnsafe(queue)
        } catch (error) {
          Queue.failCauseUnsafe(queue, { _tag: "Fail", error } as never)
        }
      })()
    })
  )

let sink = 0
const shapes: Record<string, () => Promise<void>> = {
  "for await (floor)": async () => {
    for await (const event of source()) sink += event.text.length
  },
  "Stream.fromAsyncIterable": () =>
    Effect.runPromise(
      Stream.runForEach(
        Stream.fromAsyncIterable(source(), (e) => e as Error),
        (e) => Effect.sync(() => (sink += e.text.length))
      )
    ),
  "+ map + flattenIterable (orchestrator today)": () =>
    Effect.runPromise(
      Stream.fromAsyncIterable(source(), (e) => e as Error).pipe(
        Stream.map(toPublic),
        Stream.flattenIterable,
        Stream.runForEach((e) => Effect.sync(() => (sink += e.text.length)))
      )
    ),
  "+ filter (array-level, no inner stream)": () =>
    Effect.runPromise(
      Stream.fromAsyncIterable(source(), (e) => e as Error).pipe(
        Stream.filter((e) => e.text !== ""),
        Stream.runForEach((e) => Effect.sync(() => (sink += e.text.length)))
      )
    ),
  "streamSdk (the adapters' pump, bounded feed)": () =>
    Effect.runPromise(
      Stream.runForEach(
        streamSdk(
          { provider: "openai", model: "bench", timeoutMs: 600_000, idleTimeoutMs: 60_000 },
          async () => source(),
          (e) => e as never,
          () => ({
            onChunk: (delta: Delta) => [delta],
            onEnd: () => ({ _tag: "ProviderFinish", finishReason: "stop", usage: emptyUsage, model: "bench" })
          })
        ),
        (e) => Effect.sync(() => (sink += e._tag === "TextDelta" ? e.text.length : 0))
      )
    ),
  "pump into Stream.callback (batched)": () =>
    Effect.runPromise(
      pumped(source()).pipe(
        Stream.map(toPublic),
        Stream.flattenIterable,
        Stream.runForEach((e) => Effect.sync(() => (sink += e.text.length)))
      )
    ),
  "pump + filter": () =>
    Effect.runPromise(
      pumped(source()).pipe(
        Stream.filter((e) => e.text !== ""),
        Stream.runForEach((e) => Effect.sync(() => (sink += e.text.length)))
      )
    )
}

const names = Object.keys(shapes)
for (const name of names) for (let i = 0; i < 50; i++) await shapes[name]!()
const samples = new Map<string, Array<number>>(names.map((name) => [name, []]))
for (let round = 0; round < rounds; round++) {
  for (let k = 0; k < names.length; k++) {
    const name = names[(round + k) % names.length]!
    const start = performance.now()
    await shapes[name]!()
    samples.get(name)!.push(((performance.now() - start) * 1000) / chunks)
  }
}
console.log(`${chunks} chunks, ${rounds} rounds, Node ${process.version}: us per chunk (median)`)
for (const [name, values] of samples) console.log(`  ${median(values).toFixed(2).padStart(6)}  ${name}`)
if (sink < 0) console.log(sink)
