/**
 * Build contexts on the executor (core/build-context.ts): the files an application's `Image.copy`
 * steps read, uploaded with its bundle at deploy, fetched from the server once per bundle and
 * unpacked into `<dataDir>/contexts/<bundle>/` (immutable, like bundles).
 *
 * Invariants:
 * - a context directory is complete: unpacked into a temporary directory, then renamed;
 * - unpacking writes only inside it: decodeContext refuses paths that climb or lie under a symlink
 *   of the archive, and files are created exclusively (never through an existing link).
 */
import { randomUUID } from "node:crypto";
import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { contextKey, decodeContext } from "../core/build-context.js";
import { serverGetIfAny } from "./server-fetch.js";

export class BuildContexts {
  private readonly inflight = new Map<string, Promise<string | null>>();
  private readonly dir: string;

  constructor(
    dataDir: string,
    private readonly server: () => string,
    private readonly token: string | undefined,
  ) {
    this.dir = join(dataDir, "contexts");
  }

  /**
   * The unpacked build context of bundle `bundleKey`, or null when it was deployed without one.
   * @example const dir = await contexts.dir(a.bundleKey); // "/data/contexts/bundles_default_ab12"
   */
  get(bundleKey: string): Promise<string | null> {
    const target = join(this.dir, bundleKey.replace(/[^A-Za-z0-9._-]/g, "_"));
    if (existsSync(target)) return Promise.resolve(target);
    let p = this.inflight.get(bundleKey);
    if (!p) {
      p = this.download(bundleKey, target).finally(() => this.inflight.delete(bundleKey));
      this.inflight.set(bundleKey, p);
    }
    return p;
  }

  private async download(bundleKey: string, target: string): Promise<string | null> {
    const key = contextKey(bundleKey);
    const res = await serverGetIfAny(
      this.server(),
      `/v1/internal/bundles/${encodeURIComponent(key)}`,
      this.token,
      `build context ${key}`,
    );
    if (!res) return null;
    const tmp = `${target}.${randomUUID()}.tmp`;
    try {
      unpackContext(new Uint8Array(await res.arrayBuffer()), tmp);
      renameSync(tmp, target);
    } catch (e) {
      rmSync(tmp, { recursive: true, force: true });
      throw e;
    }
    return target;
  }
}

/**
 * Writes the entries of a packed context under `dir` (created).
 * @example unpackContext(bytes, "/data/contexts/x.tmp");
 */
export function unpackContext(bytes: Uint8Array, dir: string): void {
  mkdirSync(dir, { recursive: true });
  const dirs: { path: string; mode: number }[] = [];
  for (const e of decodeContext(bytes)) {
    const path = join(dir, e.path);
    mkdirSync(dirname(path), { recursive: true });
    if (e.kind === "dir") {
      mkdirSync(path, { recursive: true });
      dirs.push({ path, mode: e.mode });
    } else if (e.kind === "symlink") symlinkSync(e.target!, path);
    else writeFileSync(path, e.data!, { flag: "wx", mode: e.mode });
  }
  // Directory modes last: a read-only directory must not stop its own files being written.
  for (const d of dirs.reverse()) chmodSync(d.path, d.mode);
}
