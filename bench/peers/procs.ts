/**
 * Child processes of the peer benchmark: each in its own process group (detached), killed as a group
 * at the end, whatever happened. Loopback ports are picked by the kernel (bind to port 0).
 */
import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";
import { createServer } from "node:net";

const started: ChildProcess[] = [];

export function startGroup(cmd: string, args: string[], o: SpawnOptions): ChildProcess {
  const child = spawn(cmd, args, { ...o, detached: true });
  started.push(child);
  return child;
}

/** SIGTERM then SIGKILL to every group started here; bounded by `graceMs`. */
export async function killAll(graceMs = 5000): Promise<void> {
  const alive = started.filter((c) => c.exitCode === null && c.signalCode === null);
  const exits = alive.map((c) => new Promise<void>((r) => c.once("exit", () => r())));
  for (const c of alive) signalGroup(c, "SIGTERM");
  await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, graceMs))]);
  // Whatever remains of each group (also grandchildren) is killed outright.
  for (const c of started) signalGroup(c, "SIGKILL");
}

function signalGroup(c: ChildProcess, sig: NodeJS.Signals): void {
  try {
    if (c.pid) process.kill(-c.pid, sig);
  } catch {
    /* gone */
  }
}

/** A free loopback TCP port (there is a small race until the user binds it; fine on loopback). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once("error", reject);
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

/** Resolves with the first stdout line matching `re`, or rejects after `timeoutMs` / on exit. */
export function waitForLine(child: ChildProcess, re: RegExp, timeoutMs: number): Promise<RegExpExecArray> {
  return new Promise((resolve, reject) => {
    let buf = "";
    const timer = setTimeout(
      () => reject(new Error(`no line matching ${re} within ${timeoutMs} ms; output: ${buf.slice(-2000)}`)),
      timeoutMs,
    );
    const on = (d: Buffer): void => {
      buf += d.toString();
      const m = re.exec(buf);
      if (m) {
        clearTimeout(timer);
        child.stdout?.off("data", on);
        resolve(m);
      }
    };
    child.stdout?.on("data", on);
    child.stderr?.on("data", (d: Buffer) => (buf += d.toString()));
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`exited (${code}) before ${re}; output: ${buf.slice(-2000)}`));
    });
  });
}

/** Polls `check` every 100 ms until it resolves true, for at most `timeoutMs`. */
export async function until(what: string, timeoutMs: number, check: () => Promise<boolean>): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (await check().catch(() => false)) return;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what}: not ready within ${timeoutMs} ms`);
}
