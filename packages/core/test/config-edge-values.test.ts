/**
 * Config values at the edges of what the loader reads, each with the problem it reports: `providers:`
 * written with nothing under it is "required" like a missing one (not "a mapping, got nothing"), a
 * provider name in quotes with spaces around it is read trimmed (a known type that is not configured
 * says so), a `cost_tracking.log_path` of the wrong kind is reported at its own key, and without any
 * configured provider `active_provider`'s fix lists the provider types.
 */
import { describe, expect, it } from "@effect/vitest"
import { checkConfig } from "llm-orchestrator"

const providerList = "openai, anthropic, gemini, bedrock, vertex, openai-compatible"

/** A valid config plus `extra` lines (top-level keys, or more settings of providers.openai when indented). */
const withOpenAI = (extra = "") =>
  `active_provider: openai\nactive_model: gpt-4o-mini\nproviders:\n  openai:\n    api_key: sk-test\n${extra}`

describe("config values at the edges", () => {
  it("providers: with nothing under it (or ~) is required, as when the key is missing", () => {
    for (const providers of ["providers:\n", "providers: ~\n", "providers: null\n"])
      expect(checkConfig(`active_provider: openai\nactive_model: gpt-4o\n${providers}`), providers).toEqual([
        { path: "providers", message: `is required; configure at least one provider (${providerList})` }
      ])
  })

  it("a quoted provider name with spaces around it is read trimmed", () => {
    expect(checkConfig(withOpenAI().replace("active_provider: openai", 'active_provider: " openai "'))).toEqual([])
    expect(checkConfig(withOpenAI().replace("active_provider: openai", 'active_provider: " gemini "'))).toEqual([
      {
        path: "active_provider",
        message: 'provider "gemini" is not configured; add it under providers (configured: openai)'
      }
    ])
  })

  it("a log_path that is not a string is reported at cost_tracking.log_path", () => {
    expect(checkConfig(withOpenAI("cost_tracking:\n  log_path: [a]\n"))).toEqual([
      { path: "cost_tracking.log_path", message: "expected a string, got a list" }
    ])
  })

  it("with no provider configured, active_provider's fix lists the provider types", () => {
    expect(checkConfig("active_model: gpt-4o\nproviders: {}\n")).toEqual([
      { path: "providers", message: `is empty; configure at least one provider (${providerList})` },
      { path: "active_provider", message: `is required; set it to the provider to use (${providerList})` }
    ])
  })
})
