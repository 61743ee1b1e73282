/**
 * The write transactions of the store's methods, and how a group commit runs them without a
 * SAVEPOINT.
 *
 * Alone (no group commit, or outside one of its methods), a transaction is `BEGIN IMMEDIATE` …
 * `COMMIT`, or a SAVEPOINT when a transaction is already open: better-sqlite3's own semantics.
 *
 * Inside a group commit's batch (group-commit.ts), each method used to run as a SAVEPOINT so that a
 * method that throws rolls back its own statements only. A savepoint copies every page it is the
 * first to change into the statement journal, and each method starts a new one: 13 % of the
 * store's instructions per trivial request (bench/store-micro.ts under callgrind). Failures are
 * rare, so the batch runs its methods' transactions "lean", with no savepoint, and pays only when
 * one throws: `undo` rolls the whole batch back and runs again, each with its savepoints, the
 * methods that completed before (and the running method's transactions that completed), which
 * rebuilds exactly the state the savepoint would have restored. Invariants that this relies on:
 * - A write method is deterministic given the database and its arguments (no clock, no randomness
 *   in the store: ids and times come from the caller), and the caller does not mutate arguments
 *   after the call; so running it again writes and returns what it did the first time.
 * - A method's statements run synchronously, inside the call (better-sqlite3), and every write of a
 *   method is inside its `writeTransaction`s: a statement run directly would not be undone by
 *   `undo` (only completed transactions are replayed), and a write after an `await` would run twice.
 */
import type Database from "better-sqlite3";

/** What a group commit shares with the transactions of its database's store. */
export interface LeanBatch {
  /** True while a group commit runs a write method: its transactions may skip their savepoint. */
  lean: boolean;
  /** The running method's transactions that completed lean (run again by `undo`, in order). */
  completed: (() => void)[];
  /**
   * Undoes the writes of a lean transaction that threw, keeping everything else of the batch; false
   * when that failed (the batch then fails whole, and nothing more runs lean in it).
   */
  undo(): boolean;
}

const batches = new WeakMap<Database.Database, LeanBatch>();

/** The database's `LeanBatch` (one per connection, created on first use). */
export function leanBatchOf(db: Database.Database): LeanBatch {
  let batch = batches.get(db);
  if (!batch) {
    batch = { lean: false, completed: [], undo: () => false };
    batches.set(db, batch);
  }
  return batch;
}

/**
 * `fn` as a write transaction: lean inside a group commit's method, `BEGIN IMMEDIATE` (or a
 * SAVEPOINT within an open transaction) otherwise.
 */
export function writeTransaction<A extends unknown[], R>(
  db: Database.Database,
  fn: (...args: A) => R,
): (...args: A) => R {
  const tx = db.transaction(fn);
  const batch = leanBatchOf(db);
  return (...args: A): R => {
    if (!batch.lean) return tx.immediate(...args);
    // A transaction that `fn` itself opens runs with a savepoint, nested in this one.
    batch.lean = false;
    let result: R;
    try {
      result = fn(...args);
    } catch (e) {
      batch.lean = batch.undo();
      throw e;
    }
    batch.lean = true;
    // Run again (by `undo`) inside the batch's open transaction: with a savepoint.
    batch.completed.push(() => tx(...args));
    return result;
  };
}
