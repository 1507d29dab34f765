/** Shared pieces of the telemetry tests: an in-memory tracer and the span tree it collected. */
import { fleetCredentials } from "@llm-orchestrator/testing"
import type { Tracer } from "effect"

/** A tracer that keeps every span it makes, in creation order: the one `chat --trace` prints from. */
export { spanRecorder as inMemoryTracer } from "../packages/llm-orchestrator/src/cli/trace.ts"

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
