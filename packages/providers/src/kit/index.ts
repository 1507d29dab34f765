/** The adapter kit: what every provider module shares, imported from here. */
export * from "./call.ts"
export * from "./errors.ts"
export * from "./json-schema.ts"
export * from "./media.ts"
export * from "./options.ts"
export * from "./reasoning.ts"
export * from "./setup.ts"
export * from "./tools.ts"
