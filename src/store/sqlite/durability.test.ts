/**
 * SQLite durability: a committed write survives closing and reopening the file, and survives the
 * writing process being killed with SIGKILL right after the commit (WAL + synchronous=NORMAL).
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { ev, inline, newRequest } from "../contract/fixtures.js";
import { createSqliteStore } from "./index.js";

const root = mkdtempSync(join(tmpdir(), "tributary-sqlite-durability-"));
after(() => rmSync(root, { recursive: true, force: true }));

test("data written by one store instance is there after close and reopen", { timeout: 10_000 }, async () => {
  const path = join(root, "reopen.db");
  const { request, root: call } = newRequest();
  const first = createSqliteStore(path);
  await first.createRequest(request, call, [ev("request:started")]);
  await first.setState(request.id, "k", inline('"v"'), 1);
  await first.close();

  const second = createSqliteStore(path);
  try {
    assert.equal((await second.getRequest(request.id))?.id, request.id);
    assert.deepEqual(await second.getState(request.id, "k"), inline('"v"'));
    assert.deepEqual(
      (await second.listEvents(request.id, 0, 10)).map((e) => e.seq),
      [1],
    );
    // A new event continues the sequence: seq allocation survived the restart too.
    assert.deepEqual(
      (await second.appendEvents(request.id, [ev("progress")])).map((e) => e.seq),
      [2],
    );
  } finally {
    await second.close();
  }
});

test("a write committed just before SIGKILL is readable afterwards", { timeout: 20_000 }, async () => {
  const path = join(root, "killed.db");
  const adapter = new URL("./index.js", import.meta.url).href;
  // The child commits, says so, then stays alive without closing the database: the WAL is not
  // checkpointed and nothing is flushed by an orderly exit.
  const script = `
    const { createSqliteStore } = await import(${JSON.stringify(adapter)});
    const store = createSqliteStore(${JSON.stringify(path)});
    const at = Date.now();
    await store.createRequest(
      { id: "req-killed", namespace: "default", application: "app", version: 1, input: null, idempotencyKey: null, inputHash: null, rootCallId: "req-killed.root", createdAt: at },
      { id: "req-killed.root", requestId: "req-killed", parentCallId: null, seq: 0, item: 0, functionName: "app",
        args: { contentType: "application/json", size: 2, inline: new Uint8Array([91, 93]), blobKey: null }, notBefore: 0, createdAt: at },
      [{ kind: "request:started", at }],
    );
    await store.setState("req-killed", "k", { contentType: "application/json", size: 1, inline: new Uint8Array([49]), blobKey: null }, at);
    process.stdout.write("committed\\n");
    setInterval(() => {}, 1000);
  `;
  const child = spawn(process.execPath, ["--input-type=module", "-e", script], { stdio: ["ignore", "pipe", "pipe"] });
  let stderr = "";
  child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<NodeJS.Signals | null>((resolve) => child.on("exit", (_code, signal) => resolve(signal)));
  try {
    await new Promise<void>((resolve, reject) => {
      let out = "";
      child.stdout.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("committed")) resolve();
      });
      child.on("exit", (code) => reject(new Error(`child exited (${code}) before committing: ${stderr}`)));
    });
    child.kill("SIGKILL");
    assert.equal(await exited, "SIGKILL");
  } finally {
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
  }

  // The commit lives in the WAL, not yet checkpointed into the main file: reopening must replay it.
  assert.ok(statSync(`${path}-wal`).size > 0, "the killed writer left its WAL behind");
  const store = createSqliteStore(path);
  try {
    const req = await store.getRequest("req-killed");
    assert.equal(req?.status, "pending");
    assert.equal((await store.getCall("req-killed.root"))?.functionName, "app");
    assert.deepEqual((await store.getState("req-killed", "k"))?.inline, new Uint8Array([49]));
    assert.deepEqual(
      (await store.listEvents("req-killed", 0, 10)).map((e) => e.kind),
      ["request:started"],
    );
  } finally {
    await store.close();
  }
});
