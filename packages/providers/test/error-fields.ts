/** Shared by the adapters' wire-rule tests (not a test file itself). */
import type { LLMError } from "@llm-orchestrator/core"

/** What a wire-rule row checks of an error: its tag, its exact message, its HTTP status and request id. */
export const errorFields = (error: LLMError) => ({
  tag: error._tag,
  message: error.message,
  status: "status" in error ? error.status : undefined,
  requestId: "requestId" in error ? error.requestId : undefined
})
