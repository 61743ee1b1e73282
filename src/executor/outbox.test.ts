// The outbox's log: what a restart finds, torn records, bounded segments, large results in files.
import { test } from "node:test";
import assert from "node:assert/strict";
import { appendFileSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import v8 from "node:v8";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Outbox, type OutboxEntry } from "./outbox.js";

const done = (attemptId: string, size = 8): OutboxEntry => ({
  t: "done",
  attemptId,
  ok: true,
  value: new Uint8Array(size).fill(7),
  contentType: "",
});

async function withDir(f: (dir: string) => void | Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), "tributary-outbox-"));
  try {
    await f(dir);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test("a restart finds the unacknowledged results (and one whose tombstone still waited), bytes intact; a torn last record is ignored", () =>
  withDir((dir) => {
    const a = new Outbox(dir);
    assert.deepEqual(a.load(), []);
    for (const id of ["a1", "a2", "a3"]) a.put(done(id));
    a.remove("a2");
    a.put(done("a4")); // a2's tombstone is written with it
    a.remove("a4"); // its tombstone waits: a death now re-sends a4, which the server ignores
    // A death in the middle of a record: only a length and part of a body made it.
    appendFileSync(join(dir, "outbox", "log-0"), Buffer.from([200, 0, 0, 0, 1, 2]));
    const b = new Outbox(dir);
    const found = b.load();
    assert.deepEqual(found.map((m) => m.attemptId).sort(), ["a1", "a3", "a4"]);
    assert.deepEqual((found[0] as Extract<OutboxEntry, { ok: true }>).value, new Uint8Array(8).fill(7));
    b.remove("a1");
    b.remove("a3");
    b.remove("a4");
    b.close(); // writes the tombstones still waiting
    assert.deepEqual(new Outbox(dir).load(), []);
    assert.deepEqual(Outbox.read(join(dir, "outbox")).logged, []);
  }));

test("acknowledged results do not pile up: the log stays within two segments of about 1 MiB", () =>
  withDir((dir) => {
    const o = new Outbox(dir);
    o.load();
    for (let i = 0; i < 2000; i++) {
      o.put(done(`r${i}`, 4000));
      if (i >= 3) o.remove(`r${i - 3}`); // a few in flight at any time
    }
    const bytes = readdirSync(join(dir, "outbox")).reduce((n, f) => n + statSync(join(dir, "outbox", f)).size, 0);
    assert.ok(bytes < 3 * 2 ** 20, `outbox holds ${bytes} bytes for 8 MB of results, 3 pending`);
    o.close();
    assert.deepEqual(
      new Outbox(dir)
        .load()
        .map((m) => m.attemptId)
        .sort(),
      ["r1997", "r1998", "r1999"],
    );
  }));

test("a result in a file of its own (the earlier format) is loaded, and deleted on its ack", () =>
  withDir((dir) => {
    new Outbox(dir).load();
    writeFileSync(join(dir, "outbox", "old1"), v8.serialize(done("old1", 100)));
    const o = new Outbox(dir);
    assert.deepEqual(
      o.load().map((m) => m.attemptId),
      ["old1"],
    );
    o.remove("old1");
    assert.ok(!readdirSync(join(dir, "outbox")).includes("old1"));
    o.close();
  }));

test("a tombstone with no result to share a write is written alone, shortly", () =>
  withDir(async (dir) => {
    const o = new Outbox(dir);
    o.load();
    o.put(done("t1"));
    o.remove("t1");
    assert.deepEqual(
      Outbox.read(join(dir, "outbox")).logged.map((m) => m.attemptId),
      ["t1"],
    );
    await new Promise((r) => setTimeout(r, 250));
    assert.deepEqual(Outbox.read(join(dir, "outbox")).logged, []);
    assert.deepEqual(Outbox.read(join(dir, "outbox")).acked, ["t1"]);
    o.close();
  }));

test("failed results, usage and results the JSON form cannot hold come back as they were kept", () =>
  withDir((dir) => {
    const o = new Outbox(dir);
    o.load();
    const failedResult: OutboxEntry = {
      t: "done",
      attemptId: "f1",
      ok: false,
      reason: "function_error",
      error: {
        name: "FunctionError",
        message: "boom ✓",
        retryable: true,
        functionName: "f",
        cause: { name: "Error", message: "inner", retryable: true },
      },
      usage: {
        wallSeconds: 0.5,
        cpuSeconds: null,
        peakMemoryBytes: 1234,
        memoryGbSeconds: 0.5,
        containerStarted: true,
      },
    };
    const odd = { ...done("o1"), extra: new Map([[1, new Uint8Array([1, 2])]]) } as unknown as OutboxEntry;
    const big = done("b1", 3 << 20);
    for (const m of [failedResult, odd, big]) o.put(m);
    o.close();
    const back = new Map(new Outbox(dir).load().map((m) => [m.attemptId, m]));
    assert.deepEqual(back.get("f1"), failedResult);
    assert.deepEqual(back.get("o1"), odd);
    assert.deepEqual(back.get("b1"), big);
  }));

test("records of the earlier log format (v8 bodies) are still read", () =>
  withDir((dir) => {
    new Outbox(dir).load();
    const rec = (m: unknown): Buffer => {
      const body = v8.serialize(m);
      const head = Buffer.alloc(4);
      head.writeUInt32LE(body.length, 0);
      return Buffer.concat([head, body]);
    };
    writeFileSync(
      join(dir, "outbox", "log-1"),
      Buffer.concat([rec(done("v1")), rec(done("v2")), rec({ t: "ack", attemptId: "v1" })]),
    );
    const found = new Outbox(dir).load();
    assert.deepEqual(
      found.map((m) => m.attemptId),
      ["v2"],
    );
    assert.deepEqual((found[0] as Extract<OutboxEntry, { ok: true }>).value, new Uint8Array(8).fill(7));
  }));

test("results kept together (putAll) are found by a restart, with the tombstones that waited, and a given-back result keeps its flag", () =>
  withDir((dir) => {
    const a = new Outbox(dir);
    a.load();
    a.put(done("p1"));
    a.remove("p1"); // its tombstone goes out with the next write
    const back: OutboxEntry = {
      t: "done",
      attemptId: "p4",
      ok: false,
      reason: "internal_error",
      error: { name: "InternalError", message: "not started", retryable: true },
      notStarted: true,
    };
    a.putAll([done("p2"), done("p3", 100), back]);
    const found = new Outbox(dir).load();
    assert.deepEqual(found.map((m) => m.attemptId).sort(), ["p2", "p3", "p4"]);
    assert.deepEqual(
      (found.find((m) => m.attemptId === "p3") as Extract<OutboxEntry, { ok: true }>).value,
      new Uint8Array(100).fill(7),
    );
    assert.deepEqual(
      found.find((m) => m.attemptId === "p4"),
      back,
    );
  }));
