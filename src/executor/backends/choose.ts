/**
 * Which container backend an executor uses, decided once at start (DESIGN §3 Container backends):
 * - `sandbox`: the default wherever it works (Linux with bubblewrap; see sandbox-host.ts);
 * - `process`: plain child processes, chosen explicitly or as the fallback, announced once because
 *   its functions are not isolated from the machine;
 * - `oci`: an engine's `run` of each function's image; only when asked for.
 * An explicitly requested backend that cannot work here is an error at start, never a silent
 * downgrade.
 */
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { OciImages } from "../images/oci-images.js";
import { detectOciEngine, type OciEngine } from "../images/oci-run.js";
import { CpuAffinity } from "../limits/cpu-affinity.js";
import { forkLauncher, ociLauncher, socketLauncher, type Launcher } from "../launch.js";
import { sandboxLauncher } from "./sandbox.js";
import type { ContainerBackend } from "./kinds.js";
import { detectSandbox, sandboxRuntime, type SandboxHost } from "./sandbox-host.js";

export { BACKEND_LABEL, CONTAINER_BACKENDS, type ContainerBackend } from "./kinds.js";

export interface BackendChoiceOptions {
  backend?: ContainerBackend | undefined;
  ociEngine?: OciEngine | undefined;
  containerChannel?: "fork" | "socket" | undefined;
  dataDir: string;
  socketDir: string;
  /** A delegated cgroup limits CPU already: no core pinning. */
  cpuLimitedByCgroup: boolean;
  log: (line: string) => void;
}

export interface BackendChoice {
  backend: ContainerBackend;
  launcher: Launcher;
  /** The OCI backend's image builder; null otherwise. */
  oci: OciImages | null;
  /** The sandbox backend's host, and the mount point of assembled roots; null otherwise. */
  sandbox: { host: SandboxHost; mountDir: string } | null;
}

/** The backend when none is asked for; undefined: `sandbox` where it works, else `process`. */
const DEFAULT_BACKEND: ContainerBackend | undefined = undefined;

const NOT_ISOLATED = "functions run as plain processes of this machine and are NOT isolated from it";

/**
 * Picks and prepares the backend.
 * @example const { backend, launcher } = await chooseBackend({ dataDir, socketDir, cpuLimitedByCgroup: false, log: console.error });
 */
export async function chooseBackend(o: BackendChoiceOptions): Promise<BackendChoice> {
  if (o.backend === "oci") {
    const engine = o.ociEngine ?? detectOciEngine();
    if (!engine)
      throw new Error(
        'executor option backend "oci": no docker or podman engine answers on this machine (use backend "sandbox" or "process")',
      );
    return {
      backend: "oci",
      launcher: ociLauncher(engine, o.socketDir),
      oci: new OciImages(engine),
      sandbox: null,
    };
  }
  const processBackend = (): BackendChoice => ({
    backend: "process",
    launcher: o.containerChannel === "socket" ? socketLauncher(o.socketDir) : forkLauncher,
    oci: null,
    sandbox: null,
  });
  // The socket channel is a process-backend channel (the OCI one, tested without an engine).
  const wanted = o.backend ?? (o.containerChannel === "socket" ? "process" : DEFAULT_BACKEND);
  if (wanted === "process") {
    o.log(`tributary executor: process backend: ${NOT_ISOLATED}`);
    return processBackend();
  }
  const support = await detectSandbox(sandboxRuntime(o.dataDir));
  if (support.ok) {
    // Only ever a mount point inside new mount namespaces: nothing is mounted on it in the host's.
    const mountDir = join(o.dataDir, "mnt");
    mkdirSync(mountDir, { recursive: true });
    const affinity = o.cpuLimitedByCgroup ? null : new CpuAffinity();
    return {
      backend: "sandbox",
      launcher: sandboxLauncher({ host: support.host, mountDir, runtimeDir: join(o.dataDir, "runtime"), affinity }),
      oci: null,
      sandbox: { host: support.host, mountDir },
    };
  }
  if (wanted === "sandbox")
    throw new Error(
      `executor option backend "sandbox": ${support.reason} (use backend "process" to run functions without isolation)`,
    );
  o.log(
    `tributary executor: no sandbox on this machine (${support.reason}); using the process backend: ${NOT_ISOLATED}`,
  );
  return processBackend();
}
