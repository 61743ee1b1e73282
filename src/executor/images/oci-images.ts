/**
 * OCI backend, images: each image spec is built once per executor with `<engine> build` from the
 * generated Dockerfile, under a content-addressed tag. The build context holds the Tributary
 * container runtime (only `container/` and `core/`, which need nothing but Node) and the `copy`
 * sources from the executor's image context directory.
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
import type { OciEngine } from "./oci-run.js";

const DIST_SRC = fileURLToPath(new URL("../../", import.meta.url));

/** The image used for functions without one: the Node image, plus the runtime. */
const DEFAULT_SPEC: ImageSpec = { name: "default", baseImage: null, steps: [], id: "default" };

export class OciImages {
  private readonly built = new Map<string, Promise<string>>();

  constructor(
    private readonly engine: OciEngine,
    private readonly contextDir: string,
  ) {}

  /** The tag to run for `spec` (null: the default image), building it on first use. */
  prepare(spec: ImageSpec | null): Promise<string> {
    const s = spec ?? DEFAULT_SPEC;
    const tag = imageTag(s);
    let p = this.built.get(tag);
    if (!p) {
      p = this.build(s, tag);
      this.built.set(tag, p);
      p.catch(() => this.built.delete(tag));
    }
    return p;
  }

  /** Writes the build context (exported for tests): Dockerfile, runtime, copy sources. */
  context(spec: ImageSpec): string {
    const dir = mkdtempSync(join(tmpdir(), "tributary-oci-"));
    writeFileSync(join(dir, "Dockerfile"), dockerfile(spec));
    const runtime = join(dir, "tributary-runtime");
    for (const part of ["container", "core"])
      cpSync(join(DIST_SRC, part), join(runtime, "dist", "src", part), { recursive: true });
    // The runtime is ESM: without this marker Node would read its .js files as CommonJS.
    writeFileSync(join(runtime, "package.json"), JSON.stringify({ type: "module" }));
    for (const step of spec.steps)
      if (step.op === "copy") cpSync(join(this.contextDir, step.src), join(dir, step.src), { recursive: true });
    return dir;
  }

  private async build(spec: ImageSpec, tag: string): Promise<string> {
    const dir = this.context(spec);
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
