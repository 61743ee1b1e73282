// Auth with real `tributary server` and `tributary executor` processes: the safe-default bind
// policy, a refused executor exiting with its reason, and no secret or key in any captured output.
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { BIN, runCli } from "./run-cli.js";
import { sourceOf } from "../helpers/cluster.js";
import { TributaryClient } from "../../src/client/index.js";
import { deploy } from "../../src/client/deploy.js";

const dir = mkdtempSync(join(tmpdir(), "tributary-auth-proc-"));
const started: ChildProcess[] = [];
after(() => {
  for (const c of started) if (c.exitCode === null && c.signalCode === null) c.kill("SIGKILL");
  rmSync(dir, { recursive: true, force: true });
});

interface Proc {
  child: ChildProcess;
  output(): string;
  exited: Promise<number | null>;
}

function start(args: string[], env: Record<string, string> = {}): Proc {
  const clean: Record<string, string | undefined> = { ...process.env };
  for (const k of Object.keys(clean)) if (k.startsWith("TRIBUTARY_")) delete clean[k];
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...clean, NO_COLOR: "1", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  started.push(child);
  let out = "";
  child.stdout!.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr!.on("data", (d: Buffer) => (out += d.toString()));
  const exited = new Promise<number | null>((r) => child.once("exit", (code) => r(code)));
  return { child, output: () => out, exited };
}

async function waitFor<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  ms = 20_000,
): Promise<T> {
  const end = Date.now() + ms;
  for (;;) {
    const v = await probe();
    if (v !== undefined && v !== false) return v;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

async function startServer(
  name: string,
  args: string[],
  env: Record<string, string> = {},
): Promise<{ proc: Proc; url: string }> {
  const data = join(dir, name);
  const proc = start(
    ["server", "--port", "0", "--store", `sqlite:${join(data, "db.sqlite")}`, "--blobs", join(data, "blobs"), ...args],
    env,
  );
  const url = await waitFor(`server ${name}: ${proc.output()}`, () => {
    if (proc.child.exitCode !== null) throw new Error(`server exited: ${proc.output()}`);
    return /listening on (http:\/\/\S+)/.exec(proc.output())?.[1];
  });
  return { proc, url };
}

describe("safe defaults", () => {
  test("a non-loopback bind without a key refuses to start, naming --api-key and --insecure", async () => {
    const r = await runCli([
      "server",
      "--host",
      "0.0.0.0",
      "--port",
      "0",
      "--store",
      `sqlite:${join(dir, "refused", "db.sqlite")}`,
      "--blobs",
      join(dir, "refused", "blobs"),
    ]);
    assert.notEqual(r.code, 0);
    assert.match(r.stderr, /refusing to listen on 0\.0\.0\.0 without an API key/);
    assert.match(r.stderr, /--api-key/);
    assert.match(r.stderr, /--insecure/);
  });

  test("--insecure starts with a loud warning; loopback without keys says it serves everyone; keys say so", async () => {
    const insecure = await startServer("insecure", ["--host", "0.0.0.0", "--insecure"]);
    assert.match(insecure.proc.output(), /WARNING: --insecure: serving EVERYONE/);
    insecure.proc.child.kill("SIGTERM");
    const open = await startServer("open", []);
    assert.match(open.proc.output(), /no API key set: serving everyone who can reach 127\.0\.0\.1 \(loopback only\)/);
    open.proc.child.kill("SIGTERM");
    const keyed = await startServer("keyed", ["--host", "0.0.0.0"], { TRIBUTARY_API_KEYS: "k-one, k-two" });
    assert.match(keyed.proc.output(), /API keys required/);
    const url = keyed.url.replace("0.0.0.0", "127.0.0.1");
    assert.equal((await fetch(`${url}/applications`, { headers: { authorization: "Bearer k-two" } })).status, 200);
    assert.equal((await fetch(`${url}/applications`)).status, 401);
    keyed.proc.child.kill("SIGTERM");
    await Promise.all([insecure.proc.exited, open.proc.exited, keyed.proc.exited]);
  });
});

describe("executors and leaks", () => {
  const ADMIN = "bootstrap-admin-7d1f0c9e";
  const EXEC = "exec-token-5b2a94e1";
  const SECRET = "s3cr3t-value-9f8e7d6c";

  test("a refused executor exits non-zero saying why, and never says it serves", async () => {
    const { url } = await startServer("refusal", ["--executor-token", EXEC], { TRIBUTARY_API_KEYS: ADMIN });
    const fix = "start the executor with that value in --token or TRIBUTARY_EXECUTOR_TOKEN";
    const expected = "the server's executor token (its --executor-token or TRIBUTARY_EXECUTOR_TOKEN)";
    // A 401 does not say how the server is configured: the executor says what to present.
    const present =
      "start the executor with the server's executor token (its --executor-token or TRIBUTARY_EXECUTOR_TOKEN; " +
      "a server without one takes one of its admin keys) in --token or TRIBUTARY_EXECUTOR_TOKEN";
    const stops = "the executor stops: the server would reject it again";
    for (const [args, env, why] of [
      [
        ["--token", "wrong-token"],
        {},
        `error: ${url} rejected the executor token read from --token (HTTP 401: the executor token is not valid); ${present}; ${stops}\n`,
      ],
      [
        [],
        { TRIBUTARY_EXECUTOR_TOKEN: "wrong-token" },
        `error: ${url} rejected the executor token read from TRIBUTARY_EXECUTOR_TOKEN (HTTP 401: the executor token is not valid); ${present}; ${stops}\n`,
      ],
      [
        [],
        {},
        `error: ${url} requires an executor token and none is set (neither --token nor TRIBUTARY_EXECUTOR_TOKEN) (HTTP 401: missing 'Authorization: Bearer <executor token>'); ${present}; ${stops}\n`,
      ],
      [
        ["--token", ADMIN],
        {},
        `error: ${url} rejected the executor token read from --token (HTTP 403: this server rejected the executor token: it is an admin key, not ${expected}; ${fix}); ${stops}\n`,
      ],
    ] as const) {
      const ex = start(["executor", "--server", url, "--data", join(dir, "ex-refused"), ...args], env);
      const code = await Promise.race([ex.exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 15_000))]);
      assert.notEqual(code, "hung", `the executor kept retrying: ${ex.output()}`);
      assert.equal(code, 1, ex.output());
      assert.equal(ex.output(), why, "the refusal is the only line: no 'serving' before it");
      assert.ok(
        !ex.output().includes(ADMIN) && !ex.output().includes("wrong-token"),
        "the refusal does not echo the token",
      );
    }
  });

  test("an empty token is refused at start-up, naming the flag or variable", async () => {
    const url = "http://127.0.0.1:9"; // never reached: the command stops before connecting
    const flag = "the value is empty: give the token, or leave the option out";
    for (const [args, env, why] of [
      [
        ["executor", "--server", url, "--token", ""],
        {},
        `error: option '--token <token>' argument '' is invalid. ${flag}`,
      ],
      [
        ["executor", "--server", url],
        { TRIBUTARY_EXECUTOR_TOKEN: "" },
        "error: TRIBUTARY_EXECUTOR_TOKEN: the value is empty: give the token, or unset it",
      ],
      [
        ["executor", "--server", url, "--token", "a b"],
        {},
        "error: option '--token <token>' argument 'a b' is invalid. expected a token without spaces",
      ],
      [
        ["server", "--port", "0", "--executor-token", " "],
        {},
        `error: option '--executor-token <token>' argument ' ' is invalid. ${flag}`,
      ],
      [
        ["server", "--port", "0"],
        { TRIBUTARY_EXECUTOR_TOKEN: "" },
        "error: TRIBUTARY_EXECUTOR_TOKEN: the value is empty: give the token, or unset it",
      ],
      [
        ["server", "--port", "0", "--api-key", ""],
        {},
        `error: option '--api-key <key>' argument '' is invalid. ${flag}`,
      ],
    ] as const) {
      const p = start([...args, ...(args[0] === "executor" ? ["--data", join(dir, "ex-empty")] : [])], env);
      const code = await Promise.race([p.exited, new Promise<"hung">((r) => setTimeout(() => r("hung"), 15_000))]);
      assert.equal(code, 1, `${args.join(" ")}: ${p.output()}`);
      assert.ok(p.output().startsWith(why + "\n"), `${args.join(" ")}: ${p.output()}`);
      assert.doesNotMatch(p.output(), /serving|listening/);
    }
  });

  test("captured server and executor output never contains a secret value or a key", { timeout: 90_000 }, async () => {
    const server = await startServer("leaks", ["--executor-token", EXEC], { TRIBUTARY_API_KEYS: ADMIN });
    const ex = start(["executor", "--server", server.url, "--data", join(dir, "ex-leaks"), "--token", EXEC]);
    const admin = new TributaryClient({ server: server.url, apiKey: ADMIN });
    await admin.putSecret("LEAK_SECRET", SECRET);
    const created = (await (
      await fetch(`${server.url}/v1/keys`, {
        method: "POST",
        headers: { authorization: `Bearer ${ADMIN}` },
        body: JSON.stringify({ name: "leak test" }),
      })
    ).json()) as { key: string };
    const key = created.key;
    await deploy(sourceOf(import.meta.url, "./auth-apps.ts"), new TributaryClient({ server: server.url, apiKey: key }));

    // A successful request (with a failed first attempt), and refused requests presenting keys.
    const res = await fetch(`${server.url}/applications/leak_probe?wait=60`, {
      method: "POST",
      headers: { authorization: `Bearer ${key}`, "content-type": "application/json" },
      body: "1",
    });
    const body = await res.text();
    assert.equal(res.status, 200, body);
    assert.deepEqual(JSON.parse(body), { n: SECRET.length, x: 1 });
    const id = res.headers.get("x-tributary-request-id")!;
    for (const bad of [key + "x", key.slice(0, -3), ADMIN + "0", EXEC]) {
      assert.ok(
        [401, 403].includes(
          (
            await fetch(`${server.url}/applications/leak_probe`, {
              method: "POST",
              headers: { authorization: `Bearer ${bad}` },
              body: "2",
            })
          ).status,
        ),
      );
    }
    // Everything a client can read about the request: metadata, events, logs, state, secrets.
    const reads = await Promise.all(
      ["", "/progress?events=all", "/logs", "/state", "/metrics"].map(async (p) =>
        (
          await fetch(`${server.url}/applications/leak_probe/requests/${id}${p}`, {
            headers: { authorization: `Bearer ${key}` },
          })
        ).text(),
      ),
    );
    reads.push(await (await fetch(`${server.url}/secrets`, { headers: { authorization: `Bearer ${ADMIN}` } })).text());
    reads.push(await (await fetch(`${server.url}/v1/keys`, { headers: { authorization: `Bearer ${ADMIN}` } })).text());
    reads.push(await (await fetch(`${server.url}/metrics`, { headers: { authorization: `Bearer ${ADMIN}` } })).text());
    assert.match(reads[2]!, /secret has 21 characters/, "the logs were captured");

    ex.child.kill("SIGTERM");
    server.proc.child.kill("SIGTERM");
    await Promise.all([ex.exited, server.proc.exited]);
    const captured = server.proc.output() + ex.output();
    assert.match(ex.output(), /serving/, "the executor output was captured");
    for (const [what, value] of [
      ["secret value", SECRET],
      ["bootstrap key", ADMIN],
      ["created key", key],
      ["executor token", EXEC],
    ] as const) {
      assert.ok(!captured.includes(value), `the ${what} appears in process output`);
      for (const r of reads) assert.ok(!r.includes(value), `the ${what} appears in an API response`);
    }
  });
});
