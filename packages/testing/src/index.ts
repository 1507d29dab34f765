export * from "./simulator/script.ts"
export * from "./simulator/server.ts"
export * from "./cassettes.ts"
