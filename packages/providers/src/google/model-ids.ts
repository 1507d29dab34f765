/**
 * The Google SDK puts a model id into the URL path unencoded (after `tModel`'s weak `..` check), so on
 * top of the common rule, `/` and `:` are narrowed to the forms each API uses.
 */
import type { ModelIdCheck } from "@llm-orchestrator/core"

/** Gemini: `x`, `models/x` or `tunedModels/x`. */
export const checkGeminiModelId: ModelIdCheck = (model) => {
  if (model.includes("..")) return 'it contains ".." (the Google SDK refuses it)'
  if (model.includes(":")) return 'it contains ":" (Gemini reads it as a method name)'
  if (model.includes("/") && !/^(?:models|tunedModels)\/[^/]+$/.test(model))
    return 'it contains "/" other than a models/ or tunedModels/ prefix'
  return undefined
}

/** Vertex AI: `x` or `publishers/p/models/x`; the project and location come from the config. */
export const checkVertexModelId: ModelIdCheck = (model) => {
  if (model.includes("..")) return 'it contains ".." (the Google SDK refuses it)'
  if (model.includes(":")) return 'it contains ":" (Vertex AI reads it as a method name)'
  if (model.startsWith("projects/"))
    return "it names a project (projects/...); the configured project and location are used, so write the model alone, e.g. publishers/google/models/gemini-2.5-flash"
  return undefined
}

/** `models/gemini-2.5-pro`, `publishers/google/models/gemini-2.5-pro`: the catalogue knows the last segment. */
export const googleModelCandidates = (model: string): ReadonlyArray<string> => {
  const trimmed = model.trim()
  const slash = trimmed.lastIndexOf("/")
  return slash >= 0 ? [trimmed, trimmed.slice(slash + 1)] : [trimmed]
}
