/**
 * The cron ticker on a fake clock, over a real engine and SQLite store: it fires at the tick, one
 * request per tick (also with two tickers racing, and when a tick is retried after a failure), a
 * run of missed ticks fires once, and a schedule created later is picked up through `changed()`.
 */
import { test } from "node:test";
import assert from "node:assert/strict";
import { parseCron } from "../../src/server/cron/expression.js";
import { startCronTicker, tickKey, type CronTicker, type CronTickerOptions } from "../../src/server/cron/ticker.js";
import type { CronScheduleRow, Store } from "../../src/store/types.js";
import { createHarness, fnSpec, type Harness } from "../engine/harness.js";

const MINUTE = 60_000;

async function schedule(h: Harness, expr: string, over: Partial<CronScheduleRow> = {}): Promise<CronScheduleRow> {
  const row: CronScheduleRow = {
    id: `cron_${Math.random().toString(36).slice(2)}`,
    namespace: "default",
    application: "job",
    cronExpression: expr,
    input: { contentType: "application/json", size: 7, inline: new TextEncoder().encode('{"n":1}'), blobKey: null },
    enabled: true,
    nextFireTimeMs: parseCron(expr).next(h.clock.now()),
    lastFiredAtMs: null,
    createdAt: h.clock.now(),
    ...over,
  };
  await h.store.createCronSchedule(row);
  return row;
}

function ticker(h: Harness, over: Partial<CronTickerOptions> = {}): CronTicker {
  return startCronTicker({
    store: h.store,
    clock: h.clock,
    invoke: (ns, app, input, key) => h.engine.invoke(ns, app, input, key),
    log: () => {},
    ...over,
  });
}

async function requests(h: Harness): Promise<{ key: string | null; input: string }[]> {
  const page = await h.store.listRequests({ namespace: "default", application: "job", limit: 100 });
  return page.rows
    .map((r) => ({ key: r.idempotencyKey, input: new TextDecoder().decode(r.input?.inline ?? new Uint8Array()) }))
    .sort((a, b) => String(a.key).localeCompare(String(b.key)));
}

/** Moves the fake clock to `at` exactly. */
const advanceTo = (h: Harness, at: number) => h.clock.advance(at - h.clock.now());

async function withHarness(body: (h: Harness) => Promise<void>): Promise<void> {
  const h = await createHarness([fnSpec("job")]);
  try {
    await body(h);
  } finally {
    await h.close();
  }
}

test('a "* * * * *" schedule fires at each minute boundary, one request per tick, with its input', () =>
  withHarness(async (h) => {
    const s = await schedule(h, "* * * * *");
    const first = s.nextFireTimeMs;
    assert.equal(first % MINUTE, 0, "ticks are whole minutes");
    const t = ticker(h);
    try {
      await advanceTo(h, first - 1);
      assert.deepEqual(await requests(h), [], "nothing before the boundary");
      await advanceTo(h, first);
      await t.idle();
      assert.deepEqual(await requests(h), [{ key: tickKey(s.id, first), input: '{"n":1}' }]);
      const after = await h.store.getCronSchedule(s.id);
      assert.equal(after?.lastFiredAtMs, first);
      assert.equal(after?.nextFireTimeMs, first + MINUTE);

      await advanceTo(h, first + 2 * MINUTE + 30_000);
      await t.idle();
      assert.deepEqual(
        (await requests(h)).map((r) => r.key),
        [first, first + MINUTE, first + 2 * MINUTE].map((tick) => tickKey(s.id, tick)),
      );
    } finally {
      await t.stop();
    }
  }));

test("two tickers on one store make exactly one request per tick", () =>
  withHarness(async (h) => {
    const s = await schedule(h, "*/2 * * * *");
    const invoked: string[] = [];
    const invoke: CronTickerOptions["invoke"] = async (ns, app, input, key) => {
      invoked.push(key);
      return h.engine.invoke(ns, app, input, key);
    };
    const a = ticker(h, { invoke });
    const b = ticker(h, { invoke });
    try {
      await advanceTo(h, s.nextFireTimeMs + 4 * MINUTE);
      await Promise.all([a.idle(), b.idle()]);
      const ticks = [0, 2, 4].map((m) => tickKey(s.id, s.nextFireTimeMs + m * MINUTE));
      assert.deepEqual(
        (await requests(h)).map((r) => r.key),
        ticks,
      );
      assert.ok(invoked.length >= 3, "both tickers ran");
    } finally {
      await Promise.all([a.stop(), b.stop()]);
    }
  }));

test("ticks missed while no ticker ran fire once, then the schedule moves to the next future tick", () =>
  withHarness(async (h) => {
    const s = await schedule(h, "* * * * *");
    await advanceTo(h, s.nextFireTimeMs + 10 * MINUTE + 15_000); // ten missed ticks, no ticker
    const t = ticker(h);
    try {
      await t.idle();
      await h.clock.flush();
      await t.idle();
      assert.deepEqual(
        (await requests(h)).map((r) => r.key),
        [tickKey(s.id, s.nextFireTimeMs)],
        "one request for the whole gap",
      );
      const after = await h.store.getCronSchedule(s.id);
      const nextBoundary = s.nextFireTimeMs + 11 * MINUTE;
      assert.equal(after?.nextFireTimeMs, nextBoundary, "the next tick is in the future");
      assert.equal(after?.lastFiredAtMs, s.nextFireTimeMs);
      await advanceTo(h, nextBoundary);
      await t.idle();
      assert.equal((await requests(h)).length, 2, "then it fires on time again");
    } finally {
      await t.stop();
    }
  }));

test("a tick retried after a failure between invoke and claim still makes one request", () =>
  withHarness(async (h) => {
    const s = await schedule(h, "* * * * *");
    let failClaims = 1;
    const store: CronTickerOptions["store"] = {
      listEnabledCronSchedules: () => h.store.listEnabledCronSchedules(),
      claimCronTick: async (...args: Parameters<Store["claimCronTick"]>) => {
        if (failClaims-- > 0) throw new Error("connection lost");
        return h.store.claimCronTick(...args);
      },
    };
    const logs: string[] = [];
    const t = ticker(h, { store, retryMs: 5_000, log: (l) => logs.push(l) });
    try {
      await advanceTo(h, s.nextFireTimeMs);
      await t.idle();
      assert.equal((await requests(h)).length, 1, "the request was made before the claim failed");
      assert.equal((await h.store.getCronSchedule(s.id))?.nextFireTimeMs, s.nextFireTimeMs, "the tick is still due");
      assert.match(logs.join("\n"), /connection lost/);
      await advanceTo(h, s.nextFireTimeMs + 5_000);
      await t.idle();
      assert.deepEqual(
        (await requests(h)).map((r) => r.key),
        [tickKey(s.id, s.nextFireTimeMs)],
        "the retry found the same request",
      );
      assert.equal((await h.store.getCronSchedule(s.id))?.nextFireTimeMs, s.nextFireTimeMs + MINUTE);
    } finally {
      await t.stop();
    }
  }));

test("a schedule created while the ticker sleeps is picked up by changed(), not by polling", () =>
  withHarness(async (h) => {
    const t = ticker(h, { fallbackMs: 60 * MINUTE });
    try {
      await t.idle();
      const s = await schedule(h, "* * * * *");
      t.changed();
      await t.idle();
      await advanceTo(h, s.nextFireTimeMs);
      await t.idle();
      assert.deepEqual(
        (await requests(h)).map((r) => r.key),
        [tickKey(s.id, s.nextFireTimeMs)],
      );
    } finally {
      await t.stop();
    }
  }));

test("a tick of a deleted application is skipped and the schedule moves on", () =>
  withHarness(async (h) => {
    const s = await schedule(h, "* * * * *", { application: "gone" });
    const logs: string[] = [];
    const t = ticker(h, { log: (l) => logs.push(l) });
    try {
      await advanceTo(h, s.nextFireTimeMs);
      await t.idle();
      assert.match(logs.join("\n"), /skipped: .*gone/);
      assert.equal((await h.store.getCronSchedule(s.id))?.nextFireTimeMs, s.nextFireTimeMs + MINUTE);
    } finally {
      await t.stop();
    }
  }));
