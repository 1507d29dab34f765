/**
 * Structured output with the Promise facade: the model is asked for JSON matching a schema and the
 * answer comes back decoded in `response.output`. An answer that is not in the schema is billed and
 * the chain moves on to its next model (`fallback.on_invalid_output`, default true); `attempts`
 * shows it.
 *
 *   pnpm example structured-output                            # against the local simulators
 *   npx -y pnpm@12.21.0 exec node examples/structured-output.ts my-config.yaml    # against real providers
 */
import { createOrchestrator } from "llm-orchestrator"
import { usd } from "./format.ts"

export interface StructuredOutputContext {
  readonly configPath: string
}

/** A JSON Schema (any JSON Schema object works; Zod's `z.toJSONSchema` or Effect's `Schema.toJsonSchemaDocument` make one). */
export const invoiceSchema = {
  type: "object",
  properties: {
    vendor: { type: "string" },
    total: { type: "number", minimum: 0 },
    currency: { type: "string", enum: ["EUR", "USD", "GBP"] },
    lines: {
      type: "array",
      items: {
        type: "object",
        properties: { item: { type: "string" }, amount: { type: "number" } },
        required: ["item", "amount"],
        additionalProperties: false
      }
    }
  },
  required: ["vendor", "total", "currency", "lines"],
  additionalProperties: false
}

interface Invoice {
  readonly vendor: string
  readonly total: number
  readonly currency: string
  readonly lines: ReadonlyArray<{ readonly item: string; readonly amount: number }>
}

export const invoiceText =
  "Invoice from Atelier Dupont, Lyon. 2 chairs: 240.00 EUR. Delivery: 35.50 EUR. Total due: 275.50 EUR."

export const main = async ({ configPath }: StructuredOutputContext): Promise<void> => {
  const llm = await createOrchestrator(configPath)
  try {
    const response = await llm.sendRequest({
      messages: [
        { role: "system", content: "Extract the invoice's vendor, total, currency and lines." },
        { role: "user", content: invoiceText }
      ],
      responseFormat: { type: "json", schema: invoiceSchema, name: "invoice" }
    })
    const invoice = response.output as Invoice
    console.log(`vendor: ${invoice.vendor}`)
    for (const line of invoice.lines) console.log(`  ${line.item}: ${line.amount.toFixed(2)} ${invoice.currency}`)
    console.log(`total: ${invoice.total.toFixed(2)} ${invoice.currency}`)
    for (const attempt of response.attempts)
      console.log(
        `attempt: ${attempt.provider}/${attempt.model} ${attempt.outcome}${attempt.errorTag ? ` (${attempt.errorTag})` : ""}`
      )
    console.log(`cost of the answer: ${usd(response.cost?.total)}; session cost: ${usd(await llm.getSessionCost())}`)
  } finally {
    await llm.close()
  }
}

if (import.meta.main) await main({ configPath: process.argv[2] ?? "config.yaml" })
