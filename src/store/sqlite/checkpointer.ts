/**
 * WAL checkpoints off the event loop.
 *
 * SQLite's automatic checkpoint runs inside the COMMIT that takes the WAL past 1,000 pages, on the
 * committing thread, and with `synchronous = NORMAL` it fsyncs the WAL and then the database file.
 * A trivial request writes about 25 pages, so every ~40 requests one COMMIT stalled the event loop
 * for milliseconds (in CPU profiles of the server, BEGIN/COMMIT took ~0.6 ms of wall time per
 * request against ~0.1 ms of CPU). Here the store's connection never checkpoints
 * (`wal_autocheckpoint = 0`); a worker thread with its own connection runs PASSIVE checkpoints.
 *
 * Invariants:
 * - Durability is unchanged: a COMMIT has written its frames to the WAL before it returns, as
 *   before; a checkpoint only copies committed pages into the database file. PASSIVE never takes
 *   the write lock, so it never delays a writer.
 * - At most one checkpoint request is in flight: after a commit, the store posts `dirty` unless one
 *   is outstanding; the worker checkpoints (at most every {@link MIN_INTERVAL_MS}) and answers
 *   `clean`. An idle store costs nothing.
 * - If the worker cannot start or dies, the connection goes back to automatic checkpoints.
 */
import { Worker } from "node:worker_threads";
import type Database from "better-sqlite3";

/** Shortest time between two checkpoints: lets the WAL gather pages a checkpoint writes once. */
export const MIN_INTERVAL_MS = 50;

/** SQLite's default `wal_autocheckpoint` (pages), restored when the worker is gone. */
const AUTO_PAGES = 1000;

export interface Checkpointer {
  /** A transaction committed on the store's connection. */
  committed(): void;
  /** Stops the worker (its connection closed) so the store's connection closes last. */
  close(): Promise<void>;
}

/** Starts the checkpoint worker for the database at `path` (a file in WAL mode) opened as `db`. */
export function startCheckpointer(db: Database.Database, path: string): Checkpointer {
  let worker: Worker | null = null;
  let outstanding = false;
  let closed = false;
  const fallBack = (): void => {
    worker = null;
    if (!closed && db.open) db.pragma(`wal_autocheckpoint = ${AUTO_PAGES}`);
  };
  try {
    worker = new Worker(new URL("./checkpoint-worker.js", import.meta.url), {
      workerData: { path, minIntervalMs: MIN_INTERVAL_MS },
    });
    worker.on("message", () => (outstanding = false));
    worker.on("error", (e: Error) => {
      process.stderr.write(`tributary: SQLite checkpoint worker failed (${e.message}); checkpointing inline\n`);
      fallBack();
    });
    worker.on("exit", fallBack);
    // Never keeps a process alive on its own (a store left open must not hang an exit). After the
    // listeners: adding a 'message' listener refs the worker's port again.
    worker.unref();
    db.pragma("wal_autocheckpoint = 0");
  } catch {
    fallBack();
  }
  return {
    committed() {
      if (outstanding || !worker) return;
      outstanding = true;
      worker.postMessage("dirty");
    },
    async close() {
      closed = true;
      const w = worker;
      if (!w) return;
      w.ref();
      await new Promise<void>((resolve) => {
        w.once("exit", () => resolve());
        w.postMessage("close");
      });
    },
  };
}
