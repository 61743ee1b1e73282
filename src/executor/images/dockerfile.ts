/**
 * OCI backend, image side: the Dockerfile for an image spec. The process backend's semantics carry
 * over: steps run in order from the image root `/image`, `workdir` is relative to it, the final
 * workdir is the container's cwd, and `/image/node_modules` is on NODE_PATH.
 *
 * Node: with no `baseImage` the image starts from a Node image; with one, the Node runtime is copied
 * in from the Node image (a second stage), so any glibc base works.
 */
import type { ImageSpec } from "../../core/options.js";
import { finalWorkdir, underRoot } from "./build-steps.js";

/** The default Node base (matches the engines field: Node 20). */
export const DEFAULT_NODE_IMAGE = "node:20-bookworm-slim";
/** Where the image root lives inside the container. */
export const IMAGE_ROOT = "/image";
/** Where the Tributary container runtime is copied in the image. */
export const RUNTIME_DIR = "/opt/tributary";

export interface DockerfileOptions {
  nodeImage?: string | undefined;
  /** The container entry, relative to the build context's runtime directory. */
  entry?: string | undefined;
}

/** A JSON string is a valid Dockerfile exec-form / ENV literal and quotes everything safely. */
const q = (s: string): string => JSON.stringify(s);

function inImage(wd: string, p: string): string {
  const rel = underRoot(wd, p);
  return rel ? `${IMAGE_ROOT}/${rel}` : IMAGE_ROOT;
}

/**
 * Generates the Dockerfile; the build context must hold the runtime under `tributary-runtime/`
 * and the `copy` sources at their relative paths.
 * @example writeFileSync("Dockerfile", dockerfile(image.toSpec()));
 */
export function dockerfile(spec: ImageSpec, o: DockerfileOptions = {}): string {
  const node = o.nodeImage ?? DEFAULT_NODE_IMAGE;
  const entry = o.entry ?? "dist/src/container/main.js";
  const lines: string[] = [`# Tributary image ${spec.name} (${spec.id})`];
  if (spec.baseImage) {
    lines.push(`FROM ${node} AS tributary-node`, `FROM ${spec.baseImage}`);
    lines.push(`COPY --from=tributary-node /usr/local/bin/node /usr/local/bin/node`);
  } else {
    lines.push(`FROM ${node}`);
  }
  lines.push(`ENV TRIBUTARY_IMAGE_DIR=${q(IMAGE_ROOT)}`, `WORKDIR ${IMAGE_ROOT}`);
  let wd = "";
  for (const s of spec.steps) {
    switch (s.op) {
      case "run":
        lines.push(`RUN ${JSON.stringify(["/bin/sh", "-c", s.command])}`);
        break;
      case "env":
        lines.push(`ENV ${s.key}=${q(s.value)}`);
        break;
      case "workdir":
        wd = underRoot(wd, s.path);
        lines.push(`WORKDIR ${inImage(wd, ".")}`);
        break;
      case "copy":
        lines.push(`COPY ${JSON.stringify([s.src, inImage(wd, s.dest)])}`);
        break;
    }
  }
  const cwdAbs = inImage(finalWorkdir(spec), ".");
  lines.push(`COPY tributary-runtime/ ${RUNTIME_DIR}/`);
  lines.push(
    `ENV NODE_PATH=${q([`${cwdAbs}/node_modules`, `${IMAGE_ROOT}/node_modules`, IMAGE_ROOT].filter((x, i, a) => a.indexOf(x) === i).join(":"))}`,
  );
  lines.push(`WORKDIR ${cwdAbs}`);
  lines.push(`ENTRYPOINT ${JSON.stringify(["node", `${RUNTIME_DIR}/${entry}`])}`);
  return lines.join("\n") + "\n";
}

/** The tag the OCI backend builds an image under (content-addressed, like the process cache). */
export function imageTag(spec: ImageSpec): string {
  return `tributary/${spec.name.toLowerCase().replace(/[^a-z0-9_.-]/g, "-")}:${spec.id}`;
}
