/**
 * The sandbox backend's images (DESIGN §2 Images): a base root filesystem plus a layer built in a
 * sandbox (sandbox-build.ts), cached in `<dataDir>/layers/<key>/`.
 *
 * The key is a hash of the base's identity, the steps and the content of every `copy` source, so a
 * layer is built once per executor and reused by every container, and a change to any of them
 * builds a new one. The default image (no base image, no steps) needs no layer: containers run on
 * the host's system directories directly.
 */
import { createHash } from "node:crypto";
import { existsSync, lstatSync, readFileSync, readdirSync, readlinkSync } from "node:fs";
import { join } from "node:path";
import type { ImageSpec } from "../../core/options.js";
import { finalWorkdir, underRoot } from "./build-steps.js";
import { BuiltDirs } from "./image-cache.js";
import { buildLayer, IMAGE_DIR, type BuildSandboxHost } from "./sandbox-build.js";
import type { BaseRoot } from "./rootfs.js";
import { runtimeMounts } from "../backends/node-runtime.js";
import { SANDBOX_MOUNT_POINTS } from "../backends/sandbox-command.js";
import type { SandboxHost } from "../backends/sandbox-host.js";

/** What a sandboxed container of an image runs on. */
export interface SandboxImage {
  base: BaseRoot;
  layerDir: string;
  /** The container's working directory, inside the image. */
  cwd: string;
  /** NODE_PATH inside the image: the workdir's and the image directory's `node_modules`. */
  nodePath: string[];
}

export interface SandboxImagesOptions {
  dataDir: string;
  host: BuildSandboxHost;
  /** The default base (the host's system directories). */
  hostBase: BaseRoot;
  /** Bases given with `--image NAME=DIR` (or unpacked from `NAME=oci:PATH`), by name. */
  bases: Map<string, BaseRoot>;
  /** Directories containers mount over (made in every layer). */
  mountPoints: string[];
  /** Longest a single step may take (default 30 min). */
  stepTimeoutMs?: number | undefined;
  /** Why this executor cannot build or run images, or null when it can. */
  unavailable?: string | null | undefined;
}

/** Where the build sandbox mounts the executor's Node (its own /tmp: nothing lands in the layer). */
const BUILD_NODE_DIR = "/tmp/.tributary-node";

/**
 * The sandbox backend's images on this executor: the host's system directories as the default
 * base, `bases` by name.
 * @example const images = createSandboxImages(choice.sandbox, { dataDir, bases: new Map() });
 */
export function createSandboxImages(
  sandbox: { host: SandboxHost; mountDir: string },
  o: Pick<SandboxImagesOptions, "dataDir" | "bases" | "stepTimeoutMs">,
): SandboxImages {
  const { host, mountDir } = sandbox;
  const osRelease = existsSync("/etc/os-release") ? readFileSync("/etc/os-release", "utf8") : "";
  const hostBase: BaseRoot = {
    name: "",
    identity: `host:${createHash("sha256").update(osRelease).digest("hex").slice(0, 16)}`,
    entries: host.system.map((e) =>
      e.kind === "dir"
        ? { name: e.path.slice(1), kind: "dir" as const, path: e.path }
        : { name: e.path.slice(1), kind: "symlink" as const, target: e.target },
    ),
  };
  const unavailable =
    host.mode !== "root"
      ? "images need a root executor here (their layers are overlay mounts in the sandbox's own namespace)"
      : !host.tools.unshare
        ? "images need util-linux's unshare on this executor"
        : !host.nodeRuntime
          ? "images need ldd on this executor (to mount Node's libraries into the image)"
          : null;
  const node = host.nodeRuntime ? runtimeMounts(host.nodeRuntime, BUILD_NODE_DIR) : { binds: [], command: [] };
  return new SandboxImages({
    ...o,
    host: { tools: { bwrap: host.tools.bwrap, unshare: host.tools.unshare ?? "unshare" }, node, mountDir },
    hostBase,
    mountPoints: SANDBOX_MOUNT_POINTS,
    unavailable,
  });
}

/** Thrown for an image whose base this executor does not have (names the option to use). */
export class UnknownBaseImageError extends Error {
  override readonly name = "UnknownBaseImageError";
}

export class SandboxImages {
  private readonly layers: BuiltDirs;

  constructor(private readonly o: SandboxImagesOptions) {
    this.layers = new BuiltDirs(join(o.dataDir, "layers"));
  }

  /** Layers built so far by this executor (for tests and stats). */
  get builds(): number {
    return this.layers.builds;
  }

  /** The base an image runs on, or an error naming `--image`. */
  base(spec: ImageSpec): BaseRoot {
    if (spec.baseImage === null) return this.o.hostBase;
    const b = this.o.bases.get(spec.baseImage);
    if (b) return b;
    const have = [...this.o.bases.keys()];
    throw new UnknownBaseImageError(
      `image ${spec.name}: base image ${JSON.stringify(spec.baseImage)} is not provided by this executor ` +
        `(start it with --image ${spec.baseImage}=DIR or --image ${spec.baseImage}=oci:PATH; it has ${have.length ? have.join(", ") : "none"})`,
    );
  }

  /**
   * The image a container of `spec` runs on, building its layer first if needed; null for the
   * default image (the host's system directories as they are). `contextDir` holds the `copy`
   * sources (the bundle's unpacked build context; null: none was deployed).
   * @example const img = await images.prepare(spec, await contexts.get(bundleKey)); if (img) launch({ root: img });
   */
  async prepare(spec: ImageSpec | null, contextDir: string | null = null): Promise<SandboxImage | null> {
    if (!spec || (spec.baseImage === null && spec.steps.length === 0)) return null;
    const base = this.base(spec);
    if (this.o.unavailable) throw new Error(`image ${spec.name}: ${this.o.unavailable}`);
    const key = layerKey(spec, base, contextDir);
    const layerDir = await this.layers.get(key, (dir) =>
      buildLayer(spec, {
        host: this.o.host,
        base,
        layerDir: dir,
        contextDir,
        stepTimeoutMs: this.o.stepTimeoutMs ?? 30 * 60_000,
        mountPoints: this.o.mountPoints,
      }),
    );
    const wd = finalWorkdir(spec);
    const cwd = wd ? `${IMAGE_DIR}/${wd}` : IMAGE_DIR;
    return { base, layerDir, cwd, nodePath: [...new Set([`${cwd}/node_modules`, `${IMAGE_DIR}/node_modules`])] };
  }
}

/**
 * The layer's content address: base identity, steps, and every `copy` source's content.
 * @example layerKey(spec, base, "/srv/context") // "5f0c…" (32 hex digits)
 */
export function layerKey(spec: ImageSpec, base: BaseRoot, contextDir: string | null): string {
  const h = createHash("sha256");
  h.update(JSON.stringify({ base: base.identity, steps: spec.steps })).update("\0");
  for (const s of spec.steps)
    if (s.op === "copy" && contextDir) hashTree(h, join(contextDir, underRoot("", s.src)), s.src);
  return h.digest("hex").slice(0, 32);
}

/** Feeds names, kinds, modes and contents under `path` into `h` (a missing path hashes as missing). */
function hashTree(h: ReturnType<typeof createHash>, path: string, name: string): void {
  const st = lstatSync(path, { throwIfNoEntry: false });
  if (!st) return void h.update(`missing ${name}\0`);
  if (st.isSymbolicLink()) return void h.update(`link ${name} ${readlinkSync(path)}\0`);
  if (st.isDirectory()) {
    h.update(`dir ${name} ${st.mode}\0`);
    for (const n of readdirSync(path).sort()) hashTree(h, join(path, n), `${name}/${n}`);
    return;
  }
  h.update(`file ${name} ${st.mode} ${st.size}\0`).update(readFileSync(path)).update("\0");
}
