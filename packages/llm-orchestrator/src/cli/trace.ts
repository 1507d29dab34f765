/**
 * `chat --trace`: the request's span tree on stderr, from the same spans telemetry exports (README
 * "Telemetry"): the request, then one line per attempt with its outcome, wait, tokens and cost. The
 * spans are kept in memory by a tracer made for the one command.
 */
import { TelemetryAttributes as Attr, GenAIConventions as GenAI } from "@llm-orchestrator/core"
import { Tracer } from "effect"
import { formatCount, formatUsd } from "./output.ts"

/** A tracer that keeps the spans it makes, for `formatTrace`. */
export const spanRecorder = () => {
  const spans: Array<Tracer.NativeSpan> = []
  const tracer = Tracer.make({
    span(options) {
      const span = new Tracer.NativeSpan(options)
      spans.push(span)
      return span
    }
  })
  return { tracer, spans }
}

const milliseconds = (nanos: bigint) => `${(Number(nanos) / 1e6).toFixed(1)} ms`

const duration = (span: Tracer.NativeSpan) =>
  span.status._tag === "Ended" ? milliseconds(span.status.endTime - span.startTime) : "not ended"

/** The facts of a span that a reader of the tree needs, in reading order. */
const facts = (span: Tracer.NativeSpan, isRequest: boolean): Array<string> => {
  const a = (key: string) => span.attributes.get(key)
  const out: Array<string> = []
  const model = a(GenAI.responseModel) ?? a(GenAI.requestModel)
  const instance = a(Attr.providerInstance)
  if (isRequest) {
    if (instance !== undefined) out.push(`answered by ${instance}/${model}`)
    out.push(String(a(Attr.outcome) ?? "not ended"))
    const attempts = a(Attr.attempts)
    if (attempts !== undefined) out.push(`${attempts} attempt${attempts === 1 ? "" : "s"}`)
    if (a(Attr.fellBack) === true) out.push("fell back")
  } else {
    out.push(`attempt ${a(Attr.attemptNumber)} (try ${a(Attr.attemptTry)}) ${instance}/${a(GenAI.requestModel)}`)
    const error = a(Attr.attemptErrorTag)
    out.push(error === undefined ? String(a(Attr.attemptOutcome) ?? "not ended") : `error ${error}`)
    const waited = a(Attr.attemptWaitedMs)
    if (waited !== undefined) {
      const retryAfter = a(Attr.attemptRetryAfterMs)
      out.push(
        `waited ${Number(waited).toFixed(1)} ms before${retryAfter === undefined ? "" : ` (Retry-After ${retryAfter} ms)`}`
      )
    }
  }
  const input = a(GenAI.usageInputTokens)
  if (typeof input === "number") {
    const extra = [
      [GenAI.usageCacheReadInputTokens, "cached"],
      [GenAI.usageCacheCreationInputTokens, "cache-write"],
      [GenAI.usageReasoningOutputTokens, "reasoning"]
    ]
      .map(([key, label]) => [a(key!), label] as const)
      .filter(([count]) => typeof count === "number" && count > 0)
      .map(([count, label]) => `${formatCount(count as number)} ${label}`)
    out.push(
      `tokens ${formatCount(input)} in, ${formatCount(Number(a(GenAI.usageOutputTokens)))} out${extra.length > 0 ? ` (${extra.join(", ")})` : ""}`
    )
  }
  const cost = a(Attr.costUsd)
  if (typeof cost === "number") out.push(`cost ${formatUsd(cost)}${a(Attr.unpriced) === true ? " + unpriced" : ""}`)
  else if (a(Attr.unpriced) === true) out.push("cost unpriced")
  if (a(Attr.usageEstimated) === true) out.push("usage estimated")
  const firstChunk = a(GenAI.responseTimeToFirstChunk)
  if (typeof firstChunk === "number") out.push(`first chunk ${(firstChunk * 1000).toFixed(1)} ms`)
  return out
}

/**
 * The recorded requests as trees: the request's span, then its attempts in start order, each line
 * `name  duration  fact · fact ...`. Spans of other work (a caller's own) are left out.
 */
export const formatTrace = (spans: ReadonlyArray<Tracer.NativeSpan>): string => {
  const requests = spans.filter(
    (span) => !span.attributes.has(Attr.attemptNumber) && span.attributes.has(GenAI.operationName)
  )
  const lines: Array<string> = []
  for (const request of requests) {
    lines.push(`trace ${request.traceId}`)
    lines.push(`${request.name}  ${duration(request)}  ${facts(request, true).join(" · ")}`)
    const attempts = spans.filter((span) => span.parent._tag === "Some" && span.parent.value.spanId === request.spanId)
    attempts.forEach((attempt, i) => {
      const branch = i === attempts.length - 1 ? "└─" : "├─"
      lines.push(`${branch} ${attempt.name}  ${duration(attempt)}  ${facts(attempt, false).join(" · ")}`)
    })
  }
  return lines.length === 0 ? "" : `${lines.join("\n")}\n`
}
