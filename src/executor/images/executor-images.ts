/**
 * What an executor knows about images, whatever its backend: the base names it advertises (for
 * placement), and for each assignment the image its container runs on, built first if needed:
 * - `sandbox`: a layer built in a build sandbox over its base (sandbox-images.ts);
 * - `process`: an image directory built on the host (image-cache.ts; its functions are not
 *   isolated either);
 * - `oci`: an image built by the engine (oci-images.ts).
 * `copy` sources come from the bundle's build context, fetched only for images that copy.
 */
import type { ImageSpec } from "../../core/options.js";
import type { ContainerBackend } from "../backends/kinds.js";
import type { SandboxHost } from "../backends/sandbox-host.js";
import type { BuildContexts } from "../build-contexts.js";
import { checkImageFlags, dirBase, parseImageFlag } from "./base-images.js";
import { ImageCache, type PreparedImage } from "./image-cache.js";
import type { OciImages } from "./oci-images.js";
import { unpackOciImage } from "./oci-unpack.js";
import type { BaseRoot } from "./rootfs.js";
import { createSandboxImages, type SandboxImage } from "./sandbox-images.js";

export interface ExecutorImagesOptions {
  /** The `--image` values (`NAME`, `NAME=DIR`, `NAME=oci:PATH`). */
  images?: string[] | undefined;
  dataDir: string;
  backend: ContainerBackend;
  oci: OciImages | null;
  sandbox: { host: SandboxHost; mountDir: string } | null;
  contexts: BuildContexts;
}

/** The image of one container, as its backend needs it (all null: the default image). */
export interface ContainerImage {
  sandboxImage: SandboxImage | null;
  image: PreparedImage | null;
  ociImage: string | null;
}

export interface ExecutorImages {
  /** Base image names for the executor's hello (`*`: any). */
  advertised: string[];
  /** Layers or image directories built so far (for tests and stats). */
  builds(): number;
  prepare(spec: ImageSpec | null, bundleKey: string): Promise<ContainerImage>;
}

/**
 * Checks the `--image` values against the backend, unpacks OCI bases (once per executor data
 * directory), and returns the executor's images. Throws an error naming the option when a value
 * cannot work here.
 * @example const images = await createExecutorImages({ images: ["test=/srv/rootfs"], dataDir, backend, oci, sandbox, contexts });
 */
export async function createExecutorImages(o: ExecutorImagesOptions): Promise<ExecutorImages> {
  const flags = (o.images ?? []).map(parseImageFlag);
  checkImageFlags(flags, o.backend);
  const bases = new Map<string, BaseRoot>();
  for (const f of flags) {
    if (!f.source || !o.sandbox) continue; // checkImageFlags: sources only on the sandbox backend
    const host = { bwrap: o.sandbox.host.tools.bwrap, system: o.sandbox.host.system };
    const dir = f.source.kind === "oci" ? await unpackOciImage(f.name, f.source.path, o.dataDir, host) : f.source.path;
    bases.set(f.name, dirBase(f.name, dir));
  }
  const sandboxImages = o.sandbox ? createSandboxImages(o.sandbox, { dataDir: o.dataDir, bases }) : null;
  const processImages = new ImageCache(o.dataDir);
  const none: ContainerImage = { sandboxImage: null, image: null, ociImage: null };
  return {
    // An OCI engine pulls any base image; the others provide only what they were given.
    advertised: o.images ? flags.map((f) => f.name) : o.backend === "oci" ? ["*"] : [],
    builds: () => (sandboxImages?.builds ?? 0) + processImages.builds,
    async prepare(spec, bundleKey) {
      const copies = spec?.steps.some((s) => s.op === "copy") ?? false;
      const contextDir = copies ? await o.contexts.get(bundleKey) : null;
      if (o.oci) return { ...none, ociImage: await o.oci.prepare(spec, contextDir) };
      if (sandboxImages) return { ...none, sandboxImage: await sandboxImages.prepare(spec, contextDir) };
      return { ...none, image: spec ? await processImages.prepare(spec, contextDir) : null };
    },
  };
}
