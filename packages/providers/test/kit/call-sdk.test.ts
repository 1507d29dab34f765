/**
 * `callSdk` and `listPages`, the plumbing under every non-streamed provider call and every model
 * listing, driven by scripted promises instead of an SDK: the per-attempt timeout (and no timer at
 * all without one), what a throwing SDK or error mapper becomes, and how a listing stops.
 */
import { describe, expect, it } from "@effect/vitest"
import { type LLMError, NetworkError } from "@llm-orchestrator/core"
import { Cause, Effect, Exit, Fiber } from "effect"
import { type CallContext, callSdk, type ListingPage, listPages, sdkTimeoutMs } from "../../src/kit/call.ts"

const ctx: CallContext = { provider: "openai", model: "gpt-4o-mini" }
const mapError = (error: unknown): LLMError =>
  new NetworkError({ provider: "openai", model: "gpt-4o-mini", message: `mapped: ${String(error)}` })

/** An SDK call that answers `value` after `ms`, or rejects at once when its signal is aborted (as every SDK here does). */
const answerAfter =
  <A>(ms: number, value: A) =>
  ({ signal }: AbortController): Promise<A> =>
    new Promise((resolve, reject) => {
      const timer = setTimeout(() => resolve(value), ms)
      signal.addEventListener("abort", () => {
        clearTimeout(timer)
        reject(new Error("aborted"))
      })
    })

/** Node's count of pending, ref'd timers (the kind that keeps a process alive). */
const pendingTimers = () => process.getActiveResourcesInfo().filter((kind) => kind === "Timeout").length

describe("callSdk", () => {
  it.live("without a per-attempt timeout a slow call is waited for: no timer is armed", () =>
    Effect.gen(function* () {
      expect(yield* callSdk(ctx, answerAfter(40, "late"), mapError)).toBe("late")
    })
  )

  it.live("a call slower than the per-attempt timeout is aborted and fails with the TimeoutError naming the key", () =>
    Effect.gen(function* () {
      let signal: AbortSignal | undefined
      const error = yield* Effect.flip(
        callSdk(
          { ...ctx, timeoutMs: 30 },
          (call) => {
            signal = call.signal
            return answerAfter(5_000, "never")(call)
          },
          mapError
        )
      )
      expect(signal!.aborted).toBe(true)
      expect(error).toMatchObject({ _tag: "TimeoutError", timeoutMs: 30 })
      expect(error.message).toBe(
        "openai model gpt-4o-mini did not answer within 30 ms (providers.openai.timeout); raise providers.openai.timeout if this model is that slow, or set it to none"
      )
    })
  )

  it.live("an interrupted call is aborted and leaves no timer behind", () =>
    Effect.gen(function* () {
      let signal: AbortSignal | undefined
      const before = pendingTimers()
      const fiber = yield* Effect.forkChild(
        callSdk(
          { ...ctx, timeoutMs: 60_000 },
          ({ signal: s }) => {
            signal = s
            return new Promise<string>(() => {})
          },
          mapError
        )
      )
      yield* Effect.yieldNow
      expect(pendingTimers()).toBe(before + 1)
      yield* Fiber.interrupt(fiber)
      expect(signal!.aborted).toBe(true)
      expect(pendingTimers()).toBe(before)
    })
  )

  it.live("an SDK that throws instead of returning its promise fails with the mapped error", () =>
    Effect.gen(function* () {
      const error = yield* Effect.flip(
        callSdk(
          ctx,
          () => {
            throw new Error("bad arguments")
          },
          mapError
        )
      )
      expect(error.message).toBe("mapped: Error: bad arguments")
    })
  )

  it.live("an error mapper that throws is a defect carrying what it threw, not a hang", () =>
    Effect.gen(function* () {
      const bug = new Error("mapper bug")
      const exit = yield* Effect.exit(
        callSdk(
          ctx,
          () => Promise.reject(new Error("HTTP 500")),
          () => {
            throw bug
          }
        )
      )
      expect(Exit.isFailure(exit) && Cause.squash(exit.cause)).toBe(bug)
    })
  )
})

describe("sdkTimeoutMs", () => {
  it("an SDK's own timeout is ours, or the longest a Node timer allows when ours is off (never the SDK's default)", () => {
    expect(sdkTimeoutMs(30_000)).toBe(30_000)
    expect(sdkTimeoutMs(undefined)).toBe(2_147_483_647)
  })
})

describe("listPages", () => {
  /** A listing whose page `n` (1-based) is `pages[n - 1]`: its items and its next cursor. */
  const pagesOf =
    (pages: ReadonlyArray<ListingPage<string, string>>) =>
    async (cursor: string | undefined): Promise<ListingPage<string, string>> =>
      pages[cursor === undefined ? 0 : Number(cursor)]!
  const limits = { maxPages: 3, maxModels: 4 }

  it.effect("reads every page while each names the next, in order, up to exactly the limits", () =>
    Effect.gen(function* () {
      const fetchPage = pagesOf([
        { items: ["a"], next: "1" },
        { items: ["b"], next: "2" },
        { items: ["c", "d"], next: undefined }
      ])
      // The last allowed page ends it, with the most models allowed.
      expect(yield* listPages(ctx, fetchPage, mapError, limits)).toEqual(["a", "b", "c", "d"])
    })
  )

  it.effect("a server that repeats a cursor ends the listing with what it sent, rather than paging forever", () =>
    Effect.gen(function* () {
      const asked: Array<string | undefined> = []
      const fetchPage = async (cursor: string | undefined): Promise<ListingPage<string, string>> => {
        asked.push(cursor)
        return { items: [`item${asked.length}`], next: "same" }
      }
      expect(yield* listPages(ctx, fetchPage, mapError, { maxPages: 10, maxModels: 100 })).toEqual(["item1", "item2"])
      expect(asked).toEqual([undefined, "same"])
    })
  )

  it.effect("a listing that still names a next page at the page limit fails with ProviderUnavailableError", () =>
    Effect.gen(function* () {
      const endless = async (cursor: string | undefined): Promise<ListingPage<string, string>> => {
        const n = cursor === undefined ? 1 : Number(cursor) + 1
        return { items: [`m${n}`], next: String(n) }
      }
      const error = yield* Effect.flip(listPages(ctx, endless, mapError, limits))
      expect(error).toMatchObject({ _tag: "ProviderUnavailableError", provider: "openai" })
      expect(error.message).toBe(
        "openai: the model listing did not end within 3 pages and 4 models (read 3 pages, 3 models); stopped reading. Check base_url: a proxy or server that pages forever"
      )
    })
  )

  it.effect("one model past the limit fails, even on the last page", () =>
    Effect.gen(function* () {
      const fetchPage = pagesOf([{ items: ["a", "b", "c", "d", "e"], next: undefined }])
      const error = yield* Effect.flip(listPages(ctx, fetchPage, mapError, limits))
      expect(error.message).toContain("(read 1 pages, 5 models)")
    })
  )
})
