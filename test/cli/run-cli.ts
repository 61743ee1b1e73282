/**
 * Runs `node bin/tributary.js …` as a user would, with a time bound; the environment is cleaned
 * of TRIBUTARY_* so the developer's own settings never leak into a test.
 */
import { spawn } from "node:child_process";
import { fileURLToPath } from "node:url";

/** bin/tributary.js, from dist/test/cli/. */
export const BIN = fileURLToPath(new URL("../../../bin/tributary.js", import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runCli(
  args: string[],
  opts: { env?: Record<string, string>; stdin?: string; timeoutMs?: number; cwd?: string } = {},
): Promise<CliResult> {
  const env: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("TRIBUTARY_")) delete env[k];
  Object.assign(env, { NO_COLOR: "1" }, opts.env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { env, cwd: opts.cwd, stdio: ["pipe", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(
        new Error(
          `tributary ${args.join(" ")} did not finish in ${opts.timeoutMs ?? 15_000} ms\nstdout: ${stdout}\nstderr: ${stderr}`,
        ),
      );
    }, opts.timeoutMs ?? 15_000);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
    child.stdin.end(opts.stdin ?? "");
  });
}
