/**
 * Contract: cron schedules are listed per application, deleted by (namespace, application, id), and
 * a tick is claimed by exactly one caller (compare-and-set on `nextFireTimeMs`).
 */
import assert from "node:assert/strict";
import type { CronScheduleRow } from "../types.js";
import { ALL_BYTES, inline, storeTest, uid, type MakeStore } from "./fixtures.js";

const schedule = (over: Partial<CronScheduleRow> = {}): CronScheduleRow => ({
  id: uid("cron"),
  namespace: "default",
  application: "app",
  cronExpression: "* * * * *",
  input: null,
  enabled: true,
  nextFireTimeMs: 60_000,
  lastFiredAtMs: null,
  createdAt: 10,
  ...over,
});

export function cronScheduleContract(makeStore: MakeStore): void {
  storeTest(makeStore, "cron schedules: create, get, list per application oldest first, delete", async (s) => {
    const a = schedule({ input: inline(ALL_BYTES, "application/octet-stream"), createdAt: 20 });
    const b = schedule({ cronExpression: "0 3 * * 1", createdAt: 10, nextFireTimeMs: 1_800_000_000_000 });
    const other = schedule({ application: "other" });
    const elsewhere = schedule({ namespace: "team" });
    for (const x of [a, b, other, elsewhere]) await s.createCronSchedule(x);
    assert.deepEqual(await s.getCronSchedule(a.id), a, "the input survives byte for byte");
    assert.equal(await s.getCronSchedule("nope"), null);
    assert.deepEqual(await s.listCronSchedules("default", "app"), [b, a]);
    assert.deepEqual(await s.listCronSchedules("team", "app"), [elsewhere]);
    assert.deepEqual(await s.listCronSchedules("default", "none"), []);

    assert.equal(await s.deleteCronSchedule("default", "other", a.id), false, "the id must belong to the application");
    assert.equal(await s.deleteCronSchedule("default", "app", a.id), true);
    assert.equal(await s.deleteCronSchedule("default", "app", a.id), false);
    assert.deepEqual(await s.listCronSchedules("default", "app"), [b]);
  });

  storeTest(makeStore, "cron schedules: enabled ones listed soonest first", async (s) => {
    const late = schedule({ nextFireTimeMs: 300_000 });
    const soon = schedule({ nextFireTimeMs: 120_000 });
    const off = schedule({ nextFireTimeMs: 60_000, enabled: false });
    for (const x of [late, soon, off]) await s.createCronSchedule(x);
    assert.deepEqual(await s.listEnabledCronSchedules(), [soon, late]);
  });

  storeTest(makeStore, "cron schedules: a tick is claimed once, then the next one can be", async (s) => {
    const x = schedule({ nextFireTimeMs: 60_000 });
    await s.createCronSchedule(x);
    const racers = await Promise.all(Array.from({ length: 8 }, () => s.claimCronTick(x.id, 60_000, 120_000)));
    assert.equal(racers.filter(Boolean).length, 1, "exactly one of eight concurrent claims wins");
    assert.deepEqual(await s.getCronSchedule(x.id), { ...x, nextFireTimeMs: 120_000, lastFiredAtMs: 60_000 });
    assert.equal(await s.claimCronTick(x.id, 60_000, 180_000), false, "a stale tick is refused");
    assert.equal(await s.claimCronTick(x.id, 120_000, 180_000), true);
    assert.equal((await s.getCronSchedule(x.id))?.nextFireTimeMs, 180_000);
    assert.equal(await s.claimCronTick("nope", 0, 1), false);

    const off = schedule({ enabled: false });
    await s.createCronSchedule(off);
    assert.equal(
      await s.claimCronTick(off.id, off.nextFireTimeMs, off.nextFireTimeMs + 60_000),
      false,
      "a disabled schedule never fires",
    );
  });
}
