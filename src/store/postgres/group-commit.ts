/**
 * Group commit for PostgreSQL: the state transitions issued while the writer is busy (or in the
 * same tick when it is idle) run together in ONE transaction, pipelined on one connection, and
 * commit once. SQLite's equivalent is sqlite/group-commit.ts.
 *
 * Why: on the hot path a transaction costs its round trips (BEGIN, each statement, COMMIT) and its
 * commit (a WAL flush), not its statements. Under load, many requests' transitions now share one
 * BEGIN, one COMMIT and one flush, and their statements travel together in one socket write.
 *
 * Invariants:
 * - A job's promise settles only after the COMMIT that makes its writes durable: nothing is
 *   acknowledged (an invoke's id, an event on a stream, a result) before it is committed.
 * - Jobs of one batch run concurrently inside the transaction, their statements interleaved on
 *   the one connection. That is no weaker than separate READ COMMITTED transactions: every
 *   transition is a compare-and-set, and a later statement sees an earlier one's writes.
 * - Jobs apply in the order they are issued: a batch calls its jobs in that order, each sends its
 *   first statement before it yields, and a job issued while a batch runs goes to a later batch,
 *   which starts once that one settled. So a job's first statement sees what every job issued
 *   before it wrote in its own first statement, committed or not (`Store.appliedAtCall`).
 * - One batch at a time per store: batches of one server can never deadlock each other (jobs in
 *   one batch share its locks). A batch that meets a deadlock with another server is retried.
 * - If any job of a batch fails, the batch is rolled back and every job runs again alone, so one
 *   bad job fails by itself and the others commit exactly once. A failed COMMIT rejects every job
 *   of the batch: its outcome is unknown (the connection may have died after the server committed),
 *   so nothing is re-run. A connection lost in a batch is never given back to the pool
 *   (transaction.ts `onReserved`).
 * - A job uses only its `tx`: it must not wait on anything outside the transaction, or it would
 *   hold up every write of the server.
 * - A batch of one-statement jobs (`begin.one`) is ONE round trip: BEGIN, the statements and COMMIT
 *   go out together. Should a statement fail, PostgreSQL answers the COMMIT with ROLLBACK and the
 *   jobs run again alone, as above. Such a job writes nothing but in its first statement and never
 *   throws after that statement wrote (a refusal is raised by the statement itself), because its
 *   COMMIT is already sent; it may read afterwards (outside the transaction once it committed).
 */
import type { Sql, Tx } from "./connect.js";
import { isLost, onReserved } from "./transaction.js";

/** Runs `fn` in a transaction (shared with other jobs) and resolves with its result after COMMIT. */
export type Begin = (<T>(fn: (tx: Tx) => Promise<T>) => Promise<T>) & {
  /**
   * For a write nobody waits on (a NOTIFY hint): joins the batch being gathered when there is one,
   * so it costs no transaction (and no WAL flush) of its own; otherwise runs at once on the pool,
   * rather than hold up the next batch.
   */
  ride(fn: (tx: Tx) => Promise<unknown>): Promise<void>;
  /**
   * Runs `fn` in a transaction of its own, after every job issued before it has settled and before
   * any issued after it: for a job whose reads must not interleave with other jobs' writes in a
   * shared transaction (a `maxContainers` count), yet must see every write issued before it.
   */
  alone<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
  /**
   * As `begin`, for a job whose writes are all in its first statement, sent before it yields, and
   * that never throws once that statement wrote: its batch's COMMIT is pipelined with it.
   */
  one<T>(fn: (tx: Tx) => Promise<T>): Promise<T>;
};

/** Options of {@link groupCommit}. */
export interface GroupCommitOptions {
  /** Most jobs per transaction (default 256). */
  maxBatch?: number;
}

interface Job {
  fn: (tx: Tx) => Promise<unknown>;
  alone: boolean;
  one: boolean;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/** SQLSTATEs after which a transaction that ran alone is simply run again. */
const RETRYABLE = new Set(["40P01", "40001"]); // deadlock_detected, serialization_failure
const MAX_RETRIES = 5;

/**
 * @example
 * const begin = groupCommit(sql);
 * const events = await begin(async (tx) => appendEvents(tx, requestId, evs)); // committed here
 */
export function groupCommit(sql: Sql, options: GroupCommitOptions = {}): Begin {
  const maxBatch = options.maxBatch ?? 256;
  let queue: Job[] = [];
  let busy = false;
  let scheduled = false;

  const drain = (): void => {
    scheduled = false;
    if (busy || queue.length === 0) return;
    busy = true;
    let n = 1;
    if (!queue[0]!.alone) while (n < queue.length && n < maxBatch && !queue[n]!.alone) n++;
    const batch = queue.slice(0, n);
    queue = queue.slice(n);
    void runBatch(batch).finally(() => {
      busy = false;
      // What arrived meanwhile is the next batch: run it at once, no tick of delay.
      drain();
    });
  };

  async function runBatch(batch: Job[], retries = 0): Promise<void> {
    let outcome: Outcome;
    try {
      outcome = await once(sql, batch);
    } catch (e) {
      // BEGIN, ROLLBACK or COMMIT failed, or no connection, or it was lost: nothing was (knowingly)
      // committed, but after a failed COMMIT nobody can tell, so nothing is re-run.
      for (const j of batch) j.reject(e);
      return;
    }
    if (outcome.ok) {
      batch.forEach((j, i) => {
        const v = outcome.values[i];
        if (v instanceof Failed) j.reject(v.reason);
        else j.resolve(v);
      });
      return;
    }
    if (batch.length === 1) {
      if (isRetryable(outcome.error) && retries < MAX_RETRIES) return runBatch(batch, retries + 1);
      batch[0]!.reject(outcome.error);
      return;
    }
    // Rolled back: each job again on its own, in order, so a bad one fails alone.
    for (const j of batch) await runBatch([j]);
  }

  const enqueue = <T>(fn: (tx: Tx) => Promise<T>, kind: "alone" | "one" | "any"): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      queue.push({
        fn,
        alone: kind === "alone",
        one: kind === "one",
        resolve: resolve as (v: unknown) => void,
        reject,
      });
      if (!busy && !scheduled) {
        scheduled = true;
        // A tick's worth of callers (e.g. HTTP requests parsed together) join the first batch.
        setImmediate(drain);
      }
    });
  const begin = <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => enqueue(fn, "any");
  return Object.assign(begin, {
    alone: <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => enqueue(fn, "alone"),
    one: <T>(fn: (tx: Tx) => Promise<T>): Promise<T> => enqueue(fn, "one"),
    async ride(fn: (tx: Tx) => Promise<unknown>): Promise<void> {
      await (queue.length > 0 ? enqueue(fn, "one") : fn(sql));
    },
  });
}

/**
 * The COMMIT pipelined behind a batch's statements, padded past 1 KiB with a comment so that it
 * leaves in the batch's one socket write. postgres.js hands a pending write of 1 KiB or more to the
 * socket at once but holds a smaller one until its next `setImmediate`; the socket (connect.ts
 * `coalescingSocket`) is corked from the batch's first write until an earlier `setImmediate`, so
 * a plain COMMIT behind statements that filled a write went out alone, one event-loop turn later:
 * a second write, and a second wake-up of the backend, per batch (counting proxy: 3.0 client writes
 * per sequential trivial request instead of 2). A simple query: its text travels each time (a
 * prepared one sends only a short Bind), and PostgreSQL skips a comment as it lexes.
 */
const PIPELINED_COMMIT = `COMMIT /* ${"-".repeat(1024)} */`;

type Outcome = { ok: true; values: unknown[] } | { ok: false; error: unknown };

/**
 * One transaction for `batch`: BEGIN is pipelined with the jobs' first statements, and so is COMMIT
 * when every job is one statement. A job that fails while the others commit (it threw after a
 * statement that wrote nothing, allowed for `one` jobs) fails alone: `values` then holds its error
 * as a `Failed`.
 */
async function once(sql: Sql, batch: Job[]): Promise<Outcome> {
  // A connection lost in the batch is kept from the pool and the pool healed (transaction.ts).
  return onReserved(sql, async (conn) => {
    const begin = conn`BEGIN`.execute();
    begin.catch(() => {}); // awaited below; the jobs' statements fail too if it does
    const running = batch.map((j) => j.fn(conn));
    // postgres.js sends a query a few microtasks after it is awaited or executed: COMMIT goes out
    // on the next tick, after the microtasks that send the jobs' statements.
    const pipelined = batch.every((j) => j.one)
      ? new Promise<{ command: string }>((resolve, reject) =>
          process.nextTick(() => conn.unsafe(PIPELINED_COMMIT).execute().then(resolve, reject)),
        )
      : null;
    pipelined?.catch(() => {}); // awaited below
    const settled = await Promise.allSettled(running);
    await begin;
    const failed = settled.find((s): s is PromiseRejectedResult => s.status === "rejected");
    if (pipelined) {
      // ROLLBACK: a statement failed and nothing was committed.
      if ((await pipelined).command !== "COMMIT")
        return { ok: false, error: failed ? failed.reason : new Error("group commit: the batch was rolled back") };
      return { ok: true, values: settled.map((s) => (s.status === "fulfilled" ? s.value : new Failed(s.reason))) };
    }
    if (failed) {
      if (isLost(failed.reason)) throw failed.reason; // nothing more may be sent on it
      await conn`ROLLBACK`;
      return { ok: false, error: failed.reason };
    }
    await conn`COMMIT`;
    return { ok: true, values: settled.map((s) => (s as PromiseFulfilledResult<unknown>).value) };
  });
}

/** A job's error in a batch that committed (see `once`). */
class Failed {
  constructor(readonly reason: unknown) {}
}

function isRetryable(e: unknown): boolean {
  return RETRYABLE.has((e as { code?: string } | null)?.code ?? "");
}
