/**
 * Built images on one executor (process backend): `<dataDir>/images/<image id>/` holds the result
 * of the image's build steps. The id is a content hash, so a directory once complete is never
 * rebuilt.
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
  /** Where relative `copy` sources are read from (default: the executor's working directory). */
  contextDir?: string | undefined;
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

export class ImageCache {
  private readonly dir: string;
  private readonly inflight = new Map<string, Promise<PreparedImage>>();
  /** Builds started (for tests and stats). */
  builds = 0;

  constructor(
    dataDir: string,
    private readonly o: ImageCacheOptions = {},
  ) {
    this.dir = join(dataDir, "images");
  }

  /**
   * The built image, building it first if needed. Rejects with an `ImageBuildError` naming the
   * failing step.
   * @example const img = await images.prepare(spec); fork(main, { cwd: img.cwd });
   */
  prepare(spec: ImageSpec): Promise<PreparedImage> {
    if (!/^[A-Za-z0-9_-]+$/.test(spec.id))
      return Promise.reject(new Error(`invalid image id ${JSON.stringify(spec.id)}`));
    const root = join(this.dir, spec.id);
    if (existsSync(join(root, READY))) return Promise.resolve(prepared(spec, root));
    let p = this.inflight.get(spec.id);
    if (!p) {
      p = this.build(spec, root).finally(() => this.inflight.delete(spec.id));
      this.inflight.set(spec.id, p);
    }
    return p;
  }

  private async build(spec: ImageSpec, root: string): Promise<PreparedImage> {
    this.builds++;
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    try {
      await runBuildSteps(spec, root, {
        contextDir: this.o.contextDir ?? process.cwd(),
        baseEnv: { PATH: process.env.PATH ?? "/usr/local/bin:/usr/bin:/bin", LANG: process.env.LANG ?? "C.UTF-8" },
        stepTimeoutMs: this.o.stepTimeoutMs ?? 30 * 60_000,
      });
    } catch (e) {
      rmSync(root, { recursive: true, force: true });
      throw e;
    }
    writeFileSync(join(root, READY), `${new Date().toISOString()}\n`);
    return prepared(spec, root);
  }
}

function prepared(spec: ImageSpec, root: string): PreparedImage {
  const cwd = join(root, finalWorkdir(spec));
  const nodePath = [...new Set([join(cwd, "node_modules"), join(root, "node_modules"), root])];
  return { root, cwd, nodePath };
}
