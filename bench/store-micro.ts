/**
 * The SQLite store's own cost of one trivial request, without server, executor or HTTP:
 *
 *   node dist/bench/store-micro.js [n=4000] [batch=32] [warm=2000] [fill=0] [pages=400]
 *
 * Drives the store (group commit and checkpoint worker on, as a server opens it) through the writes
 * the engine makes for a trivial request (src/engine/requests.ts, attempts.ts, call-end.ts):
 * `createRequest` with its root call and two events, `startAttempt` in the same tick (they share a
 * commit), then `finishAttempt` with the call's and the request's finish and three events.
 * `batch=32` issues, in each tick, 32 new requests and the finishes of the previous tick's 32, as
 * 32 concurrent clients would (one commit per tick); `batch=1` is one client (two commits per
 * request: create and start, then finish).
 *
 * Prints one JSON line: CPU µs per request of the main thread (from /proc, 10 ms ticks) and of the
 * whole process (the checkpoint worker included), then WAL pages written per commit and per request,
 * counted in a second, shorter run (`pages` requests) from the WAL's frame count after each commit.
 * `fill` first clones that many finished requests into the file (bench/fill.ts), for deep B-trees.
 */
import { closeSync, mkdtempSync, openSync, readSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createSqliteStore } from "../src/store/sqlite/index.js";
import { fillFinishedRequests } from "./fill.js";
import { arg, drive, measure } from "./store-workload.js";

async function main(): Promise<void> {
  const n = arg("n", 4000);
  const batch = arg("batch", 32);
  const warm = arg("warm", 2000);
  const fill = arg("fill", 0);
  const pagesN = arg("pages", 400);
  const dir = mkdtempSync(join(tmpdir(), "store-micro-"));
  const path = join(dir, "db.sqlite");
  try {
    let store = createSqliteStore(path);
    await drive(store, warm, batch);
    if (fill > 0) {
      await store.close();
      fillFinishedRequests(path, fill);
      store = createSqliteStore(path);
      await drive(store, warm, batch);
    }
    const cpu = await measure(store, n, batch);

    // Pages: the WAL's last frame (`mxFrame` in the wal-index header, at byte 16 of the -shm file,
    // native byte order) after each commit. A commit that finds the WAL checkpointed restarts it
    // from frame 1, so a smaller figure than before means "all new".
    const shm = openSync(`${path}-shm`, "r");
    const word = Buffer.alloc(4);
    const lastFrame = (): number => (readSync(shm, word, 0, 4, 16), word.readUInt32LE(0));
    let frames = 0;
    let before = lastFrame();
    const commits = await drive(store, pagesN, batch, () => {
      const now = lastFrame();
      frames += now >= before ? now - before : now;
      before = now;
    });
    closeSync(shm);
    await store.close();
    const round = (x: number): number => Math.round(x * 10) / 10;
    console.log(
      JSON.stringify({
        n,
        batch,
        fill,
        ...cpu,
        pagesPerCommit: round(frames / commits),
        pagesPerRequest: round(frames / pagesN),
      }),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
