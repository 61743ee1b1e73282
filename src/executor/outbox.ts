/**
 * The executor's durable outbox: results (`done` messages) the server has not yet acknowledged as
 * committed, one file per attempt in `<data>/outbox/`. A result is written when it leaves the
 * container and deleted on the server's `ack`; an executor restarted on the same data directory
 * loads the outbox, re-announces those attempts at its hello and re-sends their results. So a
 * finished call whose result was in flight when the executor died (a SIGKILL, a machine crash) is
 * not run again.
 *
 * Entry lifecycle: written (temp file, fsync, rename) → acknowledged (deleted) | loaded at start-up
 * (re-sent, then acknowledged).
 *
 * The result is sent without waiting for the write: if the server commits it first, nothing was
 * needed; if the executor dies first, the write is what survives. Only a death between the
 * container's result and the end of the write loses it (the same as dying a moment earlier). The
 * directory is not fsynced after the rename: a power loss may forget an entry, and its call then runs
 * again (at-least-once), which a process kill, the common case, never does.
 */
import { mkdirSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { open, rename, unlink } from "node:fs/promises";
import { join } from "node:path";
import v8 from "node:v8";
import type { FromExecutor } from "../core/wire/executor.js";

/** A result as the executor sends it. */
export type OutboxEntry = Extract<FromExecutor, { t: "done" }>;

/** Attempt ids are the server's (`newId()`); anything else found in the directory is not ours. */
const NAME = /^[A-Za-z0-9_-]{1,128}$/;

export class Outbox {
  private readonly dir: string;
  /** Writes in progress: an `ack` that overtakes its write deletes the file once it is written. */
  private readonly writing = new Map<string, Promise<void>>();

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

  /** Makes a result durable (temp file + fsync + rename: a reader sees all of it or nothing). */
  put(m: OutboxEntry): void {
    if (!NAME.test(m.attemptId)) return; // not a file name: kept in memory only, as before
    const write = this.write(m).catch((e: unknown) => {
      process.stderr.write(`tributary: could not keep the result of ${m.attemptId}: ${(e as Error).message}\n`);
    });
    this.writing.set(m.attemptId, write);
    void write.finally(() => {
      if (this.writing.get(m.attemptId) === write) this.writing.delete(m.attemptId);
    });
  }

  /** The server committed the result: forget it (after its write, if that is still going). */
  remove(attemptId: string): void {
    if (!NAME.test(attemptId)) return;
    const file = join(this.dir, attemptId);
    const drop = (): Promise<void> => unlink(file).catch(() => {});
    const pending = this.writing.get(attemptId);
    void (pending ? pending.then(drop) : drop());
  }

  private async write(m: OutboxEntry): Promise<void> {
    const file = join(this.dir, m.attemptId);
    const tmp = `${file}.tmp`;
    const fh = await open(tmp, "w");
    try {
      await fh.writeFile(v8.serialize(m));
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, file);
  }
}
