/**
 * The executor's durable outbox: results (`done` messages) the server has not yet acknowledged as
 * committed, one file per attempt in `<data>/outbox/`. A result is written when it leaves the
 * container and deleted on the server's `ack`; an executor restarted on the same data directory
 * loads the outbox, re-announces those attempts at its hello and re-sends their results. So a
 * finished call whose result was in flight when the executor died (a SIGKILL, a machine crash) is
 * not run again.
 *
 * Entry lifecycle: written (temp file, rename) → acknowledged (deleted) | loaded at start-up
 * (re-sent, then acknowledged).
 *
 * The write is synchronous, in the turn the result is sent, so the only loss left is a death between
 * the function's return and that write (the result in the pipe from its container, or in the
 * executor's hands for one event-loop turn), as for any side effect a function makes just before
 * it returns: at-least-once, in any system. A process
 * kill (SIGKILL, the OOM killer, a crash of the executor) never loses a written entry; the file is
 * not fsynced, so a power loss may lose one the kernel had not yet flushed, and its call then runs
 * again: an fsync per result would cost every call a disk flush for that rarer case.
 */
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { unlink } from "node:fs/promises";
import { join } from "node:path";
import v8 from "node:v8";
import type { FromExecutor } from "../core/wire/executor.js";

/** A result as the executor sends it. */
export type OutboxEntry = Extract<FromExecutor, { t: "done" }>;

/** Attempt ids are the server's (`newId()`); anything else found in the directory is not ours. */
const NAME = /^[A-Za-z0-9_-]{1,128}$/;

export class Outbox {
  private readonly dir: string;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "outbox");
    mkdirSync(this.dir, { recursive: true });
  }

  /**
   * The results a previous run of this executor left unacknowledged. Half-written temp files (a
   * death mid-write) and unreadable entries are removed: their attempts never had a durable result.
   */
  load(): OutboxEntry[] {
    const out: OutboxEntry[] = [];
    for (const name of readdirSync(this.dir)) {
      const file = join(this.dir, name);
      if (!NAME.test(name)) {
        rmSync(file, { force: true });
        continue;
      }
      try {
        const m = v8.deserialize(readFileSync(file)) as OutboxEntry;
        if (m?.t === "done" && m.attemptId === name) out.push(m);
        else rmSync(file, { force: true });
      } catch {
        rmSync(file, { force: true });
      }
    }
    return out;
  }

  /** Keeps a result (temp file + rename: a reader sees all of it or nothing). */
  put(m: OutboxEntry): void {
    if (!NAME.test(m.attemptId)) return; // not a file name: kept in memory only, as before
    const file = join(this.dir, m.attemptId);
    try {
      writeFileSync(`${file}.tmp`, v8.serialize(m));
      renameSync(`${file}.tmp`, file);
    } catch (e) {
      process.stderr.write(`tributary: could not keep the result of ${m.attemptId}: ${(e as Error).message}\n`);
    }
  }

  /** The server committed the result: forget it. */
  remove(attemptId: string): void {
    if (NAME.test(attemptId)) void unlink(join(this.dir, attemptId)).catch(() => {});
  }
}
