/**
 * The executor's durable outbox: results (`done` messages) the server has not yet acknowledged as
 * committed. A result is kept when it leaves the container and forgotten on the server's `ack`; an
 * executor restarted on the same data directory loads the outbox, re-announces those attempts at its
 * hello and re-sends their results. So a finished call whose result was in flight when the executor
 * died (a SIGKILL, a machine crash) is not run again.
 *
 * Storage, in `<data>/outbox/`: two append-only log segments (`log-0`, `log-1`) of records, each
 * `[u32 length][body]`: a result (`{ t: "done", … }`) when it is kept and a tombstone (its attempt
 * id) when it is forgotten (the format: outbox-records.ts); loading replays both segments (results
 * minus tombstones, in any order). The results of one turn (`putAll`) are one synchronous write to
 * an open descriptor, in the turn they are sent: a few microseconds, where a file per result
 * (create, rename, unlink) cost 0.1–0.6 ms of CPU each on the loaded bench machine (BENCHMARKS.md,
 * session of 2026-11-26 evening). Tombstones are not written on their own: they wait for the next
 * result's write to their segment (one `writev`), or at most {@link TOMBSTONE_DELAY_MS}; one lost
 * to a death only makes a restart re-send a result the server already committed, which it
 * acknowledges and ignores (wire/executor.ts). A segment whose every result was forgotten is
 * emptied once it passes {@link SEGMENT_BYTES}; appends move to the other segment when it is empty,
 * so the log stays bounded while results are acknowledged. Files named by an attempt id (the
 * earlier format, one file per result) are still loaded, and deleted on their ack.
 *
 * Entry lifecycle: appended → acknowledged (tombstone; the segment emptied later) | loaded at
 * start-up (re-sent, then acknowledged).
 *
 * The only loss left is a death between the function's return and that write (the result in the
 * pipe from its container, or in the executor's hands for one event-loop turn), as for any side
 * effect a function makes just before it returns: at-least-once, in any system. A process kill
 * (SIGKILL, the OOM killer, a crash of the executor) never loses a written record; nothing is
 * fsynced, so a power loss may lose one the kernel had not yet flushed, and its call then runs
 * again: an fsync per result would cost every call a disk flush for that rarer case. A record torn
 * by a death mid-write (only ever the last one of a segment) is ignored.
 */
import {
  closeSync,
  writevSync,
  ftruncateSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeSync,
} from "node:fs";
import { join } from "node:path";
import { readEntry, record, records, tombstone, type OutboxEntry } from "./outbox-records.js";

export type { OutboxEntry };

/** Attempt ids are the server's (`newId()`); anything else found in the directory is not ours. */
const NAME = /^[A-Za-z0-9_-]{1,128}$/;
/** A segment whose results were all acknowledged is emptied once it is this large. */
const SEGMENT_BYTES = 1 << 20;
const SEGMENTS = ["log-0", "log-1"] as const;
/** The longest a tombstone waits for a result's write to share before it is written alone. */
const TOMBSTONE_DELAY_MS = 100;

interface Segment {
  fd: number;
  bytes: number;
  /** Results appended here and not yet acknowledged. */
  live: number;
  /** Tombstones of results appended here, not yet written (counted in `bytes` already). */
  tombstones: Buffer[];
}

/**
 * One write being gathered: its segment, its records (the waiting tombstones first), and the ids
 * and bytes of its results.
 */
interface Append {
  s: Segment;
  index: number;
  recs: Buffer[];
  ids: string[];
  bytes: number;
}

export class Outbox {
  private readonly dir: string;
  private readonly segments: Segment[] = [];
  private active = 0;
  /** Where each unacknowledged small result was appended (segment index). */
  private readonly where = new Map<string, number>();
  /** Results loaded from files of their own (the earlier format), deleted on their ack. */
  private readonly files = new Set<string>();
  private tombstoneTimer: NodeJS.Timeout | null = null;

  constructor(dataDir: string) {
    this.dir = join(dataDir, "outbox");
    mkdirSync(this.dir, { recursive: true });
  }

  /**
   * The results a previous run of this executor left unacknowledged, now kept by this one.
   * Half-written temp files (a death mid-write) and unreadable entries are removed: their attempts
   * never had a durable result.
   */
  load(): OutboxEntry[] {
    const found = Outbox.read(this.dir);
    for (const name of found.junk) rmSync(join(this.dir, name), { force: true });
    // A fresh log holding what is still pending, swapped in by a rename: a death now loses nothing.
    const fresh = join(this.dir, "log-0.tmp");
    const fd = openSync(fresh, "w");
    let bytes = 0;
    for (const m of found.logged) {
      const rec = record(m);
      writeSync(fd, rec);
      bytes += rec.length;
      this.where.set(m.attemptId, 0);
    }
    closeSync(fd);
    renameSync(fresh, join(this.dir, SEGMENTS[0]));
    rmSync(join(this.dir, SEGMENTS[1]), { force: true });
    for (const [i, name] of SEGMENTS.entries()) {
      this.segments.push({
        fd: openSync(join(this.dir, name), "a"),
        bytes: i === 0 ? bytes : 0,
        live: 0,
        tombstones: [],
      });
    }
    this.segments[0]!.live = found.logged.length;
    for (const m of found.files) this.files.add(m.attemptId);
    return [...found.logged, ...found.files];
  }

  /** Keeps a result until {@link remove} (after {@link load}, which opens the log). */
  put(m: OutboxEntry): void {
    this.putAll([m]);
  }

  /**
   * {@link put} for several results: one write per segment they land in (normally one), so the
   * results a run's container returned within one turn cost one system call.
   */
  putAll(ms: readonly OutboxEntry[]): void {
    if (this.segments.length === 0) return; // not loaded yet, or closed: kept in memory only
    let writing: Append | null = null;
    for (const m of ms) {
      if (!NAME.test(m.attemptId)) continue; // not a file name: kept in memory only, as before
      const rec = record(m);
      let s = this.segments[this.active]!;
      const other = this.segments[1 - this.active]!;
      if (s.bytes >= SEGMENT_BYTES && other.live === 0) {
        if (writing) this.append(writing);
        writing = null;
        this.empty(other);
        this.active = 1 - this.active;
        s = other;
      }
      // The waiting tombstones go first, in the same write.
      writing ??= { s, index: this.active, recs: s.tombstones.splice(0), ids: [], bytes: 0 };
      writing.recs.push(rec);
      writing.ids.push(m.attemptId);
      writing.bytes += rec.length;
      s.bytes += rec.length;
    }
    if (writing) this.append(writing);
  }

  /** One write, with O_APPEND landing whole at the end. */
  private append(w: Append): void {
    try {
      if (w.recs.length === 1) writeSync(w.s.fd, w.recs[0]!);
      else writevSync(w.s.fd, w.recs);
      w.s.live += w.ids.length;
      for (const id of w.ids) this.where.set(id, w.index);
    } catch (e) {
      w.s.bytes -= w.bytes; // not written: the segment did not grow
      for (const id of w.ids) failed(id, e);
    }
  }

  /** The server committed the result: forget it. */
  remove(attemptId: string): void {
    if (this.files.has(attemptId)) return this.removeFile(attemptId);
    const i = this.where.get(attemptId);
    if (i === undefined) return;
    this.where.delete(attemptId);
    const s = this.segments[i];
    if (!s) return; // closed
    s.live--;
    if (s.live === 0 && s.bytes >= SEGMENT_BYTES) return this.empty(s);
    const rec = tombstone(attemptId);
    s.tombstones.push(rec);
    s.bytes += rec.length;
    if (!this.tombstoneTimer) {
      this.tombstoneTimer = setTimeout(() => this.writeTombstones(), TOMBSTONE_DELAY_MS);
      this.tombstoneTimer.unref();
    }
  }

  /** Closes the log (the executor stops), writing the tombstones still waiting. */
  close(): void {
    this.writeTombstones();
    for (const s of this.segments.splice(0)) closeSync(s.fd);
  }

  /** Writes the tombstones no result's write took along. */
  private writeTombstones(): void {
    if (this.tombstoneTimer) clearTimeout(this.tombstoneTimer);
    this.tombstoneTimer = null;
    for (const s of this.segments) {
      if (s.tombstones.length === 0) continue;
      try {
        writevSync(s.fd, s.tombstones.splice(0));
      } catch {
        /* the results stay: re-sent after a restart, acknowledged and ignored by the server */
      }
    }
  }

  /**
   * What an outbox directory holds, read only: the unacknowledged results of its log, those in files
   * of their own (the earlier format), the names of files that are neither (half-written,
   * unreadable), and the attempts whose results the log kept and saw acknowledged since its last
   * load or emptying (evidence for the chaos report).
   */
  static read(dir: string): { logged: OutboxEntry[]; files: OutboxEntry[]; junk: string[]; acked: string[] } {
    const results = new Map<string, OutboxEntry>();
    const acked = new Set<string>();
    const files: OutboxEntry[] = [];
    const junk: string[] = [];
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      return { logged: [], files: [], junk, acked: [] };
    }
    for (const name of names) {
      const file = join(dir, name);
      if ((SEGMENTS as readonly string[]).includes(name)) {
        for (const r of records(readFileSync(file))) {
          if (r.t === "ack") acked.add(r.attemptId);
          else results.set(r.attemptId, r);
        }
      } else if (NAME.test(name)) {
        const m = readEntry(file);
        if (m?.attemptId === name) files.push(m);
        else junk.push(name);
      } else {
        junk.push(name);
      }
    }
    return {
      logged: [...results.values()].filter((m) => !acked.has(m.attemptId)),
      files,
      junk,
      acked: [...acked].filter((id) => results.has(id)),
    };
  }

  private removeFile(attemptId: string): void {
    this.files.delete(attemptId);
    try {
      unlinkSync(join(this.dir, attemptId));
    } catch {
      /* already gone */
    }
  }

  /** Empties a segment that holds no unacknowledged result. */
  private empty(s: Segment): void {
    s.tombstones = [];
    if (s.bytes === 0) return;
    ftruncateSync(s.fd, 0);
    s.bytes = 0;
  }
}

function failed(attemptId: string, e: unknown): void {
  process.stderr.write(`tributary: could not keep the result of ${attemptId}: ${(e as Error).message}\n`);
}
