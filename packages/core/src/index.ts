export * from "./domain.ts"
export * from "./errors.ts"
export * from "./provider.ts"
export * from "./config/types.ts"
