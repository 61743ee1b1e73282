/**
 * OCI backend, container side: the `docker run` / `podman run` argument list for one container.
 *
 * Limits map onto the engine's own: `--cpus`, `--memory` with equal `--memory-swap` (no swap), a
 * size-limited tmpfs at `/tmp` for the ephemeral disk (TMPDIR points there), `--pids-limit`.
 * Secrets never appear on the command line (visible to `ps`): `-e NAME` names them and the values
 * travel in the environment of the engine CLI process (`env` of the result).
 */
import { execFileSync } from "node:child_process";

export type OciEngine = "docker" | "podman";

export interface OciRunOptions {
  engine: OciEngine;
  image: string;
  /** Container name (the container id). */
  name: string;
  cpu: number;
  memoryBytes: number;
  diskBytes: number;
  env: Record<string, string>;
  /** GPU device indices to expose (e.g. ["0", "1"]). */
  gpus: string[];
  pidsLimit?: number | undefined;
}

/** Arguments for the engine CLI, and the environment to start it with. */
export interface OciRunCommand {
  command: OciEngine;
  args: string[];
  env: Record<string, string>;
}

/**
 * Builds the run command; `-i` keeps stdin open for the container protocol.
 * @example const { command, args, env } = ociRunArgs({ engine: "docker", image: "tributary/x:ab12", name: "c-1", cpu: 2, memoryBytes: 2 ** 30, diskBytes: 2 * 2 ** 30, env: {}, gpus: [] });
 */
export function ociRunArgs(o: OciRunOptions): OciRunCommand {
  const mem = Math.floor(o.memoryBytes);
  const args = ["run", "--rm", "-i", "--name", o.name, "--label", "tributary.container=" + o.name];
  // Node needs no capability: none is kept, and nothing may gain one (setuid binaries included).
  args.push("--cap-drop", "ALL", "--security-opt", "no-new-privileges");
  args.push("--cpus", String(o.cpu), "--memory", `${mem}b`, "--memory-swap", `${mem}b`);
  args.push("--pids-limit", String(o.pidsLimit ?? 4096));
  args.push("--tmpfs", `/tmp:rw,nosuid,nodev,size=${Math.floor(o.diskBytes)},mode=1777`);
  const env: Record<string, string> = { TMPDIR: "/tmp", ...o.env };
  if (o.gpus.length) {
    // Docker: the NVIDIA runtime's device list; Podman: CDI device names.
    if (o.engine === "docker") args.push("--gpus", `"device=${o.gpus.join(",")}"`);
    else for (const g of o.gpus) args.push("--device", `nvidia.com/gpu=${g}`);
    env.CUDA_VISIBLE_DEVICES = o.gpus.map((_, i) => String(i)).join(",");
  }
  for (const k of Object.keys(env).sort()) args.push("-e", k);
  args.push(o.image);
  return { command: o.engine, args, env };
}

/**
 * The first engine on PATH that answers `version`, or null (then only the process backend runs).
 * @example detectOciEngine() // null on a machine without Docker or Podman
 */
export function detectOciEngine(candidates: OciEngine[] = ["docker", "podman"]): OciEngine | null {
  for (const c of candidates) {
    try {
      execFileSync(c, ["version"], { stdio: "ignore", timeout: 5000 });
      return c;
    } catch {
      /* absent or no daemon */
    }
  }
  return null;
}
