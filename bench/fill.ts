/**
 * Fills a stopped server's SQLite store with `count` finished requests, cloned from one real
 * finished request of the `trivial` application (its call, attempt and events included), so the
 * rows, indexes and sizes are those the engine writes. Request ids are time-ordered like the
 * engine's (11 hex digits of a past millisecond, then 9 random), older than anything invoked after
 * the fill. Runs only while no server holds the file.
 *
 * Why SQL and not the Store API: the API writes one request per transaction with its events;
 * 1M of those would take far longer than the benchmark they prepare. Batches of 10k rows per
 * transaction keep the WAL bounded.
 */
import Database from "better-sqlite3";

const BATCH = 10_000;

/** Column list of `table` with per-column replacement expressions (others are copied from tpl). */
function cloneSelect(
  db: Database.Database,
  table: string,
  replace: Record<string, string>,
): { cols: string; exprs: string } {
  const cols = (db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name);
  return { cols: cols.join(", "), exprs: cols.map((c) => replace[c] ?? `tpl.${c}`).join(", ") };
}

export interface FillResult {
  inserted: number;
  seconds: number;
  dbBytes: number;
}

export function fillFinishedRequests(path: string, count: number, onProgress?: (done: number) => void): FillResult {
  const db = new Database(path);
  const t0 = performance.now();
  try {
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    const tpl = db
      .prepare(
        `SELECT r.id FROM requests r WHERE r.application = 'trivial' AND r.status = 'succeeded'
                AND (SELECT count(*) FROM function_calls c WHERE c.request_id = r.id) = 1
                AND (SELECT count(*) FROM attempts a WHERE a.request_id = r.id) = 1 LIMIT 1`,
      )
      .pluck()
      .get() as string | undefined;
    if (!tpl) throw new Error("fill: no finished trivial request to clone (run the trivial app first)");
    db.exec("CREATE TEMP TABLE batch (n INTEGER PRIMARY KEY, rid TEXT NOT NULL, cid TEXT NOT NULL, aid TEXT NOT NULL)");
    // Spread created_at over the past so listings by time see a realistic history.
    const req = cloneSelect(db, "requests", {
      id: "b.rid",
      root_call_id: "b.cid",
      idempotency_key: "NULL",
      created_at: "tpl.created_at - b.n * 1000",
      finished_at: "tpl.finished_at - b.n * 1000",
    });
    const call = cloneSelect(db, "function_calls", {
      id: "b.cid",
      request_id: "b.rid",
      created_at: "tpl.created_at - b.n * 1000",
      finished_at: "tpl.finished_at - b.n * 1000",
    });
    const att = cloneSelect(db, "attempts", { id: "b.aid", call_id: "b.cid", request_id: "b.rid" });
    const ev = cloneSelect(db, "events", {
      request_id: "b.rid",
      call_id: "CASE WHEN tpl.call_id IS NULL THEN NULL ELSE b.cid END",
    });
    const clear = db.prepare(`DELETE FROM batch`);
    const ids = db.prepare(`INSERT INTO batch (n, rid, cid, aid)
        WITH RECURSIVE k(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM k WHERE i < @size)
        SELECT @base + i, printf('%011x', @now - (@base + i) * 1000) || substr(lower(hex(randomblob(5))), 1, 9), 'fill-' || lower(hex(randomblob(12))), 'fill-' || lower(hex(randomblob(12))) FROM k`);
    const clones = [
      db.prepare(
        `INSERT INTO requests (${req.cols}) SELECT ${req.exprs} FROM batch b, requests tpl WHERE tpl.id = @tpl`,
      ),
      db.prepare(
        `INSERT INTO function_calls (${call.cols}) SELECT ${call.exprs} FROM batch b, function_calls tpl WHERE tpl.request_id = @tpl`,
      ),
      db.prepare(
        `INSERT INTO attempts (${att.cols}) SELECT ${att.exprs} FROM batch b, attempts tpl WHERE tpl.request_id = @tpl`,
      ),
      db.prepare(
        `INSERT INTO events (${ev.cols}) SELECT ${ev.exprs} FROM batch b, events tpl WHERE tpl.request_id = @tpl`,
      ),
    ];
    const batch = db.transaction((base: number, size: number) => {
      clear.run();
      ids.run({ base, size, now: Date.now() });
      for (const s of clones) s.run({ tpl });
    });
    let done = 0;
    while (done < count) {
      const size = Math.min(BATCH, count - done);
      batch(done, size);
      done += size;
      onProgress?.(done);
    }
    db.pragma("wal_checkpoint(TRUNCATE)");
    const pages = db.pragma("page_count", { simple: true }) as number;
    const pageSize = db.pragma("page_size", { simple: true }) as number;
    return { inserted: done, seconds: (performance.now() - t0) / 1000, dbBytes: pages * pageSize };
  } finally {
    db.close();
  }
}
