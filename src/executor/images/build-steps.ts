/**
 * Running an image's build steps on the host (the process backend), in order, inside an image
 * directory that stands for the image's root filesystem:
 * - `run`: `/bin/sh -c <command>` in the current workdir, with the env set so far;
 * - `env`: sets a variable for later steps (the container gets it from the assignment);
 * - `workdir`: changes the current directory (relative to the image root; an absolute path is
 *   taken under the image root), creating it;
 * - `copy`: copies a file or directory from the build context (relative `src`) into the workdir
 *   (relative `dest`) or under the image root (absolute `dest`).
 */
import { spawn } from "node:child_process";
import { cpSync, mkdirSync } from "node:fs";
import { dirname, isAbsolute, join, resolve } from "node:path";
import type { ImageSpec, ImageStep } from "../../core/options.js";

/** A build step failed; the message names the image, the step and the cause. */
export class ImageBuildError extends Error {
  override readonly name = "ImageBuildError";
}

export interface BuildOptions {
  /** Where relative `copy` sources are read from. */
  contextDir: string;
  /** Environment every step starts from (PATH and the like). */
  baseEnv: Record<string, string>;
  /** Longest a single `run` step may take. */
  stepTimeoutMs: number;
}

/** The image root's subdirectory that `workdir` steps point to, relative to the root ("" = root). */
export function finalWorkdir(spec: ImageSpec): string {
  let wd = "";
  for (const s of spec.steps) if (s.op === "workdir") wd = underRoot(wd, s.path);
  return wd;
}

/**
 * Resolves `p` against the current workdir `wd` (both relative to the image root), keeping the
 * result inside the root; "" is the root itself.
 * @example underRoot("app", "../x") // "x"
 */
export function underRoot(wd: string, p: string): string {
  const joined = isAbsolute(p) ? p : join("/", wd, p);
  // resolve() collapses any ".." so the result can never leave the root.
  return resolve("/", joined).slice(1);
}

function describeStep(s: ImageStep): string {
  switch (s.op) {
    case "run":
      return `run ${JSON.stringify(s.command)}`;
    case "env":
      return `env ${s.key}`;
    case "workdir":
      return `workdir ${JSON.stringify(s.path)}`;
    case "copy":
      return `copy ${JSON.stringify(s.src)} ${JSON.stringify(s.dest)}`;
  }
}

function runShell(command: string, cwd: string, env: Record<string, string>, timeoutMs: number): Promise<void> {
  return new Promise((resolveRun, reject) => {
    const child = spawn("/bin/sh", ["-c", command], { cwd, env, stdio: ["ignore", "pipe", "pipe"] });
    const tail: string[] = [];
    const keep = (b: Buffer): void => {
      tail.push(...b.toString("utf8").split("\n").filter(Boolean));
      tail.splice(0, Math.max(0, tail.length - 5));
    };
    child.stdout.on("data", keep);
    child.stderr.on("data", keep);
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      reject(e);
    });
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) return resolveRun();
      const why = signal
        ? `killed by ${signal}${signal === "SIGKILL" ? ` (step timeout ${timeoutMs / 1000} s?)` : ""}`
        : `exit code ${code}`;
      reject(new Error(`${why}${tail.length ? `: ${tail.join(" | ")}` : ""}`));
    });
  });
}

/**
 * Runs every step of `spec` into `root` (which exists and is empty).
 * @example await runBuildSteps(spec, "/data/images/ab12", { contextDir: process.cwd(), baseEnv: { PATH }, stepTimeoutMs: 600_000 });
 */
export async function runBuildSteps(spec: ImageSpec, root: string, o: BuildOptions): Promise<void> {
  const env: Record<string, string> = { ...o.baseEnv, HOME: root, TRIBUTARY_IMAGE_DIR: root };
  let wd = "";
  for (const [i, s] of spec.steps.entries()) {
    try {
      switch (s.op) {
        case "env":
          env[s.key] = s.value;
          break;
        case "workdir":
          wd = underRoot(wd, s.path);
          mkdirSync(join(root, wd), { recursive: true });
          break;
        case "run":
          mkdirSync(join(root, wd), { recursive: true });
          await runShell(s.command, join(root, wd), env, o.stepTimeoutMs);
          break;
        case "copy": {
          const dest = join(root, underRoot(wd, s.dest));
          mkdirSync(dirname(dest), { recursive: true });
          cpSync(resolve(o.contextDir, s.src), dest, { recursive: true });
          break;
        }
      }
    } catch (e) {
      throw new ImageBuildError(
        `image ${spec.name} (${spec.id}) failed to build at step ${i + 1} (${describeStep(s)}): ${(e as Error).message}`,
      );
    }
  }
}
