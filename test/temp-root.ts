/**
 * Vitest global setup: one temp folder per test run, removed when the run ends. Tests (and the
 * processes they spawn) make their temp files with `os.tmpdir()`, which reads TMPDIR, so nothing is
 * left behind in the machine's temp folder, whatever a test forgets to delete.
 */
import { chmodSync, mkdtempSync, rmSync } from "node:fs"
import { tmpdir } from "node:os"
import { join } from "node:path"

export default function setup(): () => void {
  const root = mkdtempSync(join(tmpdir(), "llm-orchestrator-tests-"))
  // mkdtemp makes it 0700: servers a test starts as another user must still reach their files.
  chmodSync(root, 0o755)
  process.env.TMPDIR = root
  return () => rmSync(root, { recursive: true, force: true })
}
