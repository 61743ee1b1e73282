/**
 * Application bundles cached on the executor's disk, fetched once per key from the server.
 * Invariant: a cached file is complete (written to a temp name, then renamed).
 */
import { mkdirSync, existsSync, renameSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { randomUUID } from "node:crypto";
import { serverGet } from "./server-fetch.js";

export class BundleCache {
  private readonly inflight = new Map<string, Promise<string>>();
  /** Bundles known to be on disk (immutable once written): no filesystem check per call. */
  private readonly known = new Map<string, string>();
  private readonly dir: string;

  constructor(
    dataDir: string,
    private readonly server: () => string,
    private readonly token: string | undefined,
  ) {
    this.dir = join(dataDir, "bundles");
    mkdirSync(this.dir, { recursive: true });
  }

  /** The local path of bundle `key`, downloading it on first use. */
  path(key: string): Promise<string> {
    const memo = this.known.get(key);
    if (memo) return Promise.resolve(memo);
    const file = join(this.dir, key.replace(/[^A-Za-z0-9._-]/g, "_") + ".mjs");
    if (existsSync(file)) {
      this.known.set(key, file);
      return Promise.resolve(file);
    }
    let p = this.inflight.get(key);
    if (!p) {
      p = this.download(key, file).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async download(key: string, file: string): Promise<string> {
    const res = await serverGet(
      this.server(),
      `/v1/internal/bundles/${encodeURIComponent(key)}`,
      this.token,
      `bundle ${key}`,
    );
    const bytes = new Uint8Array(await res.arrayBuffer());
    const tmp = `${file}.${randomUUID()}.tmp`;
    writeFileSync(tmp, bytes);
    renameSync(tmp, file);
    this.known.set(key, file);
    return file;
  }
}
