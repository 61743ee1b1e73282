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
 * - A method that throws leaves none of its writes in the batch, and the batch's other writes
 *   stay. Its transactions run without a savepoint ("lean", transaction.ts); when one throws, the
 *   batch is rolled back and its completed methods run again, with savepoints (`undo`). That is
 *   why the batch keeps each method with its arguments until the commit.
 * - A failed COMMIT (or a failed undo) rejects every write of the batch and rolls it back.
 * - Reads run at once and may see writes of the open batch (same connection); they are never
 *   published before the commit that makes them durable.
 */
import type Database from "better-sqlite3";
import type { Store } from "../types.js";
import { leanBatchOf } from "./transaction.js";

const READS = /^(get|list|find|migrate|close)/;

interface Batch {
  waiters: { resolve: () => void; reject: (e: unknown) => void }[];
  /** The batch's completed write methods, to run again after an undo. */
  ops: (() => void)[];
  /**
   * Null while open; then whether it committed. An undo that failed ends it too (its transaction
   * is gone): every write of it is rejected.
   */
  outcome: { error: unknown } | "committed" | null;
}

const ignore = (): void => {};

/** `onCommit`: called after each successful COMMIT (the WAL checkpointer's cue). */
export function withGroupCommit(db: Database.Database, store: Store, onCommit?: () => void): Store {
  const lean = leanBatchOf(db);
  let current: Batch | null = null;

  const rollback = (): void => {
    try {
      db.exec("ROLLBACK");
    } catch {
      /* already rolled back */
    }
  };

  /**
   * Commits the batch if it is still open, then settles its waiters. Called by its `setImmediate`
   * and by `close`, so a waiter that arrives after the first call is settled by the second.
   */
  const commit = (batch: Batch): void => {
    if (batch.outcome === null) {
      current = null;
      try {
        db.exec("COMMIT");
        batch.outcome = "committed";
        onCommit?.();
      } catch (e) {
        rollback();
        batch.outcome = { error: e };
      }
    }
    const outcome = batch.outcome;
    const waiters = batch.waiters.splice(0);
    for (const w of waiters) {
      if (outcome === "committed") w.resolve();
      else w.reject(outcome.error);
    }
  };

  lean.undo = (): boolean => {
    const batch = current!;
    lean.lean = false;
    try {
      rollback();
      db.exec("BEGIN IMMEDIATE");
      // With their savepoints (lean is off): a method that failed the first time fails alike.
      for (const op of batch.ops) op();
      for (const t of lean.completed) t();
      return true;
    } catch (e) {
      batch.outcome = { error: e };
      rollback();
      current = null;
      return false;
    }
  };

  const wrapped: Record<string, unknown> = {};
  for (const [name, fn] of Object.entries(store) as [string, (...a: unknown[]) => Promise<unknown>][]) {
    if (typeof fn !== "function" || READS.test(name)) {
      wrapped[name] = fn;
      continue;
    }
    wrapped[name] = (...args: unknown[]): Promise<unknown> => {
      let batch = current;
      if (!batch) {
        db.exec("BEGIN IMMEDIATE");
        batch = current = { waiters: [], ops: [], outcome: null };
        setImmediate(commit, batch);
      }
      // better-sqlite3 is synchronous: the method's statements run now, inside the batch.
      lean.lean = true;
      let result: Promise<unknown>;
      try {
        result = fn(...args);
      } finally {
        lean.lean = false;
        lean.completed.length = 0;
      }
      const b = batch;
      b.ops.push(() => {
        fn(...args).catch(ignore);
      });
      return result.then(
        (v) => new Promise((resolve, reject) => b.waiters.push({ resolve: () => resolve(v), reject })),
      );
    };
  }
  const close = store.close;
  wrapped.close = async () => {
    if (current) commit(current);
    await close();
  };
  return wrapped as unknown as Store;
}
