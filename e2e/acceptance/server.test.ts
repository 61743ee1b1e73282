// Acceptance against real processes: a `tributary server` and a `tributary executor` (the fault
// harness), the applications of apps.ts deployed, and every request made with plain HTTP. Pids and
// side-effect files prove what ran where and how many times.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TributaryClient } from "../../src/client/index.js";
import { deploy } from "../../src/client/deploy.js";
import { runCli } from "../../test/cli/run-cli.js";
import { alive, parentOf } from "../harness/procfs.js";
import { deployment, lines, waitFor, type Deployment, type Proc } from "../harness/processes.js";
import { detail, getJson, invokeWait, type Detail } from "./http.js";

const APPS = new URL("./apps.ts", import.meta.url).pathname.replace("/dist/", "/");
const T = { timeout: 60_000 };

let d: Deployment;
let executor: Proc;
const work = (): string => mkdtempSync(join(d.dir, "work-"));
const json = (v: unknown): string => JSON.stringify(v);
const errorOf = (body: unknown): { code: string; message: string } =>
  (body as { error: { code: string; message: string } }).error;

async function finished(app: string, id: string): Promise<Detail> {
  return waitFor(`request ${id} to finish`, async () => {
    const r = await detail(d.url, app, id);
    return ["succeeded", "failed", "cancelled"].includes(r.status) && r;
  });
}

before(async () => {
  d = await deployment({ TRIBUTARY_EXECUTOR_GRACE_MS: "2000" });
  await d.startServer();
  executor = await d.startExecutor();
  await deploy(APPS, new TributaryClient({ server: d.url, apiKey: "" }));
});

after(async () => {
  await d?.cleanup();
});

describe("real server + executor processes", () => {
  it("nested calls each run in a different container process, children of the executor", T, async () => {
    const a = await invokeWait(d.url, "acc_nested");
    assert.equal(a.status, 200);
    const pids = a.json() as number[];
    assert.equal(pids.length, 3);
    assert.equal(new Set(pids).size, 3, `distinct containers: ${pids}`);
    for (const pid of pids) {
      assert.ok(
        ![d.server!.child.pid, executor.child.pid, process.pid].includes(pid),
        `${pid} is a container, not a server/executor/test`,
      );
      const parent = parentOf(pid);
      if (parent !== undefined) assert.equal(parent, executor.child.pid, `container ${pid} was forked by the executor`);
    }
  });

  it("state set by one call is read by another of the same request, and over HTTP", T, async () => {
    const a = await invokeWait(d.url, "acc_state", json("v-1"));
    assert.deepEqual(a.json(), { childSaw: "v-1", parentSaw: "child saw v-1" });
    assert.deepEqual(await getJson(`${d.url}/applications/acc_state/requests/${a.requestId}/state`), {
      state: { from_parent: "v-1", from_child: "child saw v-1" },
    });
    const b = await invokeWait(d.url, "acc_state", json("v-2"));
    assert.deepEqual(
      b.json(),
      { childSaw: "v-2", parentSaw: "child saw v-2" },
      "a new request starts with empty state",
    );
  });

  it("20 concurrent requests all succeed with their own outputs", T, async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, (_, n) => invokeWait(d.url, "acc_echo", json(n))));
    assert.deepEqual(
      answers.map((a) => a.status),
      Array(20).fill(200),
    );
    assert.deepEqual(
      answers.map((a) => a.json()),
      Array.from({ length: 20 }, (_, n) => ({ n, square: n * n })),
    );
    assert.equal(new Set(answers.map((a) => a.requestId)).size, 20);
  });

  it("map over 1,000 items returns the ordered results", { timeout: 120_000 }, async () => {
    const a = await invokeWait(d.url, "acc_map", json(1000), "application/json", 100);
    assert.equal(a.status, 200, new TextDecoder().decode(a.bytes));
    assert.deepEqual(
      a.json(),
      Array.from({ length: 1000 }, (_, i) => i * i),
    );
    const r = await detail(d.url, "acc_map", a.requestId);
    assert.equal(
      r.function_calls.filter((c) => c.function_name === "acc_square" && c.status === "succeeded").length,
      1000,
    );
  });

  it("a timeout kills a silent container; one that sends progress outlives its timeout", T, async () => {
    const dir = work();
    const [silent, chatty] = await Promise.all([
      invokeWait(d.url, "acc_silent", json(dir)),
      invokeWait(d.url, "acc_chatty"),
    ]);
    assert.equal(silent.status, 500);
    assert.equal(errorOf(silent.json()).code, "function_timeout");
    const r = await detail(d.url, "acc_silent", silent.requestId);
    assert.equal(r.failure_reason, "function_timeout");
    assert.deepEqual(
      r.function_calls[0]!.attempts.map((x) => x.failure_reason),
      ["function_timeout"],
    );
    const pid = Number(readFileSync(join(dir, "silent.pid"), "utf8"));
    assert.ok(pid > 0 && pid !== executor.child.pid && pid !== d.server!.child.pid);
    await waitFor(`container ${pid} to be gone`, () => !alive(pid), 5_000);
    assert.equal(lines(join(dir, "silent-done")).length, 0, "the killed function never finished");

    assert.equal(chatty.status, 200);
    assert.ok((chatty.json() as number) >= 2900, `ran ${String(chatty.json())} ms with a 1 s timeout`);
    assert.equal(executor.child.exitCode, null, "the executor is still running");
    assert.deepEqual((await invokeWait(d.url, "acc_echo", json(7))).json(), { n: 7, square: 49 }, "and still serving");
  });

  it("retries: every attempt counted in a file and in the request's attempts", T, async () => {
    const dir = work();
    const a = await invokeWait(d.url, "acc_flaky", json(dir));
    assert.equal(a.json(), "ok after 3");
    assert.equal(lines(join(dir, "flaky-attempts")).length, 3);
    const call = (await detail(d.url, "acc_flaky", a.requestId)).function_calls[0]!;
    assert.deepEqual(
      call.attempts.map((x) => [x.number, x.status, x.failure_reason]),
      [
        [1, "failed", "function_error"],
        [2, "failed", "function_error"],
        [3, "succeeded", null],
      ],
    );
  });

  it("a child's failure and a child's timeout are catchable in the parent", T, async () => {
    const a = await invokeWait(d.url, "acc_catcher");
    assert.equal(a.status, 200, new TextDecoder().decode(a.bytes));
    const [thrown, timedOut] = a.json() as string[];
    assert.match(thrown!, /^FunctionError: .*child exploded/);
    assert.match(timedOut!, /^TimeoutError: /);
    const calls = (await detail(d.url, "acc_catcher", a.requestId)).function_calls;
    assert.deepEqual(calls.map((c) => `${c.function_name}:${c.status}`).sort(), [
      "acc_catcher:succeeded",
      "acc_thrower:failed",
      "acc_too_slow:failed",
    ]);
  });

  it("`tributary requests cancel` aborts the running call's signal and the next call never starts", T, async () => {
    const dir = work();
    const res = await fetch(`${d.url}/applications/acc_cancellable`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: json(dir),
    });
    const { request_id: id } = (await res.json()) as { request_id: string };
    await waitFor("the blocker to start", () => lines(join(dir, "blocker-started")).length === 1);
    const blockerPid = Number(lines(join(dir, "blocker-started"))[0]);

    const cli = await runCli(["requests", "cancel", "acc_cancellable", id], { env: { TRIBUTARY_SERVER: d.url } });
    assert.equal(cli.code, 0, cli.stderr);
    assert.equal(cli.stdout.trim(), `cancelled ${id}`);

    const r = await finished("acc_cancellable", id);
    assert.equal(r.status, "cancelled");
    await waitFor("the abort listener to run", () => lines(join(dir, "aborted")).length === 1, 5_000);
    await waitFor(`blocker container ${blockerPid} to be killed`, () => !alive(blockerPid), 5_000);
    await new Promise((res) => setTimeout(res, 1000)); // room for a wrongly scheduled call to start
    assert.equal(lines(join(dir, "later-ran")).length, 0, "the call after the cancelled one never ran");
    const after = await detail(d.url, "acc_cancellable", id);
    assert.ok(
      !after.function_calls.some((c) => c.function_name === "acc_later" && c.status !== "cancelled"),
      JSON.stringify(after.function_calls),
    );
    const again = await invokeWait(d.url, "acc_echo", json(3));
    assert.deepEqual(again.json(), { n: 3, square: 9 }, "the executor serves after the cancel");
  });
});
