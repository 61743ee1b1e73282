// Fault tests: kill -9 a container, the executor and the server in the middle of a
// request. Each case counts side effects in files, proving that finished calls never run again.
import { after, afterEach, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TributaryClient } from "../../src/client/index.js";
import type { LogLine } from "../../src/core/api.js";
import { deploy } from "../../src/client/deploy.js";
import { remoteRequest } from "../../src/client/run-remote.js";
import { deployment, lines, stopAll, waitFor, type Deployment } from "../harness/processes.js";

const APPS = new URL("./apps.ts", import.meta.url).pathname.replace("/dist/", "/");
const T = { timeout: 60_000 };

let d: Deployment;
let client: TributaryClient;

async function setup(env: Record<string, string> = {}): Promise<void> {
  d = await deployment({ TRIBUTARY_EXECUTOR_GRACE_MS: "1000", ...env });
  await d.startServer();
  client = new TributaryClient({ server: d.url });
  await deploy(APPS, client);
}

function workDir(): string {
  return mkdtempSync(join(d.dir, "work-"));
}

async function outcome(app: string, id: string): Promise<{ status: string; output?: unknown }> {
  const out = await remoteRequest(client, app, id).finished();
  if (out.status !== "succeeded") return { status: out.status };
  const bytes = await client.getOutput(app, id);
  return { status: out.status, output: JSON.parse(new TextDecoder().decode(bytes.bytes)) };
}

afterEach(async () => {
  await d?.cleanup();
});
after(stopAll);

describe("faults", () => {
  test("kill -9 of a running call's container: retried, the finished sibling ran once", T, async () => {
    await setup();
    await d.startExecutor();
    const dir = workDir();
    const { request_id } = await client.invoke("fault_parent", {
      bytes: new TextEncoder().encode(JSON.stringify({ dir, steps: 10 })),
      contentType: "application/json",
    });
    const pid = await waitFor(
      "the slow call's container",
      () => lines(join(dir, "slow-start")).length > 0 && Number(readFileSync(join(dir, "slow.pid"), "utf8")),
    );
    process.kill(pid, "SIGKILL");
    assert.deepEqual(await outcome("fault_parent", request_id), { status: "succeeded", output: 3 });
    assert.equal(lines(join(dir, "sibling")).length, 1, "the finished sibling ran exactly once");
    assert.equal(lines(join(dir, "slow-start")).length, 2, "the killed call ran again");
    assert.equal(lines(join(dir, "parent-start")).length, 1, "the parent was not retried");
    const detail = await client.getRequest("fault_parent", request_id);
    const slow = detail.function_calls.find((c) => c.function_name === "fault_slow")!;
    assert.deepEqual(
      slow.attempts.map((a) => a.status),
      ["failed", "succeeded"],
    );
    assert.equal(slow.attempts[0]!.failure_reason, "function_error");
  });

  test("kill -9 of a container mid-run: its unstarted items retry as faults, no item runs twice", T, async () => {
    await setup();
    await d.startExecutor();
    const dir = workDir();
    const n = 200;
    const slow = 60;
    const { request_id } = await client.invoke("fault_map", {
      bytes: new TextEncoder().encode(JSON.stringify({ dir, n, slow })),
      contentType: "application/json",
    });
    const pid = await waitFor("the slow item's container", () => {
      try {
        return Number(readFileSync(join(dir, "slow.pid"), "utf8")) || false;
      } catch {
        return false;
      }
    });
    process.kill(pid, "SIGKILL");
    assert.deepEqual(await outcome("fault_map", request_id), { status: "succeeded", output: n * (n - 1) });
    const starts = new Map<number, number>();
    for (const l of lines(join(dir, "item-start"))) {
      const i = Number(l.split(" ")[0]);
      starts.set(i, (starts.get(i) ?? 0) + 1);
    }
    assert.equal(starts.get(slow), 2, "the killed item ran again (its own retry)");
    for (let i = 0; i < n; i++) if (i !== slow) assert.equal(starts.get(i), 1, `item ${i} ran once`);
    assert.deepEqual(
      lines(join(dir, "item-done"))
        .map(Number)
        .sort((a, b) => a - b),
      Array.from({ length: n }, (_, i) => i),
      "every item finished exactly once",
    );
    const detail = await client.getRequest("fault_map", request_id);
    const items = detail.function_calls.filter((c) => c.function_name === "fault_item");
    const failed = items.flatMap((c) => c.attempts.filter((a) => a.status === "failed"));
    assert.ok(
      failed.some((a) => a.failure_reason === "internal_error"),
      "items queued behind the killed one went back as faults of the infrastructure",
    );
    const handedBack = items.filter((c) => c.attempts.some((a) => a.failure_reason === "internal_error"));
    for (const c of handedBack) assert.equal(c.status, "succeeded");
  });

  test("a map run in runs keeps every log line with its own item's attempt", T, async () => {
    await setup();
    await d.startExecutor();
    const n = 120;
    const { request_id } = await client.invoke("fault_log_map", {
      bytes: new TextEncoder().encode(JSON.stringify(n)),
      contentType: "application/json",
    });
    assert.deepEqual(await outcome("fault_log_map", request_id), { status: "succeeded", output: n });
    const logs: LogLine[] = [];
    for (let after = 0; ;) {
      const page = await client.getLogs("fault_log_map", request_id, { after, limit: 1000 });
      logs.push(...page.logs);
      if (page.next === null || page.logs.length === 0) break;
      after = page.next;
    }
    const byCall = new Map<string, string[]>();
    for (const l of logs.filter((x) => x.function_name === "fault_log_item"))
      byCall.set(l.call_id, [...(byCall.get(l.call_id) ?? []), `${l.stream} ${l.line}`]);
    assert.equal(byCall.size, n, "every item has its own lines");
    const seen = new Set<string>();
    for (const lines of byCall.values()) {
      const i = lines[0]!.split(" ").at(-1)!;
      seen.add(i);
      assert.deepEqual(
        [...lines].sort(),
        [`stderr err ${i}`, `stdout half ${i} whole ${i}`, `stdout out ${i}`],
        `the lines of item ${i}, and only them`,
      );
    }
    assert.equal(seen.size, n);
    const detail = await client.getRequest("fault_log_map", request_id);
    const attempts = detail.function_calls.filter((c) => c.function_name === "fault_log_item").map((c) => c.attempts);
    assert.ok(attempts.every((a) => a.length === 1 && a[0]!.status === "succeeded"));
  });

  test(
    "kill -9 of the executor: its attempts are rescheduled on another executor without using the retry policy",
    T,
    async () => {
      await setup();
      const first = await d.startExecutor();
      const dir = workDir();
      const { request_id } = await client.invoke("fault_parent", {
        bytes: new TextEncoder().encode(JSON.stringify({ dir, steps: 30 })),
        contentType: "application/json",
      });
      await waitFor("the slow call to start", () => lines(join(dir, "slow-start")).length > 0);
      await first.kill9(false); // the executor only: its containers notice and exit
      await d.startExecutor();
      assert.deepEqual(await outcome("fault_parent", request_id), { status: "succeeded", output: 3 });
      assert.equal(lines(join(dir, "sibling")).length, 1, "the finished sibling ran exactly once");
      assert.equal(lines(join(dir, "parent-start")).length, 2, "the parent was replayed once");
      const detail = await client.getRequest("fault_parent", request_id);
      const slow = detail.function_calls.find((c) => c.function_name === "fault_slow")!;
      assert.equal(slow.attempts[0]!.failure_reason, "internal_error");
      assert.equal(slow.attempts_used, 1, "an infrastructure loss does not use up the retry policy");
    },
  );

  test(
    "kill -9 of the executor and a restart on the same data: its attempts are rescheduled at once, not after the grace",
    T,
    async () => {
      await setup({ TRIBUTARY_EXECUTOR_GRACE_MS: "30000" });
      const first = await d.startExecutor([], "executor-same");
      const dir = workDir();
      const { request_id } = await client.invoke("fault_parent", {
        bytes: new TextEncoder().encode(JSON.stringify({ dir, steps: 30 })),
        contentType: "application/json",
      });
      await waitFor("the slow call to start", () => lines(join(dir, "slow-start")).length > 0);
      await first.kill9(false);
      const restarted = Date.now();
      await d.startExecutor([], "executor-same");
      assert.deepEqual(await outcome("fault_parent", request_id), { status: "succeeded", output: 3 });
      assert.ok(Date.now() - restarted < 15_000, "recovered well before the 30 s grace");
      assert.equal(lines(join(dir, "sibling")).length, 1, "the finished sibling ran exactly once");
      assert.equal(lines(join(dir, "parent-start")).length, 2, "the parent was replayed once");
    },
  );

  test(
    "kill -9 of the server while a child runs, then a restart: the request completes, nothing re-runs",
    T,
    async () => {
      await setup();
      await d.startExecutor();
      const dir = workDir();
      const { request_id } = await client.invoke("fault_parent", {
        bytes: new TextEncoder().encode(JSON.stringify({ dir, steps: 20 })),
        contentType: "application/json",
      });
      await waitFor("the slow call to start", () => lines(join(dir, "slow-start")).length > 0);
      await d.server!.kill9();
      await d.startServer();
      assert.deepEqual(await outcome("fault_parent", request_id), { status: "succeeded", output: 3 });
      assert.equal(lines(join(dir, "sibling")).length, 1);
      assert.equal(lines(join(dir, "slow-start")).length, 1, "the running child was re-attached, not re-run");
      assert.equal(lines(join(dir, "parent-start")).length, 1, "the parent kept running across the restart");
    },
  );

  test(
    "kill -9 of the server right after the invoke was acknowledged: the request completes after restart",
    T,
    async () => {
      await setup();
      const dir = workDir();
      const { request_id } = await client.invoke("fault_once", {
        bytes: new TextEncoder().encode(JSON.stringify({ dir })),
        contentType: "application/json",
      });
      await d.server!.kill9();
      await d.startServer();
      await d.startExecutor();
      assert.deepEqual(await outcome("fault_once", request_id), { status: "succeeded", output: "done" });
      assert.equal(lines(join(dir, "once")).length, 1);
    },
  );

  test("Idempotency-Key: the same key returns the same request, which runs once", T, async () => {
    await setup();
    await d.startExecutor();
    const dir = workDir();
    const body = {
      bytes: new TextEncoder().encode(JSON.stringify({ dir })),
      contentType: "application/json",
      idempotencyKey: "order-42",
    };
    const [a, b] = await Promise.all([client.invoke("fault_once", body), client.invoke("fault_once", body)]);
    const c = await client.invoke("fault_once", body);
    assert.equal(a.request_id, b.request_id);
    assert.equal(a.request_id, c.request_id);
    assert.equal((await outcome("fault_once", a.request_id)).status, "succeeded");
    assert.equal(lines(join(dir, "once")).length, 1);
    const other = await client.invoke("fault_once", { ...body, idempotencyKey: "order-43" });
    assert.notEqual(other.request_id, a.request_id);
  });
});
