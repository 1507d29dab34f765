/**
 * The HTTP transport for the SDKs that take a `fetch` function (OpenAI, Anthropic, and `@google/genai`
 * for Gemini and Vertex): undici's `request` under a fetch-shaped function.
 *
 * Node's global `fetch` is undici too, but its WHATWG layer (Request and Headers objects, their
 * validation, the fetch algorithm's steps) costs far more CPU per call than anything else on the
 * request path: in this project's bench the raw OpenAI SDK spends about half the CPU per call on this
 * transport, ~230 us less at 64 concurrent (README "Where the time goes"). The answer
 * is still handed to the SDK as a standard `Response`, so the SDKs read bodies and streams as they do
 * over `fetch`; connection errors are undici's own, the ones `fetch` wraps in "fetch failed".
 *
 * What stays with `fetch`:
 * - a `globalThis.fetch` replaced after this module loaded (MSW, nock, a user's instrumentation):
 *   the replacement is called, so mocks and wrappers keep working;
 * - a request this transport does not carry: a `Request` object as input, or a body other than text
 *   or bytes (form data, a stream).
 * Proxies (undici's `setGlobalDispatcher`, Node's `NODE_USE_ENV_PROXY`) apply to both: they share the
 * global dispatcher. Its time limits do not: undici's default 300 s for the headers and between body
 * chunks would cut a long answer before the library's own timeouts (README "Guarantees: timeouts"),
 * which bound every call, so each request turns them off.
 * Not done here, as no provider API needs it: following redirects (a 3xx answer reaches the SDK as
 * an error status).
 */
import { pipeline, type Readable } from "node:stream"
import * as zlib from "node:zlib"
import type { Dispatcher } from "undici"

const fetchAtLoad = globalThis.fetch

/**
 * undici is loaded at the first call, after Node's own undici (the one behind `fetch`, which loads
 * when `Response` is first read): that one makes the global dispatcher, and undici's module, loaded
 * after, shares it. Loaded first, undici installs an Agent of its own and every `fetch` call of the
 * application then runs on that one, 8 % slower on Node 24 (one interleaved run at 64 concurrent).
 */
let undici: Promise<typeof import("undici")> | undefined
const loadUndici = () => (undici ??= Promise.resolve(Response).then(() => import("undici")))

type FetchInput = string | URL | Request

/** The request headers as undici takes them; `Headers` (what the SDKs pass) iterates lower-cased pairs. */
const headerRecord = (headers: HeadersInit | undefined): Record<string, string> => {
  const record: Record<string, string> = {}
  if (headers === undefined) return record
  if (headers instanceof Headers || Array.isArray(headers)) {
    for (const [name, value] of headers as Iterable<[string, string]>) record[name] = value
    return record
  }
  for (const name of Object.keys(headers)) record[name] = headers[name]!
  return record
}

const responseHeaders = (raw: Record<string, string | Array<string> | undefined>): Array<[string, string]> => {
  const pairs: Array<[string, string]> = []
  for (const name of Object.keys(raw)) {
    const value = raw[name]
    if (typeof value === "string") pairs.push([name, value])
    else if (value !== undefined) for (const one of value) pairs.push([name, one])
  }
  return pairs
}

/** Status, reason phrase (some SDKs quote it in their errors) and headers of an answer. */
const answered = (answer: Dispatcher.ResponseData): ResponseInit => ({
  status: answer.statusCode,
  statusText: answer.statusText,
  headers: responseHeaders(answer.headers)
})

/** Final statuses whose `Response` must have no body (the constructor throws otherwise). */
const bodiless = new Set([204, 205, 304])

/** A decoder per content coding `fetch` decodes. This transport asks for none, but a server may compress unasked. */
const decoders: Record<string, () => NodeJS.ReadWriteStream> = {
  gzip: () => zlib.createGunzip(),
  "x-gzip": () => zlib.createGunzip(),
  deflate: () => zlib.createInflate(),
  br: () => zlib.createBrotliDecompress()
}

/** The body decoded; a failure of either side (a cut connection, bad gzip) errors the stream the SDK reads. */
const decoded = (body: Readable, encoding: string | Array<string> | undefined): Readable => {
  const decoder = typeof encoding === "string" ? decoders[encoding.toLowerCase()] : undefined
  return decoder === undefined ? body : (pipeline(body, decoder(), () => {}) as unknown as Readable)
}

/**
 * The body as the web stream a `Response` takes, read on demand: each read takes everything buffered
 * since the last one as one chunk. A streaming server writes each event apart, and `Readable.toWeb`
 * passes each on as a chunk of its own (206 for a 200-delta stream), each then one await or more in
 * the SDK's line decoder; read on demand, a burst is one chunk. Measured with the raw Anthropic and
 * OpenAI SDKs on this transport: ~250 us less per 200-delta stream than with `Readable.toWeb`
 * (README "Where the time goes"). `ReadableStream.from` reads the same way but cannot destroy a body
 * cancelled before its first read, which would hold its connection.
 */
const webBody = (body: Readable): ReadableStream<Uint8Array> => {
  const chunks: AsyncIterator<Uint8Array> = body[Symbol.asyncIterator]()
  return new ReadableStream<Uint8Array>(
    {
      pull: async (controller) => {
        const next = await chunks.next()
        if (next.done) controller.close()
        else controller.enqueue(next.value)
      },
      // Destroying the body ends its iterator too, and frees the connection.
      cancel: () => {
        body.destroy(readerCancelled)
      }
    },
    { highWaterMark: 0 }
  )
}

/**
 * Why a body ends when its reader cancels it, made once: the OpenAI SDK cancels every stream's body
 * after `[DONE]`, and a body destroyed without a reason makes a fresh error, stack trace and all
 * (~90 us per stream, measured). Nobody reads it: the reader has gone.
 */
// Stryker disable next-line StringLiteral: equivalent, nobody reads the reason
const readerCancelled = new Error("the reader cancelled the response body")

const carries = (input: FetchInput, body: BodyInit | null | undefined): input is string | URL =>
  !(input instanceof Request) &&
  (body === undefined || body === null || typeof body === "string" || body instanceof Uint8Array)

// ---- Aborting a call ---------------------------------------------------------------------------------

/**
 * How an adapter hands its call's `AbortController` to the transport: in the SDK's `fetchOptions`,
 * which the SDKs copy into the `fetch` init, under a key of ours. Handed to the SDK as `signal`
 * instead, the call's signal costs per request what the SDK does to link it to its own: the
 * Anthropic SDK adds a listener, a `WeakMap` entry and a `FinalizationRegistry` registration
 * (+15 us of main thread and +20 us of GC work per request at 64 concurrent; README "Where the time
 * goes"), the OpenAI SDK an `AbortSignal.any` that every SSE line then re-checks.
 */
const callController = Symbol("llm-orchestrator/call-controller")

/** Request options that let `controller` abort the SDK call (through `sdkFetch`). */
export const abortableBy = (controller: AbortController) => ({
  fetchOptions: { [callController]: controller } as Record<string, never>
})

type CallInit = RequestInit & { readonly [callController]?: AbortController }

const once = { once: true } as const

/** The call's signal, which the SDK's own signal (its timeout, a stream its reader left) aborts too. */
const linkedSignal = (controller: AbortController, sdkSignal: AbortSignal | null | undefined): AbortSignal => {
  if (sdkSignal?.aborted) controller.abort()
  else sdkSignal?.addEventListener("abort", () => controller.abort(), once)
  return controller.signal
}

/** A `fetch` for SDK clients: undici's `request` where it can carry the call, `globalThis.fetch` otherwise. */
export const sdkFetch = async (input: FetchInput, init?: CallInit): Promise<Response> => {
  const controller = init?.[callController]
  // A controller can only have come with an init, hence `init!` below.
  const signal = controller === undefined ? (init?.signal ?? null) : linkedSignal(controller, init!.signal)
  if (globalThis.fetch !== fetchAtLoad || !carries(input, init?.body))
    // Stryker disable next-line ConditionalExpression: equivalent, a copy with the same signal; the copy is skipped only when nothing changed
    return globalThis.fetch(input, controller === undefined ? init : { ...init, signal })
  const { request } = await loadUndici()
  const answer = await request(input, {
    method: (init?.method ?? "GET") as "GET",
    headers: headerRecord(init?.headers),
    body: (init?.body ?? null) as string | Uint8Array | null,
    signal,
    headersTimeout: 0,
    bodyTimeout: 0
  })
  if (bodiless.has(answer.statusCode)) {
    answer.body.resume()
    return new Response(null, answered(answer))
  }
  return new Response(webBody(decoded(answer.body, answer.headers["content-encoding"])), answered(answer))
}
