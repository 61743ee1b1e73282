/**
 * `tributary dev` end to end: a real server + executor in one child process on loopback, a temp
 * project, hot redeploy, a failed redeploy that keeps the last good version, and Ctrl-C.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runRemote } from "../../src/client/run-remote.js";
import { BIN } from "./run-cli.js";

const version = (suffix: string): string => `import { application, fn } from "tributary";
export const shout = application(fn(async function shout(s: string): Promise<string> { return s.toUpperCase() + "${suffix}"; }));
`;

/** Resolves when `pattern` has appeared in the text `read()` returns, or rejects after `ms`. */
async function waitFor(read: () => string, pattern: RegExp, ms: number): Promise<RegExpMatchArray> {
  const deadline = Date.now() + ms;
  for (;;) {
    const m = read().match(pattern);
    if (m) return m;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${pattern}; output so far:\n${read()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

test("dev deploys, redeploys on change, survives a broken edit and stops on Ctrl-C", { timeout: 90_000 }, async () => {
  const dir = await mkdtemp(join(tmpdir(), "tributary-dev-test-"));
  const entry = join(dir, "app.ts");
  await writeFile(entry, version("!"));
  const env = { ...process.env };
  for (const k of Object.keys(env)) if (k.startsWith("TRIBUTARY_")) delete env[k];
  const child = spawn(
    process.execPath,
    [BIN, "dev", entry, "--port", "0", "--data", join(dir, ".tributary"), "--cpu", "4"],
    { env, stdio: ["ignore", "pipe", "pipe"] },
  );
  let out = "";
  let err = "";
  child.stdout.setEncoding("utf8").on("data", (d: string) => (out += d));
  child.stderr.setEncoding("utf8").on("data", (d: string) => (err += d));
  const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
  const both = (): string => out + err;
  try {
    const [, url] = await waitFor(both, /API:\s+(http:\/\/127\.0\.0\.1:\d+)/, 30_000);
    await waitFor(both, /Watching .* for changes/, 30_000);
    assert.match(out, /Dashboard:\s+http:\/\/127\.0\.0\.1:\d+\/ui/);
    assert.match(
      out,
      /shout \(version 1\)\n\s+curl -X POST '?http:\/\/127\.0\.0\.1:\d+\/v1\/namespaces\/default\/applications\/shout/,
    );
    assert.equal(await (await runRemote("shout", "hi", { server: url! })).output(), "HI!");

    await writeFile(entry, version("?"));
    await waitFor(both, /shout \(version 2\)/, 30_000);
    assert.equal(await (await runRemote("shout", "hi", { server: url! })).output(), "HI?");

    await writeFile(
      entry,
      `import { application, fn } from "tributary";\nexport const shout = application(fn({ cpu: 99 }, async function shout() {}));\n`,
    );
    await waitFor(both, /redeploy failed; still serving the last good version:[\s\S]*SDKUsageError[^\n]*cpu/, 30_000);
    assert.equal(await (await runRemote("shout", "ok", { server: url! })).output(), "OK?");
    assert.doesNotMatch(out, /version 3/);

    child.kill("SIGINT");
    let timer: NodeJS.Timeout | undefined;
    const code = await Promise.race([
      exited,
      new Promise<string>((r) => (timer = setTimeout(() => r("timeout"), 20_000))),
    ]);
    clearTimeout(timer);
    assert.equal(code, 0, both());
  } finally {
    if (child.exitCode === null) child.kill("SIGKILL");
    await rm(dir, { recursive: true, force: true });
  }
});
