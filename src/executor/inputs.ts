/**
 * Large request inputs on the executor: an assignment whose input stayed in the blob store
 * (`Assignment.argsRef`) has it streamed from the server to a spool file, then hard-linked into the
 * container's read-only inbox, where the container reads it as a file-backed `File`.
 *
 * Invariants: the executor holds at most one network chunk of an input in memory (the download is a
 * pipeline with backpressure); a spool file is complete before it is handed over (written under a
 * temp name, size checked, then renamed); every file of an attempt is removed when it ends.
 */
import { createWriteStream, linkSync, mkdirSync, renameSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import type { ReadableStream as NodeReadableStream } from "node:stream/web";
import { serverGet } from "./server-fetch.js";

/** What the container is told: the input's path as it sees it, and its size. */
export interface HandedInput {
  path: string;
  size: number;
}

export class InputSpool {
  private readonly dir: string;
  /** Files per attempt (spool file, inbox link), removed by `discard`. */
  private readonly files = new Map<string, string[]>();

  constructor(
    dataDir: string,
    private readonly server: () => string,
    private readonly token: string | undefined,
  ) {
    this.dir = join(dataDir, "spool");
    // Left-overs of an earlier run belong to attempts that are gone.
    rmSync(this.dir, { recursive: true, force: true });
    mkdirSync(this.dir, { recursive: true });
  }

  /**
   * Streams blob `ref.key` to a spool file for `attemptId`; resolves with its host path once complete.
   * @example const file = await spool.fetch(a.attemptId, a.argsRef);
   */
  async fetch(attemptId: string, ref: { key: string; size: number }): Promise<string> {
    const file = join(this.dir, safeName(attemptId));
    const tmp = `${file}.part`;
    this.track(attemptId, tmp, file);
    const res = await serverGet(
      this.server(),
      `/v1/internal/blobs/${encodeURIComponent(ref.key)}`,
      this.token,
      `input ${ref.key}`,
    );
    if (!res.body) throw new Error(`input ${ref.key}: the server sent no body`);
    await pipeline(Readable.fromWeb(res.body as NodeReadableStream<Uint8Array>), createWriteStream(tmp));
    const size = statSync(tmp).size;
    if (size !== ref.size) throw new Error(`input ${ref.key}: received ${size} of ${ref.size} bytes`);
    renameSync(tmp, file);
    return file;
  }

  /**
   * Puts a fetched input into a container's inbox (a hard link: no copy) and returns what the
   * container is told.
   */
  handTo(attemptId: string, file: string, inbox: { host: string; inside: string } | null): HandedInput {
    const size = statSync(file).size;
    if (!inbox) return { path: file, size };
    const name = safeName(attemptId);
    const linked = join(inbox.host, name);
    linkOrReplace(file, linked);
    this.track(attemptId, linked);
    return { path: `${inbox.inside}/${name}`, size };
  }

  /** Removes every file of an attempt (it finished, or never started). */
  discard(attemptId: string): void {
    for (const f of this.files.get(attemptId) ?? []) rmSync(f, { force: true });
    this.files.delete(attemptId);
  }

  private track(attemptId: string, ...paths: string[]): void {
    const list = this.files.get(attemptId) ?? [];
    list.push(...paths);
    this.files.set(attemptId, list);
  }
}

function linkOrReplace(from: string, to: string): void {
  rmSync(to, { force: true });
  linkSync(from, to);
}

/** Attempt ids are the engine's; still, nothing from the wire becomes a path unchecked. */
function safeName(attemptId: string): string {
  return attemptId.replace(/[^A-Za-z0-9_-]/g, "_");
}
