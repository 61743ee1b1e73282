/**
 * OCI backend, images: each image spec is built once per executor with `<engine> build` from the
 * generated Dockerfile, under a content-addressed tag. The build context holds the Tributary
 * container runtime (only `container/` and `core/`, which need nothing but Node) and the `copy`
 * sources from the bundle's build context (uploaded at deploy).
 *
 * Invariant: a failed build is not cached; the next attempt builds again.
 */
import { spawn } from "node:child_process";
import { cpSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { ImageSpec } from "../../core/options.js";
import { dockerfile, imageTag } from "./dockerfile.js";
import { ImageBuildError, NO_CONTEXT, underRoot } from "./build-steps.js";
import { layerKey } from "./sandbox-images.js";
import type { OciEngine } from "./oci-run.js";

const DIST_SRC = fileURLToPath(new URL("../../", import.meta.url));

/** The image used for functions without one: the Node image, plus the runtime. */
const DEFAULT_SPEC: ImageSpec = { name: "default", baseImage: null, steps: [], id: "default" };
/** The engine pulls the base itself: only the copied content goes into the tag's hash. */
const OCI_BASE = { name: "", identity: "oci", entries: [] };

export class OciImages {
  private readonly built = new Map<string, Promise<string>>();

  constructor(private readonly engine: OciEngine) {}

  /**
   * The tag to run for `spec` (null: the default image), building it on first use. `contextDir`
   * holds the `copy` sources (the bundle's build context); their content is part of the tag.
   */
  prepare(spec: ImageSpec | null, contextDir: string | null = null): Promise<string> {
    const s = spec ?? DEFAULT_SPEC;
    const copies = s.steps.some((st) => st.op === "copy");
    const tag = copies ? `${imageTag(s)}-${layerKey(s, OCI_BASE, contextDir).slice(0, 12)}` : imageTag(s);
    let p = this.built.get(tag);
    if (!p) {
      p = this.build(s, tag, contextDir);
      this.built.set(tag, p);
      p.catch(() => this.built.delete(tag));
    }
    return p;
  }

  /** Writes the build context (exported for tests): Dockerfile, runtime, copy sources. */
  context(spec: ImageSpec, contextDir: string | null): string {
    const dir = mkdtempSync(join(tmpdir(), "tributary-oci-"));
    writeFileSync(join(dir, "Dockerfile"), dockerfile(spec));
    const runtime = join(dir, "tributary-runtime");
    for (const part of ["container", "core"])
      cpSync(join(DIST_SRC, part), join(runtime, "dist", "src", part), { recursive: true });
    // The runtime is ESM: without this marker Node would read its .js files as CommonJS.
    writeFileSync(join(runtime, "package.json"), JSON.stringify({ type: "module" }));
    for (const step of spec.steps) {
      if (step.op !== "copy") continue;
      if (!contextDir) throw new ImageBuildError(`image ${spec.name} (${spec.id}): ${NO_CONTEXT}`);
      const rel = underRoot("", step.src);
      cpSync(join(contextDir, rel), join(dir, rel), { recursive: true, verbatimSymlinks: true });
    }
    return dir;
  }

  private async build(spec: ImageSpec, tag: string, contextDir: string | null): Promise<string> {
    const dir = this.context(spec, contextDir);
    try {
      await new Promise<void>((resolve, reject) => {
        let err = "";
        const p = spawn(this.engine, ["build", "-t", tag, dir], { stdio: ["ignore", "ignore", "pipe"] });
        p.stderr!.on("data", (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
        p.on("error", reject);
        p.on("exit", (code) =>
          code === 0
            ? resolve()
            : reject(
                new Error(
                  `image ${spec.name} (${spec.id}): ${this.engine} build failed with exit code ${code}: ${err.trim()}`,
                ),
              ),
        );
      });
      return tag;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
}
