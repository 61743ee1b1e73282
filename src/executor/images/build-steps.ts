/**
 * Running an image's build steps on the host (the process backend only, whose functions run on the
 * host unisolated too; the sandbox backend builds layers in a sandbox, see sandbox-build.ts), in
 * order, inside an image directory that stands for the image's root filesystem:
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

const BUILD_ERROR = Symbol.for("tributary.image-build-error");

/** A build step failed; the message names the image, the step and the cause. */
export class ImageBuildError extends Error {
  override readonly name = "ImageBuildError";
  readonly [BUILD_ERROR] = true;
}

/** True for an {@link ImageBuildError} (by brand, not by name: any error may call itself that). */
export function isImageBuildError(e: unknown): e is ImageBuildError {
  return typeof e === "object" && e !== null && (e as Record<symbol, unknown>)[BUILD_ERROR] === true;
}

export interface BuildOptions {
  /** Where relative `copy` sources are read from (the bundle's build context; null: none). */
  contextDir: string | null;
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

/** Why a `copy` step has nothing to copy from. */
export const NO_CONTEXT =
  "no build context was deployed with this bundle (deploy again with this version's client, which uploads Image.copy sources)";

/** A step as build errors name it. */
export function describeStep(s: ImageStep): string {
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

/**
 * Runs `argv` to completion; rejects with the exit code or signal and the output's last lines.
 * @example await runCommand(["/bin/sh", "-c", "make"], { cwd: "/src", env: { PATH }, timeoutMs: 60_000 });
 */
export function runCommand(
  argv: string[],
  o: { cwd?: string | undefined; env: Record<string, string>; timeoutMs: number },
): Promise<void> {
  const timeoutMs = o.timeoutMs;
  return new Promise((resolveRun, reject) => {
    const child = spawn(argv[0]!, argv.slice(1), { cwd: o.cwd, env: o.env, stdio: ["ignore", "pipe", "pipe"] });
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

/** What a builder does for each kind of step (`wd` and `dest` are relative to the image root). */
export interface StepActions {
  workdir(wd: string): Promise<void> | void;
  run(command: string, wd: string): Promise<void>;
  copy(src: string, dest: string): Promise<void> | void;
}

/**
 * Walks `spec`'s steps in order: `env` steps go into `env` (which later steps see), workdirs are
 * resolved against the current one, and a failure becomes an {@link ImageBuildError} naming the step.
 * @example await walkSteps(spec, env, { workdir: mkdir, run: sh, copy: cp });
 */
export async function walkSteps(spec: ImageSpec, env: Record<string, string>, a: StepActions): Promise<void> {
  let wd = "";
  for (const [i, s] of spec.steps.entries()) {
    try {
      if (s.op === "env") env[s.key] = s.value;
      else if (s.op === "workdir") await a.workdir((wd = underRoot(wd, s.path)));
      else if (s.op === "run") await a.run(s.command, wd);
      else await a.copy(s.src, underRoot(wd, s.dest));
    } catch (e) {
      throw stepFailed(spec, i, e);
    }
  }
}

/**
 * Runs every step of `spec` into `root` (which exists and is empty).
 * @example await runBuildSteps(spec, "/data/images/ab12", { contextDir: process.cwd(), baseEnv: { PATH }, stepTimeoutMs: 600_000 });
 */
export function runBuildSteps(spec: ImageSpec, root: string, o: BuildOptions): Promise<void> {
  const env: Record<string, string> = { ...o.baseEnv, HOME: root, TRIBUTARY_IMAGE_DIR: root };
  return walkSteps(spec, env, {
    workdir: (wd) => void mkdirSync(join(root, wd), { recursive: true }),
    run: async (command, wd) => {
      mkdirSync(join(root, wd), { recursive: true });
      await runCommand(["/bin/sh", "-c", command], { cwd: join(root, wd), env, timeoutMs: o.stepTimeoutMs });
    },
    copy: (src, dest) => {
      if (!o.contextDir) throw new Error(NO_CONTEXT);
      mkdirSync(dirname(join(root, dest)), { recursive: true });
      cpSync(join(o.contextDir, underRoot("", src)), join(root, dest), { recursive: true, verbatimSymlinks: true });
    },
  });
}

/** The error for step `i` of `spec` failing with `e`. */
export function stepFailed(spec: ImageSpec, i: number, e: unknown): ImageBuildError {
  const why = e instanceof Error ? e.message : String(e);
  return new ImageBuildError(
    `image ${spec.name} (${spec.id}) failed to build at step ${i + 1} (${describeStep(spec.steps[i]!)}): ${why}`,
  );
}
