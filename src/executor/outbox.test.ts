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

test("a restart finds exactly the unacknowledged results, bytes intact; a torn last record is ignored", () =>
  withDir((dir) => {
    const a = new Outbox(dir);
    assert.deepEqual(a.load(), []);
    for (const id of ["a1", "a2", "a3"]) a.put(done(id));
    a.remove("a2");
    // A death in the middle of a record: only a length and part of a body made it.
    appendFileSync(join(dir, "outbox", "log-0"), Buffer.from([200, 0, 0, 0, 1, 2]));
    const b = new Outbox(dir);
    const found = b.load();
    assert.deepEqual(found.map((m) => m.attemptId).sort(), ["a1", "a3"]);
    assert.deepEqual((found[0] as Extract<OutboxEntry, { ok: true }>).value, new Uint8Array(8).fill(7));
    b.remove("a1");
    b.remove("a3");
    b.close();
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
