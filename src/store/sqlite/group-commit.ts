/**
 * Group commit: every write made in one tick of the event loop joins one SQLite transaction, which
 * commits on the next `setImmediate`; each write's promise settles only after that COMMIT.
 *
 * Why: the cost of a write on the hot path is the commit (a WAL append and lock work), not the
 * statements. Under load, many requests finish in the same tick and now share one commit.
 *
 * Invariants:
 * - A method's promise resolves only once its transaction is committed, so anything acknowledged
 *   (an invoke's request id, an event published to a stream) is durable, exactly as before.
 * - Each method still runs as its own `db.transaction`, which inside the batch becomes a SAVEPOINT:
 *   a method that throws rolls back its own statements only.
 * - A failed COMMIT rejects every write of the batch (and rolls the batch back).
 * - Reads run at once and may see writes of the open batch (same connection); they are never
 *   published before the commit that makes them durable.
 */
import type Database from "better-sqlite3";
import type { Store } from "../types.js";

const READS = /^(get|list|find|migrate|close)/;

/** `onCommit`: called after each successful COMMIT (the WAL checkpointer's cue). */
export function withGroupCommit(db: Database.Database, store: Store, onCommit?: () => void): Store {
  let open = false;
  let waiters: { resolve: () => void; reject: (e: unknown) => void }[] = [];

  const commit = (): void => {
    const batch = waiters;
    waiters = [];
    open = false;
    try {
      db.exec("COMMIT");
    } catch (e) {
      try {
        db.exec("ROLLBACK");
      } catch {
        /* already rolled back */
      }
      for (const w of batch) w.reject(e);
      return;
    }
    onCommit?.();
    for (const w of batch) w.resolve();
  };

  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(store) as [string, (...a: unknown[]) => Promise<unknown>][]) {
    if (typeof fn !== "function" || READS.test(name)) {
      wrapped[name] = fn;
      continue;
    }
    wrapped[name] = (...args: unknown[]): Promise<unknown> => {
      if (!open) {
        db.exec("BEGIN IMMEDIATE");
        open = true;
        setImmediate(commit);
      }
      // better-sqlite3 is synchronous: the method's statements run now, inside the batch.
      const result = fn(...args);
      return result.then((v) => new Promise((resolve, reject) => waiters.push({ resolve: () => resolve(v), reject })));
    };
  }
  const close = store.close;
  wrapped.close = async () => {
    if (open) commit();
    await close();
  };
  return wrapped as unknown as Store;
}
