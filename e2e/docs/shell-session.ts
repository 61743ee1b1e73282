/**
 * Runs the command blocks of one docs scenario the way a user pastes them into terminals in one
 * directory: each command through `sh`, long-running ones (`tributary dev|server|executor`) in a
 * terminal of their own that stays open until the scenario ends, the others to completion.
 *
 * What differs from the text, and why:
 * - The port. The docs use 8900; tests share the machine, so a free port replaces it: in
 *   `127.0.0.1:8900`, as `--port` for `dev` and `server` when the command gives none, and as
 *   `TRIBUTARY_SERVER` for client commands that rely on the default address.
 * - The environment. The developer's own `TRIBUTARY_*` settings are removed, and npm may not
 *   download anything (a `tributary` that is not the checkout's must fail, not be fetched).
 * - curl, only where it is not installed: a stand-in replays the docs' curl lines (curl-stand-in.ts).
 *
 * Consecutive short commands of one block run in one shell, so a variable a block sets
 * (`id=$(…)`) is seen by the commands after it, as in a terminal. Each command must exit 0 and,
 * when the text shows its output, print exactly that on stdout (markdown.ts `outputMatches`).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { waitFor } from "../harness/processes.js";
import { curlStandIn } from "./curl-stand-in.js";
import { outputMatches, type DocBlock, type DocCommand } from "./markdown.js";

const LONG_RUNNING = /(^|\s)tributary\s+(dev|server|executor)(\s|$)/;
const STARTS_SERVER = /(^|\s)tributary\s+(dev|server)(\s|$)/;
const READY_TIMEOUT_MS = 120_000;
const COMMANDS_TIMEOUT_MS = 150_000;
const STOP_GRACE_MS = 20_000;

interface Terminal {
  command: DocCommand;
  child: ChildProcess;
  stdout: string;
  stderr: string;
}

export class DocSession {
  private readonly terminals: Terminal[] = [];
  private readonly env: Record<string, string>;

  constructor(
    private readonly dir: string,
    private readonly port: number,
  ) {
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(process.env)) if (v !== undefined && !k.startsWith("TRIBUTARY_")) env[k] = v;
    const curlDir = curlStandIn(dir);
    this.env = {
      ...env,
      ...(curlDir ? { PATH: `${curlDir}:${env.PATH ?? ""}` } : {}),
      TRIBUTARY_SERVER: `http://127.0.0.1:${port}`,
      NO_COLOR: "1",
      npm_config_offline: "true",
      npm_config_update_notifier: "false",
      npm_config_fund: "false",
    };
  }

  /** The command with the free port in place of 8900. */
  adapt(text: string): string {
    let t = text.replaceAll("127.0.0.1:8900", `127.0.0.1:${this.port}`);
    if (STARTS_SERVER.test(t) && !/\s--port(\s|=)/.test(t)) t += ` --port ${this.port}`;
    return t;
  }

  private expected(c: DocCommand): string[] {
    return c.expected.map((e) => e.replaceAll("127.0.0.1:8900", `127.0.0.1:${this.port}`));
  }

  /** Runs every command of a block in order; throws with the command, its place and its output. */
  async runBlock(block: DocBlock): Promise<void> {
    let group: DocCommand[] = [];
    for (const c of block.commands) {
      if (!LONG_RUNNING.test(c.text)) {
        group.push(c);
        continue;
      }
      await this.runCommands(block, group);
      group = [];
      await this.startTerminal(block, c);
    }
    await this.runCommands(block, group);
  }

  private async startTerminal(block: DocBlock, c: DocCommand): Promise<void> {
    const where = `${block.file}:${c.line}`;
    const expected = this.expected(c);
    if (expected.length === 0)
      throw new Error(
        `${where}: a long-running command must show what it prints once ready, so a reader (and this test) knows when to go on`,
      );
    // detached: its own process group, like a terminal's job; stop() signals the whole group.
    const child = spawn("sh", ["-c", this.adapt(c.text)], {
      cwd: this.dir,
      env: this.env,
      stdio: ["ignore", "pipe", "pipe"],
      detached: true,
    });
    const t: Terminal = { command: c, child, stdout: "", stderr: "" };
    child.stdout!.on("data", (d: Buffer) => (t.stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (t.stderr += d.toString()));
    this.terminals.push(t);
    await waitFor(
      `${where} \`${c.text}\` to print what the docs show`,
      () => {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(
            `${where}: \`${c.text}\` exited (${child.exitCode ?? child.signalCode}) before it was ready\n${describeOutput(t.stdout, t.stderr)}`,
          );
        }
        return outputMatches(expected, t.stdout, true);
      },
      READY_TIMEOUT_MS,
      100,
    ).catch((e: Error) => {
      throw new Error(
        `${e.message}\nexpected (as a prefix):\n${expected.join("\n")}\n${describeOutput(t.stdout, t.stderr)}`,
      );
    });
  }

  private async runCommands(block: DocBlock, commands: DocCommand[]): Promise<void> {
    if (commands.length === 0) return;
    // Markers on stdout split the output per command; the exit code of each is reported, and the
    // shell stops at the first failure as a user would.
    const script = commands
      .map(
        (c, i) =>
          `printf '\\n@@docs %d start@@\\n' ${i}\n${this.adapt(c.text)}\n__docs_rc=$?\nprintf '\\n@@docs %d exit %d@@\\n' ${i} $__docs_rc\n[ $__docs_rc -eq 0 ] || exit $__docs_rc`,
      )
      .join("\n");
    const { stdout, stderr } = await runShell(script, this.dir, this.env, COMMANDS_TIMEOUT_MS);
    for (const [i, c] of commands.entries()) {
      const where = `${block.file}:${c.line}`;
      const m = new RegExp(`\\n@@docs ${i} start@@\\n([\\s\\S]*?)\\n@@docs ${i} exit (\\d+)@@\\n`).exec(stdout);
      if (!m) throw new Error(`${where}: \`${c.text}\` did not finish\n${describeOutput(stdout, stderr)}`);
      const out = m[1]!;
      if (m[2] !== "0") throw new Error(`${where}: \`${c.text}\` exited ${m[2]}\n${describeOutput(out, stderr)}`);
      const expected = this.expected(c);
      if (expected.length > 0 && !outputMatches(expected, out)) {
        throw new Error(
          `${where}: \`${c.text}\` printed something else than the docs show\nexpected:\n${expected.join("\n")}\n${describeOutput(out, stderr)}`,
        );
      }
    }
  }

  /**
   * Ctrl-C in every terminal (SIGINT to each process group, as a terminal sends it), in reverse
   * order of start. Returns the commands whose process group (npx, tributary, its containers) was
   * not gone after the grace; every group is killed either way.
   */
  async stop(): Promise<string[]> {
    const slow: string[] = [];
    for (const t of [...this.terminals].reverse()) {
      if (groupAlive(t.child)) {
        signalGroup(t.child, "SIGINT");
        const gone = await waitFor("the process group to exit", () => !groupAlive(t.child), STOP_GRACE_MS, 50).then(
          () => true,
          () => false,
        );
        if (!gone) slow.push(t.command.text);
      }
      signalGroup(t.child, "SIGKILL");
    }
    this.terminals.length = 0;
    return slow;
  }
}

/** True while any process of the child's group is alive (signal 0 probes without signalling). */
function groupAlive(child: ChildProcess): boolean {
  try {
    process.kill(-child.pid!, 0);
    return true;
  } catch {
    return false;
  }
}

function signalGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    process.kill(-child.pid!, signal);
  } catch {
    /* already gone */
  }
}

function runShell(
  script: string,
  cwd: string,
  env: Record<string, string>,
  timeoutMs: number,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn("sh", ["-c", script], { cwd, env, stdio: ["ignore", "pipe", "pipe"], detached: true });
    let stdout = "";
    let stderr = "";
    child.stdout!.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr!.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      signalGroup(child, "SIGKILL");
      reject(new Error(`commands did not finish within ${timeoutMs / 1000} s\n${describeOutput(stdout, stderr)}`));
    }, timeoutMs);
    child.once("error", reject);
    child.once("close", () => {
      clearTimeout(timer);
      resolve({ stdout, stderr });
    });
  });
}

function describeOutput(stdout: string, stderr: string): string {
  const cut = (s: string): string => (s.length > 4000 ? "…" + s.slice(-4000) : s);
  return `stdout:\n${cut(stdout)}\nstderr:\n${cut(stderr)}`;
}
