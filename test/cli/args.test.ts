import { test } from "node:test";
import assert from "node:assert/strict";
import { startFakeServer } from "../client/fake-server.js";
import { runCli } from "./run-cli.js";

const T = { timeout: 20_000 };

async function expectError(args: string[], pattern: RegExp, env?: Record<string, string>): Promise<void> {
  const r = await runCli(args, { env });
  assert.equal(r.code, 1, `exit code of ${args.join(" ")}; stderr: ${r.stderr}`);
  assert.match(r.stderr, pattern);
  assert.equal(r.stdout, "");
}

test("unknown flags and commands are named", T, async () => {
  await expectError(["apps", "list", "--bogus"], /unknown option '--bogus'/);
  await expectError(["requests", "lst"], /unknown command 'lst'/);
  await expectError(["deploy", "app.ts", "--prot", "1"], /unknown option '--prot'/);
});

test("bad flag values name the flag", T, async () => {
  await expectError(["dev", "app.ts", "--port", "abc"], /option '--port <port>' argument 'abc' is invalid/);
  await expectError(["dev", "app.ts", "--cpu", "-2"], /option '--cpu <n>' argument '-2' is invalid/);
  await expectError(
    ["executor", "--server", "http://127.0.0.1:1", "--label", "novalue"],
    /option '--label <k=v>' argument 'novalue' is invalid. expected key=value/,
  );
  await expectError(
    ["executor", "--server", "http://127.0.0.1:1", "--gpu", "H100:0"],
    /option '--gpu <model:n>'.*MODEL:COUNT/,
  );
  await expectError(["executor", "--server", "not a url"], /option '--server <urls>' argument 'not a url' is invalid/);
  await expectError(
    ["requests", "list", "app", "--status", "done"],
    /option '--status <status>'.*pending, running, succeeded, failed, cancelled/,
  );
  await expectError(["run", "app", "--server", "localhost"], /option '--server <url>' argument 'localhost' is invalid/);
  await expectError(
    ["server", "--max-events-per-request", "ten"],
    /option '--max-events-per-request <n>' argument 'ten' is invalid/,
  );
  await expectError(
    ["requests", "list", "app", "--created-after", "yesterday"],
    /option '--created-after <time>' argument 'yesterday' is invalid. expected epoch milliseconds or an ISO 8601 time/,
  );
});

test("missing arguments and options are named", T, async () => {
  await expectError(["run"], /missing required argument 'app'/);
  await expectError(["executor"], /required option '--server <urls>' not specified/);
  await expectError(["secrets", "rm"], /missing required argument 'name'/);
});

test("input errors are caught before anything is sent", T, async () => {
  // Port 1 is never listening: reaching the network would be a different error.
  const env = { TRIBUTARY_SERVER: "http://127.0.0.1:1" };
  await expectError(["run", "greet", "{bad"], /\[input-json\] is not valid JSON/, env);
  await expectError(
    ["run", "greet", "1", "--input-file", "x.json"],
    /either \[input-json\] or --input-file, not both/,
    env,
  );
  await expectError(
    ["run", "greet", "--input-file", "/nonexistent/x.bin"],
    /--input-file \/nonexistent\/x.bin: no such file/,
    env,
  );
  await expectError(
    ["secrets", "set", "A", "--from-env", "TRIBUTARY_TEST_UNSET_VAR"],
    /environment variable TRIBUTARY_TEST_UNSET_VAR is not set/,
    env,
  );
  await expectError(["secrets", "set", "A", "v", "--from-env", "X"], /either VALUE or --from-env/, env);
  await expectError(["deploy", "/nonexistent/app.ts"], /entry file not found/, env);
});

test("an unreachable server is one clear line", T, async () => {
  // A port that was free a moment ago: nothing listens there now.
  const gone = await startFakeServer(() => {});
  await gone.close();
  const r = await runCli(["apps", "list"], { env: { TRIBUTARY_SERVER: gone.url } });
  assert.equal(r.code, 1);
  assert.equal(r.stderr, `error: cannot reach the Tributary server at ${gone.url} (ECONNREFUSED)\n`);
});

test("--help and --version work", T, async () => {
  const help = await runCli(["--help"]);
  assert.equal(help.code, 0);
  for (const c of ["dev", "server", "executor", "deploy", "run", "requests", "secrets", "apps"])
    assert.match(help.stdout, new RegExp(`\\n  ${c} `));
  const v = await runCli(["--version"]);
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
});
