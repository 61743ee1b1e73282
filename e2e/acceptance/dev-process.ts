/**
 * `node bin/tributary.js dev <entry> --port P --data DIR --no-watch` as a real process in its own
 * process group, so `stop()` kills it and every container it started, whatever state it is in.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";
import { freePort, waitFor } from "../harness/processes.js";

const BIN = fileURLToPath(new URL("../../../bin/tributary.js", import.meta.url));

export interface DevProcess {
  url: string;
  child: ChildProcess;
  output(): string;
  stop(): Promise<void>;
}

export async function startDev(entry: string, dataDir: string): Promise<DevProcess> {
  const port = await freePort();
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  // The developer's own TRIBUTARY_* settings must not leak into the test.
  for (const k of Object.keys(env)) if (k.startsWith("TRIBUTARY_")) delete env[k];
  const child = spawn(process.execPath, [BIN, "dev", entry, "--port", String(port), "--data", dataDir, "--no-watch"], {
    env,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true, // its own process group: containers die with it
  });
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const url = `http://127.0.0.1:${port}`;
  const dev: DevProcess = {
    url,
    child,
    output: () => out,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise<void>((r) => child.once("exit", () => r()));
      try {
        process.kill(-child.pid!, "SIGKILL");
      } catch {
        /* already gone */
      }
      await exited;
    },
  };
  try {
    await waitFor(
      "tributary dev to serve /healthz and finish deploying",
      async () => {
        if (child.exitCode !== null) throw new Error(`tributary dev exited ${child.exitCode}:\n${out}`);
        if (!out.includes("Not watching for changes")) return false;
        try {
          return (await fetch(`${url}/healthz`)).ok;
        } catch {
          return false;
        }
      },
      60_000,
      100,
    );
  } catch (e) {
    await dev.stop();
    throw e;
  }
  return dev;
}
