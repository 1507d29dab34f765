/** Shared pieces of the telemetry tests: an in-memory tracer and the span tree it collected. */
import { fleetCredentials } from "@llm-orchestrator/testing"
import { Tracer } from "effect"

/** A tracer that keeps every span it makes (Effect's own in-memory span), in creation order. */
export const inMemoryTracer = () => {
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

export const childrenOf = (spans: ReadonlyArray<Tracer.NativeSpan>, parent: Tracer.NativeSpan) =>
  spans.filter((span) => span.parent._tag === "Some" && span.parent.value.spanId === parent.spanId)

export const attributesOf = (span: Tracer.NativeSpan): Record<string, unknown> => Object.fromEntries(span.attributes)

/** Every credential of the fleet's config: none may appear in any attribute or exported byte. */
export const secrets: ReadonlyArray<string> = Object.values(fleetCredentials)

/** Every string an attribute value holds (arrays flattened). */
export const attributeStrings = (spans: ReadonlyArray<Tracer.NativeSpan>): Array<string> =>
  spans
    .flatMap((span) => [...span.attributes.values()].flatMap((value) => (Array.isArray(value) ? value : [value])))
    .map((value) => String(value))
