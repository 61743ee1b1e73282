// Runs on a real executor (process backend, real containers), driven through a fake server link:
// the executor's bookkeeping of a run's items when an item waits on a child call, when the server
// kills a queued item, when a cancel reaches an item whose result is already in, and when items
// do synchronous work.
import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { bundleEntry } from "../../src/client/bundle.js";
import { encodeArgs } from "../../src/core/codec.js";
import type { Assignment, FromExecutor, ToExecutor, TransportHandlers } from "../../src/core/wire/executor.js";
import { createExecutor, type RunningExecutor } from "../../src/executor/executor.js";
import { fnSpec } from "../engine/harness.js";

const APPS = new URL("./runs-apps.ts", import.meta.url).pathname.replace("/dist/", "/");
const T = { timeout: 60_000 };
const BUNDLE_KEY = "runs-test";

let root: string;
let bundle: Uint8Array;

before(async () => {
  root = mkdtempSync(join(tmpdir(), "tributary-runs-"));
  bundle = (await bundleEntry(APPS)).bundle;
});
after(() => rmSync(root, { recursive: true, force: true }));

/** An executor whose server is the test: what it sends is recorded; `deliver` plays the server. */
interface Rig {
  ex: RunningExecutor;
  got: FromExecutor[];
  deliver(m: ToExecutor): void;
  /** Called on every message the executor sends, as it sends it. */
  onSend: ((m: FromExecutor) => void) | null;
  file: string;
  until<T>(what: string, f: () => T | undefined | false): Promise<T>;
  done(attemptId: string): Extract<FromExecutor, { t: "done" }> | undefined;
  started(attemptId: string): Extract<FromExecutor, { t: "started" }> | undefined;
  lines(): string[];
}

async function rig(): Promise<Rig> {
  const dataDir = join(root, randomUUID());
  mkdirSync(join(dataDir, "bundles"), { recursive: true });
  // The bundle is already on disk: the executor never asks the (absent) server for it.
  writeFileSync(join(dataDir, "bundles", `${BUNDLE_KEY}.mjs`), bundle);
  const file = join(dataDir, "items.txt");
  writeFileSync(file, "");
  let handlers: TransportHandlers | null = null;
  const r: Rig = {
    ex: null as unknown as RunningExecutor,
    got: [],
    deliver: (m) => handlers!.onMessage(m),
    onSend: null,
    file,
    async until(what, f) {
      for (const end = Date.now() + 20_000; Date.now() < end;) {
        const v = f();
        if (v !== undefined && v !== false) return v as never;
        await new Promise((res) => setTimeout(res, 10));
      }
      throw new Error(`timed out waiting for ${what}`);
    },
    done: (id) => r.got.find((m): m is Extract<FromExecutor, { t: "done" }> => m.t === "done" && m.attemptId === id),
    started: (id) =>
      r.got.find((m): m is Extract<FromExecutor, { t: "started" }> => m.t === "started" && m.attemptId === id),
    lines: () => readFileSync(file, "utf8").split("\n").filter(Boolean),
  };
  r.ex = await createExecutor({
    servers: ["http://127.0.0.1:9"],
    dataDir,
    backend: "process",
    cpu: 2,
    memory: 4,
    runItems: 64,
    log: () => {},
    transport: (h) => {
      handlers = h;
      return {
        start: () => r.got.push(h.hello()),
        send: (m) => {
          r.got.push(m);
          r.onSend?.(m);
        },
        close: async () => {},
      };
    },
  });
  return r;
}

/** An attempt of `rx_item` for item `i`. */
function item(
  r: Rig,
  i: number,
  o: { ms?: number; call?: boolean; spin?: number } = {},
  timeoutMs = 30_000,
): Assignment {
  return {
    attemptId: `a-${i}-${randomUUID().slice(0, 6)}`,
    attemptNumber: 1,
    callId: `c-${i}`,
    requestId: "r-1",
    namespace: "default",
    application: "rx_item",
    version: 1,
    bundleKey: BUNDLE_KEY,
    functionName: "rx_item",
    target: { kind: "function", name: "rx_item" },
    spec: fnSpec("rx_item"),
    root: null,
    args: encodeArgs([{ file: r.file, i, ...o }]),
    timeoutMs,
    initTimeoutMs: 30_000,
    env: {},
    gpus: [],
  };
}

test("a run's container serves nothing else while its item waits on a child call", T, async () => {
  const r = await rig();
  try {
    const [a0, a1, a2] = [item(r, 0), item(r, 1, { call: true }), item(r, 2)];
    r.deliver({ t: "assign-run", assignments: [a0, a1, a2] });
    // Item 1 waits on its child; item 2, queued behind it, goes back unstarted.
    await r.until("item 1's child call", () => r.got.some((m) => m.t === "call" && m.attemptId === a1.attemptId));
    const back = await r.until("item 2 given back", () => r.done(a2.attemptId));
    assert.equal(back.ok, false);
    assert.equal((back as { notStarted?: boolean }).notStarted, true, "given back as not started");
    await r.until("item 0's result", () => r.done(a0.attemptId));
    await new Promise((res) => setTimeout(res, 100));
    // Another call of the same function now: it must get a container of its own.
    const a3 = item(r, 3);
    r.deliver({ t: "assign", assignment: a3 });
    await r.until("item 3's result", () => r.done(a3.attemptId));
    assert.notEqual(r.started(a3.attemptId)!.containerId, r.started(a1.attemptId)!.containerId);
    const pid1 = r
      .lines()
      .find((l) => l.endsWith(" 1"))!
      .split(" ")[1];
    assert.ok(!r.lines().includes(`start ${pid1} 3`), "item 3 did not run beside the waiting item 1");
  } finally {
    await r.ex.stop();
  }
});

test("a queued item the server kills leaves its container's queue", T, async () => {
  const r = await rig();
  try {
    const [a0, a1, a2] = [item(r, 0, { ms: 400 }), item(r, 1), item(r, 2)];
    r.deliver({ t: "assign-run", assignments: [a0, a1, a2] });
    await r.until("item 0 started", () => r.lines().length > 0);
    r.deliver({ t: "welcome", kill: [a1.attemptId], heartbeatMs: 2000 });
    const d2 = await r.until("item 2's result", () => r.done(a2.attemptId));
    assert.equal(d2.ok, true);
    assert.equal(r.done(a1.attemptId), undefined, "a killed attempt is not reported");
    assert.ok(!r.lines().some((l) => l.endsWith(" 1")), "item 1 never ran");
  } finally {
    await r.ex.stop();
  }
});

test("a cancel that reaches an item whose result is already in stops nothing", T, async () => {
  const r = await rig();
  try {
    const [a0, a1] = [item(r, 0), item(r, 1, { ms: 500 })];
    // The cancel arrives as item 1 starts: after item 0's result, before the executor reported it.
    r.onSend = (m) => {
      if (m.t === "started" && m.attemptId === a1.attemptId) r.deliver({ t: "cancel", attemptId: a0.attemptId });
    };
    r.deliver({ t: "assign-run", assignments: [a0, a1] });
    const d1 = await r.until("item 1's result", () => r.done(a1.attemptId));
    assert.equal(d1.ok, true, `item 1 ran to its end: ${JSON.stringify(d1)}`);
    assert.equal(r.done(a0.attemptId)?.ok, true, "item 0's result stands");
  } finally {
    await r.ex.stop();
  }
});

test("an item's result leaves its container before the next item's synchronous work", T, async () => {
  const r = await rig();
  try {
    // Each item spins 600 ms; each has 1.5 s. Held until the items behind it had run (1.8 s), item
    // 0's result would reach the executor after its timeout, and the rest would come back unstarted.
    const items = [0, 1, 2].map((i) => item(r, i, { spin: 600 }, 1_500));
    r.deliver({ t: "assign-run", assignments: items });
    for (const a of items) {
      const d = await r.until(`item ${a.callId}'s result`, () => r.done(a.attemptId));
      assert.equal(d.ok, true, `${a.callId}: ${JSON.stringify(d)}`);
    }
  } finally {
    await r.ex.stop();
  }
});
