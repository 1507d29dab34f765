/**
 * The protocol-neutral half of every simulator: an HTTP server on 127.0.0.1 (random port) that
 * records each request, picks the scripted reply, and plays it with its delays and faults. The
 * protocol half (`ProtocolAdapter`) only routes requests and renders bytes in its provider's format.
 * Given a key and certificate it serves HTTPS instead: HTTP/2, and HTTP/1.1 for clients that do not
 * offer h2, with the same routing and replies.
 */
import { randomUUID } from "node:crypto"
import { createServer, type IncomingHttpHeaders, type IncomingMessage } from "node:http"
import { createSecureServer, type Http2ServerRequest } from "node:http2"
import type { AddressInfo, Server, Socket } from "node:net"
import type { FinishReason, Usage } from "@llm-orchestrator/core"
import { Effect, type Scope } from "effect"
import {
  completeUsage,
  type ErrorReply,
  type FaultKind,
  type Reply,
  type RequestedFormat,
  type ScriptedToolCall,
  type SeenMedia,
  type SimModel,
  type StreamFaultReply,
  splitText,
  type TextReply
} from "./script.ts"

export type SimulatorProtocol = "openai" | "anthropic" | "gemini" | "vertex" | "bedrock"

export interface IncomingCall {
  readonly method: string
  readonly path: string
  readonly query: URLSearchParams
  readonly headers: IncomingHttpHeaders
  /** The parsed JSON body, or undefined when there is none or it is not JSON. */
  readonly body: unknown
  readonly rawBody: string
}

export interface WireResponse {
  readonly status: number
  readonly headers: Readonly<Record<string, string>>
  readonly body: string | Uint8Array
}

export type Route =
  | {
      readonly kind: "generate" | "stream"
      readonly model: string
      readonly api?: string
      /** The images and documents the request carried, read while its checks ran (absent: none). */
      readonly media?: ReadonlyArray<SeenMedia>
    }
  | { readonly kind: "models"; readonly api?: string }
  | { readonly kind: "response"; readonly response: WireResponse }

export interface RenderContext {
  readonly call: IncomingCall
  readonly api: string | undefined
  readonly model: string
  readonly requestId: string
  readonly usage: Usage
  readonly finishReason: FinishReason
  readonly text: string
  readonly chunks: ReadonlyArray<string>
  /** The reply's tool calls, after its text (absent or empty: none). */
  readonly toolCalls?: ReadonlyArray<ScriptedToolCall>
  /** The reply's scripted reasoning (absent: none, unless usage has reasoning tokens). */
  readonly reasoning?: string
  /** The structured-output format the request asked for; absent when it asked for none. */
  readonly responseFormat?: RequestedFormat
  /** The images and documents the request carried, in order (absent or empty: none). */
  readonly media?: ReadonlyArray<SeenMedia>
}

export type Frame = string | Uint8Array

export interface ProtocolAdapter {
  readonly protocol: SimulatorProtocol
  route(call: IncomingCall): Route
  generate(ctx: RenderContext): WireResponse
  streamHeaders(ctx: RenderContext): Readonly<Record<string, string>>
  streamStart(ctx: RenderContext): ReadonlyArray<Frame>
  streamDelta(ctx: RenderContext, text: string, index: number): Frame
  streamEnd(ctx: RenderContext): ReadonlyArray<Frame>
  streamError(ctx: RenderContext, fault: FaultKind, message: string): Frame
  malformedFrame(ctx: RenderContext): Frame
  error(ctx: RenderContext, reply: ErrorReply): WireResponse
  models(call: IncomingCall, models: ReadonlyArray<SimModel>, api: string | undefined): WireResponse
  /** The catalogue id a requested model name stands for (Bedrock: an inference profile or ARN); default: itself. */
  catalogueId?(model: string): string
  /** The structured-output format of a routed generate/stream request (its checks passed in `route`). */
  responseFormat?(call: IncomingCall): RequestedFormat | undefined
}

type GenerateRoute = Extract<Route, { readonly kind: "generate" | "stream" }>

const noMedia: ReadonlyArray<SeenMedia> = []

const datedSuffix = /-(\d{4}-\d{2}-\d{2}|\d{8}|\d{3})$/

/**
 * Whether the provider serves `model`: a listed id, a dated snapshot of a listed alias
 * (gpt-4o-mini-2024-07-18, gemini-2.0-flash-001), or the alias of a listed dated id
 * (claude-sonnet-4-5 for claude-sonnet-4-5-20250929), as the real APIs resolve them.
 */
const servesModel = (model: string, models: ReadonlyArray<SimModel>): boolean => {
  const undated = model.replace(datedSuffix, "")
  return models.some((m) => m.id === model || m.id === undated || m.id.replace(datedSuffix, "") === model)
}

export interface RecordedRequest extends IncomingCall {
  readonly kind: Route["kind"]
  readonly model: string | undefined
  readonly receivedAt: number
  /** The request's HTTP version as the server read it: "1.1", or "2.0" over HTTP/2. */
  readonly httpVersion: string
  /** True when the request came over TLS (a simulator started with `tls`). */
  readonly tls: boolean
  /** The images and documents a generate/stream request carried, as the simulator read them (empty: none). */
  readonly media: ReadonlyArray<SeenMedia>
  /** `performance.now()` when the client closed the connection before the response was complete. */
  abortedAt: number | undefined
}

export interface SimulatorOptions {
  readonly models?: ReadonlyArray<SimModel>
  /**
   * The reply when nothing is scripted (default: a short greeting naming protocol and model). It sees
   * the request too, so a seeded test can derive each reply from the request rather than arrival order,
   * and the structured-output format the request asked for (undefined: none), to answer in it.
   */
  readonly defaultReply?: (model: string, call: IncomingCall, format: RequestedFormat | undefined) => Reply
  /**
   * A PEM key and certificate: the simulator then serves https:// with `node:http2`'s secure server,
   * HTTP/2 by ALPN and HTTP/1.1 for clients that do not offer h2 (`allowHTTP1`).
   */
  readonly tls?: { readonly key: string; readonly cert: string }
  /**
   * A request for a model the catalogue (`models`) does not list: "not-found" (default) answers it as
   * the provider does (its real 404 body; Bedrock's ValidationException), "answer" replies as for any
   * other model (tests of made-up ids). Scripted replies and `failModel` faults come first either way.
   */
  readonly unknownModels?: "not-found" | "answer"
}

type Request = IncomingMessage | Http2ServerRequest

/** What a reply is written to: the part of `ServerResponse` and `Http2ServerResponse` the simulator uses. */
interface Response {
  readonly headersSent: boolean
  readonly writableFinished: boolean
  /** HTTP/1.1: the connection's socket. HTTP/2: a proxy whose `destroy` resets this request's stream. */
  readonly socket: { destroy(): void } | null
  /** HTTP/1.1 only. */
  readonly destroyed?: boolean
  /** HTTP/2 only; `rstCode` is set once the stream has closed (0: NO_ERROR). */
  readonly stream?: { readonly destroyed: boolean; readonly rstCode?: number }
  writeHead(status: number, headers?: Readonly<Record<string, string>>): unknown
  write(chunk: Frame): unknown
  end(body?: string | Uint8Array): unknown
  on(event: "close", listener: () => void): unknown
}

/** The client has gone: its connection (HTTP/1.1) or its stream (HTTP/2) is closed. */
const isGone = (res: Response): boolean => res.stream?.destroyed ?? res.destroyed === true

const sleep = (ms: number | undefined) =>
  ms && ms > 0 ? new Promise<void>((resolve) => setTimeout(resolve, ms).unref()) : Promise.resolve()

export class Simulator {
  readonly requests: Array<RecordedRequest> = []
  private readonly queue: Array<Reply> = []
  private readonly modelQueues = new Map<string, Array<Reply>>()
  private readonly modelFaults = new Map<string, Reply>()
  private readonly sockets = new Set<Socket>()
  private readonly abortWaiters = new Set<() => void>()
  private models: ReadonlyArray<SimModel>
  private modelListing: ((call: IncomingCall, api: string | undefined) => WireResponse | undefined) | undefined
  readonly adapter: ProtocolAdapter
  readonly port: number
  private readonly server: Server
  private readonly options: SimulatorOptions

  private constructor(adapter: ProtocolAdapter, server: Server, port: number, options: SimulatorOptions) {
    this.adapter = adapter
    this.server = server
    this.port = port
    this.options = options
    this.models = options.models ?? []
  }

  get protocol(): SimulatorProtocol {
    return this.adapter.protocol
  }

  /** `http://127.0.0.1:PORT`, or `https://` with `tls` (no version path: each SDK's base URL convention is the caller's). */
  get url(): string {
    return `${this.options.tls ? "https" : "http"}://127.0.0.1:${this.port}`
  }

  static async start(adapter: ProtocolAdapter, options: SimulatorOptions = {}): Promise<Simulator> {
    const server: Server = options.tls
      ? createSecureServer({ key: options.tls.key, cert: options.tls.cert, allowHTTP1: true })
      : createServer()
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject)
      // A deep accept queue: load tests open thousands of connections at once, and an overflowing
      // backlog turns into multi-second SYN retries that look like provider hangs.
      server.listen({ port: 0, host: "127.0.0.1", backlog: 4096 }, () => resolve())
    })
    const sim = new Simulator(adapter, server, (server.address() as AddressInfo).port, options)
    server.on("connection", (socket: Socket) => {
      sim.sockets.add(socket)
      socket.once("close", () => sim.sockets.delete(socket))
    })
    // Both servers emit the same "request" (HTTP/2 through its compatibility API): one routing and
    // one set of replies whatever the transport.
    server.on("request", (req: Request, res: Response) => {
      sim.handle(req, res).catch((error) => {
        if (!res.headersSent) res.writeHead(500, { "content-type": "text/plain" })
        res.end(`simulator failure: ${error instanceof Error ? error.message : String(error)}`)
      })
    })
    return sim
  }

  /** Queues replies for the next requests of any model (after the model's own queue). */
  script(...replies: ReadonlyArray<Reply>): this {
    this.queue.push(...replies)
    return this
  }

  /** Queues replies for the next requests naming `model`. */
  scriptModel(model: string, ...replies: ReadonlyArray<Reply>): this {
    const queue = this.modelQueues.get(model) ?? []
    queue.push(...replies)
    this.modelQueues.set(model, queue)
    return this
  }

  /**
   * Answers every request naming `model` with `reply` (after the scripted replies) until
   * `failModel(model, undefined)`: an outage rather than one bad answer (`simulate --fault`).
   */
  failModel(model: string, reply: Reply | undefined): this {
    if (reply === undefined) this.modelFaults.delete(model)
    else this.modelFaults.set(model, reply)
    return this
  }

  setModels(models: ReadonlyArray<SimModel>): this {
    this.models = models
    return this
  }

  /**
   * Answers every model listing request with `render` instead of the model list (a listing that
   * pages forever, a huge page...), or not at all when it returns undefined; the listing requests are
   * still recorded. `setModelListing(undefined)` restores the model list.
   */
  setModelListing(
    render: ((call: IncomingCall, api: string | undefined) => WireResponse | undefined) | undefined
  ): this {
    this.modelListing = render
    return this
  }

  /** Forgets scripted replies, model faults and recorded requests. */
  reset(): this {
    this.queue.length = 0
    this.modelQueues.clear()
    this.modelFaults.clear()
    this.requests.length = 0
    return this
  }

  /** Resolves with the request once the client has closed it early, or rejects after `withinMs`. */
  waitForAbort(request: RecordedRequest, withinMs: number): Promise<RecordedRequest> {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (request.abortedAt === undefined) return false
        clearTimeout(timer)
        this.abortWaiters.delete(check as () => void)
        resolve(request)
        return true
      }
      const timer = setTimeout(() => {
        this.abortWaiters.delete(check as () => void)
        reject(new Error(`the client did not close ${request.path} within ${withinMs} ms`))
      }, withinMs)
      if (!check()) this.abortWaiters.add(check as () => void)
    })
  }

  async close(): Promise<void> {
    for (const socket of this.sockets) socket.destroy()
    await new Promise<void>((resolve) => this.server.close(() => resolve()))
  }

  private nextReply(model: string, call: IncomingCall, format: RequestedFormat | undefined): Reply {
    const own = this.modelQueues.get(model)
    const scripted = own?.shift() ?? this.queue.shift()
    if (scripted) return scripted
    const outage = this.modelFaults.get(model)
    if (outage) return outage
    if (
      this.options.unknownModels !== "answer" &&
      !servesModel(this.adapter.catalogueId?.(model) ?? model, this.models)
    )
      return { kind: "error", fault: "model-not-found" }
    return (
      this.options.defaultReply?.(model, call, format) ?? {
        kind: "text",
        text: `Hello from the ${this.adapter.protocol} simulator (${model}).`
      }
    )
  }

  private async handle(req: Request, res: Response): Promise<void> {
    const chunks: Array<Buffer> = []
    for await (const chunk of req) chunks.push(chunk as Buffer)
    const rawBody = Buffer.concat(chunks).toString("utf8")
    let body: unknown
    try {
      body = rawBody ? JSON.parse(rawBody) : undefined
    } catch {
      body = undefined
    }
    const url = new URL(req.url ?? "/", "http://127.0.0.1")
    const call: IncomingCall = {
      method: req.method ?? "GET",
      path: url.pathname,
      query: url.searchParams,
      headers: req.headers,
      body,
      rawBody
    }
    const route = this.adapter.route(call)
    const recorded: RecordedRequest = {
      ...call,
      kind: route.kind,
      model: route.kind === "generate" || route.kind === "stream" ? route.model : undefined,
      receivedAt: performance.now(),
      httpVersion: req.httpVersion,
      // Over HTTP/2 `req.socket` forwards this to the session's TLS socket.
      tls: (req.socket as { encrypted?: boolean }).encrypted === true,
      media: (route.kind === "generate" || route.kind === "stream" ? route.media : undefined) ?? noMedia,
      abortedAt: undefined
    }
    this.requests.push(recorded)
    res.on("close", () => {
      // An HTTP/2 response reads as finished once its stream has closed, even when the client reset it
      // (RST_STREAM CANCEL): there a closing code other than NO_ERROR is what says it ended early.
      if (!res.writableFinished || (res.stream?.rstCode ?? 0) !== 0) {
        recorded.abortedAt = performance.now()
        for (const waiter of this.abortWaiters) waiter()
      }
    })
    if (route.kind === "response") return this.send(res, route.response)
    if (route.kind === "models") {
      const listing = this.modelListing
        ? this.modelListing(call, route.api)
        : this.adapter.models(call, this.models, route.api)
      // No answer at all: the listing hangs until the client aborts (or the simulator closes).
      return listing === undefined ? undefined : this.send(res, listing)
    }
    const format = this.adapter.responseFormat?.(call)
    await this.play(res, call, route, this.nextReply(route.model, call, format), format)
  }

  private send(res: Response, response: WireResponse): void {
    res.writeHead(response.status, response.headers)
    res.end(response.body)
  }

  private context(
    call: IncomingCall,
    route: GenerateRoute,
    reply: TextReply | StreamFaultReply,
    format: RequestedFormat | undefined
  ): RenderContext {
    const chunks = splitText(reply.text, reply.chunks)
    const toolCalls = (reply.kind === "text" ? reply.toolCalls : undefined) ?? []
    return {
      call,
      api: route.api,
      model: (reply.kind === "text" ? reply.model : undefined) ?? route.model,
      requestId: `req_${randomUUID().replaceAll("-", "").slice(0, 24)}`,
      usage: completeUsage(reply.usage, call.rawBody.length, chunks.length),
      finishReason:
        (reply.kind === "text" ? reply.finishReason : undefined) ?? (toolCalls.length > 0 ? "tool-calls" : "stop"),
      text: reply.text,
      chunks,
      toolCalls,
      ...(reply.kind === "text" && reply.reasoning !== undefined ? { reasoning: reply.reasoning } : {}),
      ...(format !== undefined ? { responseFormat: format } : {}),
      media: route.media ?? noMedia
    }
  }

  private async play(
    res: Response,
    call: IncomingCall,
    route: GenerateRoute,
    reply: Reply,
    format: RequestedFormat | undefined
  ): Promise<void> {
    switch (reply.kind) {
      case "hang":
        return // the response stays open until the client aborts or the simulator closes
      case "cassette":
        res.writeHead(reply.status, reply.headers)
        res.end(reply.bodyBase64 !== undefined ? Buffer.from(reply.bodyBase64, "base64") : (reply.body ?? ""))
        return
      case "error": {
        await sleep(reply.firstByteDelayMs)
        const ctx = this.context(
          call,
          route,
          { kind: "text", text: "", ...(reply.usage ? { usage: reply.usage } : {}) },
          format
        )
        return this.send(res, this.adapter.error(ctx, reply))
      }
      case "text": {
        const ctx = this.context(call, route, reply, format)
        await sleep(reply.firstByteDelayMs)
        if (route.kind === "generate") return this.send(res, this.adapter.generate(ctx))
        res.writeHead(200, this.adapter.streamHeaders(ctx))
        for (const frame of this.adapter.streamStart(ctx)) res.write(frame)
        for (const [index, text] of ctx.chunks.entries()) {
          if (index > 0) await sleep(reply.chunkDelayMs)
          if (isGone(res)) return
          res.write(this.adapter.streamDelta(ctx, text, index))
        }
        for (const frame of this.adapter.streamEnd(ctx)) res.write(frame)
        res.end()
        return
      }
      case "stream-fault": {
        const ctx = this.context(call, route, reply, format)
        const errorFault = reply.errorFault ?? "overloaded"
        if (route.kind === "generate") {
          // A non-streamed call cannot fail half-way: it sees the fault as a whole response.
          if (reply.fault === "hang") return
          if (reply.fault === "drop") return void res.socket?.destroy()
          if (reply.fault === "malformed") {
            res.writeHead(200, { "content-type": "application/json" })
            res.end("{ this is not json")
            return
          }
          return this.send(res, this.adapter.error(ctx, { kind: "error", fault: errorFault }))
        }
        res.writeHead(200, this.adapter.streamHeaders(ctx))
        for (const frame of this.adapter.streamStart(ctx)) res.write(frame)
        for (const [index, text] of ctx.chunks.slice(0, reply.afterChunks).entries()) {
          if (index > 0) await sleep(reply.chunkDelayMs)
          if (isGone(res)) return
          res.write(this.adapter.streamDelta(ctx, text, index))
        }
        await sleep(5) // let the client see the text before the fault
        switch (reply.fault) {
          case "hang":
            return
          case "drop":
            res.socket?.destroy()
            return
          case "malformed":
            res.write(this.adapter.malformedFrame(ctx))
            res.end()
            return
          case "error-event":
            res.write(this.adapter.streamError(ctx, errorFault, "The simulator injected a mid-stream error."))
            res.end()
            return
        }
      }
    }
  }
}

/** A simulator as an Effect resource: started in the current scope, closed with it. */
export const scopedSimulator = (
  adapter: ProtocolAdapter,
  options?: SimulatorOptions
): Effect.Effect<Simulator, never, Scope.Scope> =>
  Effect.acquireRelease(
    Effect.promise(() => Simulator.start(adapter, options)),
    (sim) => Effect.promise(() => sim.close())
  )

/** A JSON response. */
export const json = (status: number, body: unknown, headers: Readonly<Record<string, string>> = {}): WireResponse => ({
  status,
  headers: { "content-type": "application/json", ...headers },
  body: JSON.stringify(body)
})

/** An SSE frame: `event:` line when named, then `data:`. */
export const sse = (data: unknown, event?: string): string =>
  `${event ? `event: ${event}\n` : ""}data: ${typeof data === "string" ? data : JSON.stringify(data)}\n\n`
