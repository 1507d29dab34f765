/**
 * A throwaway self-signed certificate for 127.0.0.1, made by the `openssl` command line in a temp
 * directory (no dependency): a simulator serves https:// with it, and a test trusts it for the one
 * client under test, never process-wide.
 */
import { execFileSync } from "node:child_process"
import { mkdtempSync, readFileSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export interface Certificate {
  /** PEM private key (P-256). */
  readonly key: string
  /** PEM certificate for IP 127.0.0.1, valid one day: its own trust anchor. */
  readonly cert: string
}

export const selfSignedCertificate = (): Certificate => {
  const dir = mkdtempSync(join(tmpdir(), "llm-orchestrator-tls-"))
  const keyPath = join(dir, "key.pem")
  const certPath = join(dir, "cert.pem")
  try {
    execFileSync(
      "openssl",
      [
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:prime256v1",
        "-nodes",
        "-days",
        "1",
        "-subj",
        "/CN=127.0.0.1",
        "-addext",
        "subjectAltName=IP:127.0.0.1",
        "-keyout",
        keyPath,
        "-out",
        certPath
      ],
      { stdio: "pipe", timeout: 30_000 }
    )
    return { key: readFileSync(keyPath, "utf8"), cert: readFileSync(certPath, "utf8") }
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error)
    throw new Error(`cannot make a self-signed certificate with the openssl command (is it installed?): ${detail}`)
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}
