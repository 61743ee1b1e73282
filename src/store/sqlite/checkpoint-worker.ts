/**
 * The checkpoint worker of checkpointer.ts: its own connection to the store's database, running a
 * PASSIVE checkpoint when the store says it committed (`dirty`), at most every `minIntervalMs`,
 * then answering `clean`. `close` closes the connection and ends the thread.
 *
 * Under writes that never pause, a PASSIVE checkpoint never finds the WAL fully copied, so the WAL
 * is never restarted and keeps growing; past {@link RESTART_FRAMES} frames one RESTART checkpoint
 * (which briefly holds writers off, as SQLite's own automatic checkpoint did) starts it over.
 */
import { parentPort, workerData } from "node:worker_threads";
import Database from "better-sqlite3";

const { path, minIntervalMs } = workerData as { path: string; minIntervalMs: number };
const db = new Database(path);
db.pragma("busy_timeout = 5000");
/** WAL frames (4 KiB pages) past which a checkpoint restarts the WAL: about 80 MB. */
const RESTART_FRAMES = 20_000;
let last = 0;
let timer: NodeJS.Timeout | null = null;
let closing = false;

function checkpoint(): void {
  timer = null;
  if (closing) return;
  last = Date.now();
  try {
    const [r] = db.pragma("wal_checkpoint(PASSIVE)") as { log: number }[];
    if (r && r.log > RESTART_FRAMES) db.pragma("wal_checkpoint(RESTART)");
  } catch {
    // Busy or interrupted: the next commit asks again.
  }
  parentPort!.postMessage("clean");
}

parentPort!.on("message", (m: string) => {
  if (m === "close") {
    closing = true;
    if (timer) clearTimeout(timer);
    db.close();
    process.exit(0);
  }
  if (timer || closing) return;
  timer = setTimeout(checkpoint, Math.max(0, last + minIntervalMs - Date.now()));
});
