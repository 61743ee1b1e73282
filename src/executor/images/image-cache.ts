/**
 * Built images on one executor. The process backend's `<dataDir>/images/<image id>/` holds the
 * result of the image's build steps (the sandbox backend's layers use the same {@link BuiltDirs}).
 * The id is a content hash, so a directory once complete is never rebuilt.
 *
 * Invariants:
 * - a directory is complete iff its `READY` marker exists (written last); an incomplete one (a
 *   crash mid-build, or a failed build) is erased before building again, so failures are not
 *   cached;
 * - one build per image at a time: concurrent `prepare` calls share the in-flight build, so every
 *   container that needs the image waits for that one build.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { ImageSpec } from "../../core/options.js";
import { finalWorkdir, runBuildSteps } from "./build-steps.js";

const READY = ".tributary-image-ready";

export interface ImageCacheOptions {
  /** Longest a single `run` step may take (default 30 min). */
  stepTimeoutMs?: number | undefined;
}

/** What a container of this image needs: its working directory and module path. */
export interface PreparedImage {
  root: string;
  /** The image's final workdir: the container's cwd. */
  cwd: string;
  /** For NODE_PATH: the workdir's and root's `node_modules`, then the root itself. */
  nodePath: string[];
}

/**
 * Content-addressed directories built once: `<dir>/<key>/` is complete iff its READY marker exists.
 * Shared by the process backend's image directories and the sandbox backend's layers.
 */
export class BuiltDirs {
  private readonly inflight = new Map<string, Promise<string>>();
  /** Builds started (for tests and stats). */
  builds = 0;

  constructor(private readonly dir: string) {}

  /**
   * The complete directory for `key`, running `build` into it (empty) first if needed; concurrent
   * calls for one key share one build, and a failed build leaves nothing behind.
   * @example const layer = await dirs.get("ab12", (d) => buildLayer(spec, { layerDir: d, … }));
   */
  get(key: string, build: (dir: string) => Promise<void>): Promise<string> {
    if (!/^[A-Za-z0-9_-]+$/.test(key)) return Promise.reject(new Error(`invalid image id ${JSON.stringify(key)}`));
    const root = join(this.dir, key);
    if (existsSync(join(root, READY))) return Promise.resolve(root);
    let p = this.inflight.get(key);
    if (!p) {
      p = this.build(root, build).finally(() => this.inflight.delete(key));
      this.inflight.set(key, p);
    }
    return p;
  }

  private async build(root: string, build: (dir: string) => Promise<void>): Promise<string> {
    this.builds++;
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    try {
      await build(root);
    } catch (e) {
      rmSync(root, { recursive: true, force: true });
      throw e;
    }
    writeFileSync(join(root, READY), `${new Date().toISOString()}\n`);
    return root;
  }
}

/** The process backend's images: build steps run on the host into `<dataDir>/images/<id>/`. */
export class ImageCache {
  private readonly dirs: BuiltDirs;

  constructor(
    dataDir: string,
    private readonly o: ImageCacheOptions = {},
  ) {
    this.dirs = new BuiltDirs(join(dataDir, "images"));
  }

  /** Builds started (for tests and stats). */
  get builds(): number {
    return this.dirs.builds;
  }

  /**
   * The built image, building it first if needed. Rejects with an `ImageBuildError` naming the
   * failing step.
   * `contextDir` holds the `copy` sources (the bundle's build context; null: none was deployed).
   * @example const img = await images.prepare(spec, contextDir); fork(main, { cwd: img.cwd });
   */
  async prepare(spec: ImageSpec, contextDir: string | null = null): Promise<PreparedImage> {
    const root = await this.dirs.get(spec.id, (dir) =>
      runBuildSteps(spec, dir, {
        contextDir,
        baseEnv: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", LANG: process.env.LANG ?? "C.UTF-8" },
        stepTimeoutMs: this.o.stepTimeoutMs ?? 30 * 60_000,
      }),
    );
    return prepared(spec, root);
  }
}

function prepared(spec: ImageSpec, root: string): PreparedImage {
  const cwd = join(root, finalWorkdir(spec));
  const nodePath = [...new Set([join(cwd, "node_modules"), join(root, "node_modules"), root])];
  return { root, cwd, nodePath };
}
