/**
 * Deployed application versions as the engine sees them: deploy, delete, and a cache of versions
 * (immutable once deployed) and of each application's latest version.
 */
import type { Manifest } from "../core/manifest.js";
import { contextKey } from "../core/build-context.js";
import type { AppVersion } from "./model.js";
import type { EngineResources } from "./resources.js";

/** How long this server trusts its cached "latest version" of an application. */
const LATEST_TTL_MS = 2_000;

export class Applications {
  private readonly versions = new Map<string, AppVersion>();
  /** Latest version per `ns/name` (invalidated by deploy and delete in this process). */
  private readonly latest = new Map<string, AppVersion>();

  constructor(private readonly res: EngineResources) {}

  /**
   * Stores the bundle (and its build context, as the blob {@link contextKey} of the bundle's key)
   * and adds a version of every application in the manifest.
   */
  async deploy(
    namespace: string,
    manifest: Manifest,
    bundle: Uint8Array,
    context: Uint8Array | null = null,
  ): Promise<{ name: string; version: number }[]> {
    const { blobs, store, clock } = this.res;
    const bundleKey = `bundles/${namespace}/${this.res.newId()}`;
    // The context first: a version is only ever visible with everything it needs stored.
    if (context) await blobs.put(contextKey(bundleKey), context);
    await blobs.put(bundleKey, bundle);
    const out: { name: string; version: number }[] = [];
    for (const app of manifest.applications) {
      const version = await store.createApplicationVersion(namespace, app.name, manifest, bundleKey, clock.now());
      this.latest.delete(`${namespace}/${app.name}`);
      out.push({ name: app.name, version });
    }
    return out;
  }

  /** Soft-deletes every version of an application; false if there was none. */
  async delete(namespace: string, name: string): Promise<boolean> {
    this.latest.delete(`${namespace}/${name}`);
    return this.res.store.deleteApplication(namespace, name, this.res.clock.now());
  }

  /**
   * An application version (cached; versions are immutable), or the latest one. The latest is cached
   * too: a deploy or delete through another server shows here after `LATEST_TTL_MS` at most.
   */
  async get(namespace: string, name: string, version?: number): Promise<AppVersion | null> {
    const now = this.res.clock.now();
    if (version !== undefined) {
      const cached = this.versions.get(`${namespace}/${name}@${version}`);
      if (cached) return cached;
    } else {
      const l = this.latest.get(`${namespace}/${name}`);
      if (l && now - l.loadedAt < LATEST_TTL_MS) return l;
    }
    const row = await this.res.store.getApplication(namespace, name, version);
    if (!row) return null;
    const key = `${namespace}/${name}@${row.version}`;
    const cached = this.versions.get(key);
    if (cached) {
      if (version === undefined) this.latest.set(`${namespace}/${name}`, { ...cached, loadedAt: now });
      return cached;
    }
    const entry = row.manifest.applications.find((a) => a.name === name);
    if (!entry) return null;
    const app: AppVersion = {
      namespace,
      name,
      version: row.version,
      manifest: row.manifest,
      bundleKey: row.bundleKey,
      appSpec: entry.spec,
      functions: new Map(row.manifest.functions.map((f) => [f.name, f])),
      loadedAt: now,
    };
    this.versions.set(key, app);
    if (version === undefined) this.latest.set(`${namespace}/${name}`, app);
    return app;
  }
}
