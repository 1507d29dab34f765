/**
 * Checks an AWS Signature Version 4 on a request a simulator recorded, so a test can prove the Bedrock
 * client signed with the configured secret access key (the secret itself never travels on the wire).
 */
import { createHash, createHmac } from "node:crypto"
import type { RecordedRequest } from "@llm-orchestrator/testing"

const sha256 = (data: string) => createHash("sha256").update(data, "utf8").digest("hex")
const hmac = (key: string | Buffer, data: string) => createHmac("sha256", key).update(data, "utf8").digest()

const rfc3986 = (text: string) =>
  encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)

export interface SignatureCheck {
  readonly accessKeyId: string
  readonly valid: boolean
}

/** Recomputes the request's SigV4 signature with `secretAccessKey` and compares it with the one sent. */
export const checkSigV4 = (request: RecordedRequest, secretAccessKey: string): SignatureCheck => {
  const authorization = String(request.headers.authorization ?? "")
  const match = /^AWS4-HMAC-SHA256 Credential=([^/]+)\/([^,]+), SignedHeaders=([^,]+), Signature=([0-9a-f]+)$/.exec(
    authorization
  )
  if (!match) return { accessKeyId: "", valid: false }
  const [, accessKeyId = "", scope = "", signedHeaders = "", signature = ""] = match
  const [date = "", region = "", service = ""] = scope.split("/")
  const amzDate = String(request.headers["x-amz-date"] ?? "")
  const canonicalHeaders = signedHeaders
    .split(";")
    .map((name) => `${name}:${String(request.headers[name] ?? "").trim()}\n`)
    .join("")
  const query = [...request.query.entries()]
    .map(([k, v]) => [rfc3986(k), rfc3986(v)] as const)
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([k, v]) => `${k}=${v}`)
    .join("&")
  const payloadHash = String(request.headers["x-amz-content-sha256"] ?? sha256(request.rawBody))
  const signingKey = hmac(hmac(hmac(hmac(`AWS4${secretAccessKey}`, date), region), service), "aws4_request")
  // Services other than S3 sign the path with every segment escaped once more.
  const paths = [request.path.split("/").map(rfc3986).join("/"), request.path]
  const valid = paths.some((path) => {
    const canonical = [request.method, path, query, canonicalHeaders, signedHeaders, payloadHash].join("\n")
    const toSign = ["AWS4-HMAC-SHA256", amzDate, scope, sha256(canonical)].join("\n")
    return hmac(signingKey, toSign).toString("hex") === signature
  })
  return { accessKeyId, valid: valid && payloadHash === sha256(request.rawBody) }
}
