// Issue 9.3: the documented production path (`tributary server`, `tributary executor --server URL`,
// `tributary deploy`, `tributary run`) with default and relative path flags, started from a working
// directory that is not the checkout. Before the fix, the executor's relative default `--data` was
// read from inside each container's own directory, so every call failed with "Cannot find module".
// Also: `--blobs s3://…` and unknown `--store` schemes are refused at start-up, creating nothing.
import { after, describe, it } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { freePort, waitFor } from "../harness/processes.js";
import { schemaFactory, TEST_POSTGRES_URL, unreachableReason } from "../../test/helpers/postgres-database.js";

const BIN = fileURLToPath(new URL("../../../bin/tributary.js", import.meta.url));
const T = { timeout: 90_000 };

const dirs: string[] = [];
const children: ChildProcess[] = [];

function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "tributary-relpaths-"));
  dirs.push(d);
  return d;
}

function cleanEnv(): Record<string, string | undefined> {
  const env: Record<string, string | undefined> = { ...process.env, NO_COLOR: "1" };
  for (const k of Object.keys(env)) if (k.startsWith("TRIBUTARY_")) delete env[k];
  return env;
}

/** A long-running `tributary …` in `cwd`, in its own process group (killed in `after`). */
function startCli(args: string[], cwd: string): { child: ChildProcess; output: () => string } {
  let out = "";
  const child = spawn(process.execPath, [BIN, ...args], {
    cwd,
    env: cleanEnv(),
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  children.push(child);
  return { child, output: () => out };
}

/** `tributary server …` in `cwd`, once it answers on `url`. */
async function startServer(args: string[], cwd: string, url: string): Promise<ReturnType<typeof startCli>> {
  const server = startCli(["server", ...args], cwd);
  await waitFor(
    `the server on ${url}`,
    async () => {
      if (server.child.exitCode !== null) throw new Error(`server exited: ${server.output()}`);
      return fetch(`${url}/healthz`).then(
        (r) => r.ok,
        () => false,
      );
    },
    30_000,
    50,
  );
  return server;
}

/** A `tributary …` that finishes: its exit code and output. */
function runCli(args: string[], cwd: string): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], { cwd, env: cleanEnv(), stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`tributary ${args.join(" ")} timed out\n${stdout}\n${stderr}`));
    }, 60_000);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    });
  });
}

after(() => {
  for (const c of children) {
    try {
      process.kill(-c.pid!, "SIGKILL");
    } catch {
      /* already gone */
    }
  }
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const APP = `import { application, fn } from "tributary";
export const shout = application(fn(async function shout(text: string) { return text.toUpperCase() + "!"; }));
`;

describe("server + executor + deploy + run with default and relative paths", () => {
  it("runs a request from a working directory that is not the checkout", T, async () => {
    const cwd = tempDir();
    mkdirSync(join(cwd, "src"));
    writeFileSync(join(cwd, "src", "app.ts"), APP);
    writeFileSync(join(cwd, "input.json"), JSON.stringify("from a file"));
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    // Default --store and --blobs: .tributary/… under cwd.
    await startServer(["--port", String(port)], cwd, url);
    // Default --data: .tributary/executor under cwd.
    const executor = startCli(["executor", "--server", url, "--cpu", "4"], cwd);
    await waitFor(
      "the executor to connect",
      () => {
        if (executor.child.exitCode !== null) throw new Error(`executor exited: ${executor.output()}`);
        return executor.output().includes("serving");
      },
      30_000,
      50,
    );

    const deployed = await runCli(["deploy", "src/app.ts", "--server", url], cwd);
    assert.equal(deployed.code, 0, deployed.stderr);
    assert.match(deployed.stdout, /deployed shout version 1/);

    const ran = await runCli(["run", "shout", '"quiet please"', "--server", url], cwd);
    assert.equal(ran.code, 0, `${ran.stderr}\nexecutor:\n${executor.output()}`);
    assert.equal(ran.stdout, "QUIET PLEASE!\n");
    const fromFile = await runCli(["run", "shout", "--input-file", "input.json", "--server", url], cwd);
    assert.equal(fromFile.code, 0, fromFile.stderr);
    assert.equal(fromFile.stdout, "FROM A FILE!\n");

    // Everything landed under the directory the commands were started in.
    assert.ok(existsSync(join(cwd, ".tributary", "tributary.db")));
    assert.ok(existsSync(join(cwd, ".tributary", "blobs")));
    assert.ok(readdirSync(join(cwd, ".tributary", "executor", "bundles")).length > 0);
  });

  it("relative --store sqlite:PATH, --blobs and --data are resolved against the working directory", T, async () => {
    const cwd = tempDir();
    writeFileSync(join(cwd, "app.ts"), APP);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    await startServer(
      ["--port", String(port), "--store", "sqlite:state/db.sqlite", "--blobs", "state/blobs"],
      cwd,
      url,
    );
    const executor = startCli(["executor", "--server", url, "--cpu", "4", "--data", "state/executor"], cwd);
    await waitFor("the executor to connect", () => executor.output().includes("serving"), 30_000, 50);
    assert.equal((await runCli(["deploy", "./app.ts", "--server", url], cwd)).code, 0);
    const ran = await runCli(["run", "shout", '"ok"', "--server", url], cwd);
    assert.equal(ran.code, 0, `${ran.stderr}\nexecutor:\n${executor.output()}`);
    assert.equal(ran.stdout, "OK!\n");
    const state = readdirSync(join(cwd, "state"));
    for (const name of ["blobs", "db.sqlite", "executor"])
      assert.ok(state.includes(name), `${name} in ${state.join(", ")}`);
    assert.deepEqual(readdirSync(cwd).sort(), ["app.ts", "state"]);
    assert.ok(readdirSync(join(cwd, "state", "executor", "bundles")).length > 0);
  });
});

const pgSkip = await unreachableReason();
if (pgSkip !== null) console.log(`postgres tests skipped: ${pgSkip}`);

describe("server on PostgreSQL without --blobs", { skip: pgSkip ?? false }, () => {
  const schemas = schemaFactory();
  after(() => schemas.dropAll());

  it("keeps blobs in the database: the server's working directory stays empty", T, async () => {
    const serverCwd = tempDir();
    const executorCwd = tempDir();
    writeFileSync(join(executorCwd, "app.ts"), APP);
    const port = await freePort();
    const url = `http://127.0.0.1:${port}`;
    const store = `${TEST_POSTGRES_URL}?schema=${schemas.next()}`;
    const server = await startServer(["--port", String(port), "--store", store], serverCwd, url);
    const executor = startCli(["executor", "--server", url, "--cpu", "4"], executorCwd);
    await waitFor("the executor to connect", () => executor.output().includes("serving"), 30_000, 50);
    const deployed = await runCli(["deploy", "app.ts", "--server", url], executorCwd);
    assert.equal(deployed.code, 0, deployed.stderr);
    const ran = await runCli(["run", "shout", '"no shared disk"', "--server", url], executorCwd);
    assert.equal(ran.code, 0, `${ran.stderr}\nserver:\n${server.output()}`);
    assert.equal(ran.stdout, "NO SHARED DISK!\n");
    assert.deepEqual(readdirSync(serverCwd), [], "no .tributary/blobs, no secret.key");
    // Both gone before `after` drops the schema: a server still writing would deadlock the DROP.
    const exited = [server.child, executor.child].map((c) =>
      c.exitCode !== null || c.signalCode !== null ? Promise.resolve() : new Promise((r) => c.once("exit", r)),
    );
    process.kill(-server.child.pid!, "SIGTERM");
    process.kill(-executor.child.pid!, "SIGTERM");
    await Promise.all(exited);
  });
});

describe("unsupported locations are refused at start-up", () => {
  for (const [flag, value, supported] of [
    ["--blobs", "s3://bucket/prefix", /--blobs takes a local directory/],
    ["--blobs", "gs://bucket", /--blobs takes a local directory/],
    ["--blobs", "postgres://elsewhere/db", /blobs live in the database when --blobs is left out/],
    ["--store", "s3://bucket/db", /--store takes sqlite:PATH, a file path or postgres:\/\//],
    ["--store", "mysql://db/x", /--store takes sqlite:PATH, a file path or postgres:\/\//],
  ] as const) {
    it(`server ${flag} ${value}`, T, async () => {
      const cwd = tempDir();
      const r = await runCli(["server", "--port", "0", flag, value], cwd);
      assert.notEqual(r.code, 0);
      assert.match(
        r.stderr,
        new RegExp(`^error: ${flag} ${value.replace(/[/.]/g, "\\$&")}: "\\w+:" is not supported; `),
      );
      assert.match(r.stderr, supported);
      assert.equal(r.stdout, "");
      // Nothing was created: no `s3:` directory, no database, no blob directory.
      assert.deepEqual(readdirSync(cwd), []);
    });
  }
});
