/**
 * `${VAR}` and `${VAR:-default}` expansion of config string values (docs/ARCHITECTURE.md, "Config").
 * Expansion runs on parsed string values, never on the raw YAML text, so a variable's value can hold
 * any character (quotes, colons, `#`) without changing the structure of the file.
 * `$$` writes a literal dollar; a `$` not followed by `{` or `$` is kept as is.
 * Like the shell, `:-` uses the default when the variable is unset OR empty.
 * Defaults may nest (`${A:-${B:-x}}`) up to `maxNesting` levels: deeper is a syntax error, so the
 * recursion below is bounded and the work stays linear in the string's length (times that bound).
 */
import { optionalField } from "../internal/optional.ts"

/** How deep `${...}` references may nest inside defaults. */
export const maxNesting = 32

export interface Expansion {
  readonly value: string
  /** True when the string referenced at least one variable (its value did not come from the file alone). */
  readonly usedVariables: boolean
  /** Referenced variables (without a default) that are not set. */
  readonly missing: ReadonlyArray<string>
  /** Referenced variables (without a default) that are set to the empty string. */
  readonly empty: ReadonlyArray<string>
  /** Variables whose values went into the result (to name them when the value is unusable). */
  readonly used: ReadonlyArray<string>
  /** A malformed reference; the message never repeats the text, which may be a secret. */
  readonly syntaxError?: string
}

const variableName = /^[A-Za-z_][A-Za-z0-9_]*/

export const expandVariables = (raw: string, env: Readonly<Record<string, string | undefined>>): Expansion => {
  const missing: Array<string> = []
  const empty: Array<string> = []
  const used: Array<string> = []
  let usedVariables = false
  let syntaxError: string | undefined

  const expand = (text: string): string => {
    let out = ""
    let i = 0
    while (i < text.length) {
      const ch = text[i]
      if (ch !== "$") {
        out += ch
        i++
        continue
      }
      const next = text[i + 1]
      if (next === "$") {
        out += "$"
        i += 2
        continue
      }
      if (next !== "{") {
        out += "$"
        i++
        continue
      }
      const close = matchingBrace(text, i + 2)
      if (close === tooDeep) {
        syntaxError ??= `nests \${...} references more than ${maxNesting} levels deep; simplify the default`
        return out
      }
      if (close === -1) {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the message quotes the config's own ${ syntax
        syntaxError ??= 'has an unclosed "${"; close it with "}", or write $$ for a literal dollar'
        return out
      }
      usedVariables = true
      const inner = text.slice(i + 2, close)
      const name = variableName.exec(inner)?.[0]
      const rest = name === undefined ? inner : inner.slice(name.length)
      if (name === undefined || (rest !== "" && !rest.startsWith(":-"))) {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the message quotes the config's own ${ syntax
        syntaxError ??= "has an invalid variable reference; write ${NAME} or ${NAME:-default}"
      } else if (rest === "") {
        const value = env[name]
        if (value === undefined) missing.push(name)
        else if (value === "") empty.push(name)
        else used.push(name)
        // Stryker disable next-line StringLiteral: equivalent, a missing variable fails the config, so this text is never used
        out += value ?? ""
      } else {
        const value = env[name]
        if (value === undefined || value === "") out += expand(rest.slice(2))
        else {
          used.push(name)
          out += value
        }
      }
      i = close + 1
    }
    return out
  }

  const value = expand(raw)
  return { value, usedVariables, missing, empty, used, ...optionalField("syntaxError", syntaxError) }
}

const tooDeep = -2

/**
 * Index of the `}` closing a `${` whose body starts at `from`, counting nested `${...}` in defaults;
 * -1 when it is never closed, `tooDeep` when the nesting goes past `maxNesting`.
 */
const matchingBrace = (text: string, from: number): number => {
  let depth = 0
  // Stryker disable next-line EqualityOperator: equivalent, text[text.length] is undefined and matches nothing
  for (let i = from; i < text.length; i++) {
    if (text[i] === "$" && text[i + 1] === "{") {
      if (++depth >= maxNesting) return tooDeep
      i++
    } else if (text[i] === "}") {
      if (depth === 0) return i
      depth--
    }
  }
  return -1
}
