import { createHash } from "node:crypto";
import { SDKUsageError } from "../core/errors.js";
import type { ImageSpec, ImageStep } from "../core/options.js";

/** Options of {@link Image}. */
export interface ImageOptions {
  /** A name for logs and the dashboard. Default "default". */
  name?: string;
  /**
   * The base image: one an executor provides (`--image NAME=DIR` or `NAME=oci:PATH`), or any on
   * the OCI backend. Default: the executor's own system (a basic Debian root, read-only).
   */
  baseImage?: string;
}

const IMAGE_BRAND = Symbol.for("tributary.image");

/**
 * A container image: a base image and build steps, run once per executor and cached by content.
 * Builders return a new image, so a shared base can be extended safely.
 *
 * @example
 * const image = new Image({ name: "ffmpeg", baseImage: "ubuntu:24.04" })
 *   .run("apt-get install -y ffmpeg")
 *   .env("LANG", "C.UTF-8");
 */
export class Image {
  readonly name: string;
  readonly baseImage: string | null;
  readonly steps: readonly ImageStep[];
  constructor(options: ImageOptions = {}, steps: readonly ImageStep[] = []) {
    if (
      options.name !== undefined &&
      (typeof options.name !== "string" || !/^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(options.name))
    ) {
      throw new SDKUsageError(
        `Image: option 'name' must match /^[A-Za-z0-9][A-Za-z0-9_.-]*$/, got ${JSON.stringify(options.name)}`,
      );
    }
    if (
      options.baseImage !== undefined &&
      (typeof options.baseImage !== "string" || options.baseImage.length === 0 || /\s/.test(options.baseImage))
    ) {
      throw new SDKUsageError(
        `Image: option 'baseImage' must be an image reference like "ubuntu:24.04", got ${JSON.stringify(options.baseImage)}`,
      );
    }
    this.name = options.name ?? "default";
    this.baseImage = options.baseImage ?? null;
    this.steps = Object.freeze([...steps]);
    Object.defineProperty(this, IMAGE_BRAND, { value: true });
  }
  private with(step: ImageStep): Image {
    return new Image({ name: this.name, ...(this.baseImage ? { baseImage: this.baseImage } : {}) }, [
      ...this.steps,
      step,
    ]);
  }
  /** Adds a shell command run at build time. */
  run(command: string): Image {
    if (typeof command !== "string" || command.trim() === "")
      throw new SDKUsageError("Image.run: command must be a non-empty string");
    return this.with({ op: "run", command });
  }
  /** Sets an environment variable for later steps and for the container. */
  env(key: string, value: string): Image {
    if (typeof key !== "string" || !/^[A-Za-z_][A-Za-z0-9_]*$/.test(key))
      throw new SDKUsageError(`Image.env: key must be an environment-variable name, got ${JSON.stringify(key)}`);
    if (typeof value !== "string") throw new SDKUsageError(`Image.env: value for ${key} must be a string`);
    return this.with({ op: "env", key, value });
  }
  /** Changes the directory later steps run in (relative to the image root). */
  workdir(path: string): Image {
    if (typeof path !== "string" || path === "" || path.split("/").includes(".."))
      throw new SDKUsageError(`Image.workdir: path must be a non-empty path without '..', got ${JSON.stringify(path)}`);
    return this.with({ op: "workdir", path });
  }
  /** Copies a file or directory (relative to the deploying project) into the image. */
  copy(src: string, dest: string): Image {
    if (
      typeof src !== "string" ||
      src === "" ||
      typeof dest !== "string" ||
      dest === "" ||
      dest.split("/").includes("..")
    ) {
      throw new SDKUsageError("Image.copy: src and dest must be non-empty paths, dest without '..'");
    }
    return this.with({ op: "copy", src, dest });
  }
  /** The normalized, content-addressed form the manifest carries. */
  toSpec(): ImageSpec {
    const body = JSON.stringify({ baseImage: this.baseImage, steps: this.steps });
    const id = createHash("sha256").update(body).digest("hex").slice(0, 16);
    return { name: this.name, baseImage: this.baseImage, steps: [...this.steps], id };
  }
}

export function isImage(v: unknown): v is Image {
  return typeof v === "object" && v !== null && (v as Record<symbol, unknown>)[IMAGE_BRAND] === true;
}
