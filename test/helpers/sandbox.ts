/** Whether this machine can run the sandbox backend, for tests that need it (skip with the reason). */
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detectSandbox, sandboxRuntime } from "../../src/executor/backends/sandbox-host.js";

/**
 * False where the sandbox works; otherwise why not, as a skip message.
 * @example const skip = await sandboxSkipReason(); describe("isolation", { skip }, () => { … });
 */
export async function sandboxSkipReason(): Promise<string | false> {
  const dir = mkdtempSync(join(tmpdir(), "tributary-probe-"));
  try {
    const s = await detectSandbox(sandboxRuntime(dir));
    return s.ok ? false : `no sandbox on this machine: ${s.reason}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
