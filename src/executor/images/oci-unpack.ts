/**
 * `--image NAME=oci:PATH`: an OCI image layout (a directory, or a tar of one) or a `docker save`
 * archive, unpacked once into a root filesystem directory `<dataDir>/bases/<key>/rootfs`, keyed by
 * the path, size and modification time of what was given (so a restart reuses it).
 *
 * Layers are applied in order with their whiteouts (`.wh.NAME` deletes NAME below, `.wh..wh..opq`
 * empties its directory below). Every archive is untrusted: all extraction runs in bubblewrap, as
 * root with a default container's file capabilities, where only the output directory is writable
 * and the host's system directories are read-only, so no archive member can land outside it.
 */
import { lstatSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { createHash } from "node:crypto";
import { join, normalize } from "node:path";
import { runCommand } from "./build-steps.js";
import { BuiltDirs } from "./image-cache.js";
import { shellQuote } from "./rootfs.js";
import type { SystemEntry } from "../backends/sandbox-command.js";

/** How to run the unpacking sandbox: bwrap and the host system directories it runs tar from. */
export interface UnpackHost {
  bwrap: string;
  system: SystemEntry[];
}

/** File capabilities root needs to recreate an image's owners and modes, and nothing more. */
const UNPACK_CAPS = ["CAP_CHOWN", "CAP_DAC_OVERRIDE", "CAP_FOWNER", "CAP_FSETID", "CAP_SETFCAP"];
const UNPACK_PATH = "/usr/sbin:/usr/bin:/sbin:/bin";

/** Runs a shell script in the unpacking sandbox: `input` read-only at /in, `out` writable at /out. */
function sandboxed(host: UnpackHost, input: string, out: string, script: string): Promise<void> {
  const bw = [host.bwrap, "--unshare-all", "--die-with-parent", "--new-session", "--cap-drop", "ALL"];
  for (const c of UNPACK_CAPS) bw.push("--cap-add", c);
  for (const e of host.system)
    if (e.kind === "dir") bw.push("--ro-bind", e.path, e.path);
    else bw.push("--symlink", e.target, e.path);
  bw.push("--proc", "/proc", "--dev", "/dev", "--tmpfs", "/tmp", "--ro-bind", input, "/in", "--bind", out, "/out");
  bw.push("--chdir", "/out", "--", "/bin/sh", "-c", `set -eu\n${script}`);
  return runCommand(bw, { env: { PATH: UNPACK_PATH, LANG: "C.UTF-8" }, timeoutMs: 30 * 60_000 });
}

/** A relative path inside an unpacked archive, checked (no climbing, no absolute paths). */
function inside(p: unknown, what: string): string {
  if (typeof p !== "string" || p === "" || p.startsWith("/") || normalize(p).startsWith(".."))
    throw new Error(`${what}: invalid path ${JSON.stringify(p)}`);
  return normalize(p);
}

/** Reads a JSON file of the unpacked archive (refusing symlinks: they could point anywhere). */
function readJson(dir: string, rel: string, what: string): unknown {
  const p = join(dir, rel);
  const st = lstatSync(p, { throwIfNoEntry: false });
  if (!st?.isFile()) throw new Error(`${what}: ${rel} is missing`);
  return JSON.parse(readFileSync(p, "utf8")) as unknown;
}

type Json = Record<string, unknown>;

const blob = (digest: unknown, what: string): string => {
  const m = typeof digest === "string" ? /^sha256:([a-f0-9]{64})$/.exec(digest) : null;
  if (!m) throw new Error(`${what}: unsupported digest ${JSON.stringify(digest)}`);
  return `blobs/sha256/${m[1]}`;
};

/**
 * The layer files, in order, of the image in `src` (an unpacked OCI layout or `docker save`).
 * @example layerPaths("/data/bases/k/src", "image test") // ["blobs/sha256/ab…", …]
 */
export function layerPaths(src: string, what: string): string[] {
  if (lstatSync(join(src, "manifest.json"), { throwIfNoEntry: false })) {
    const m = readJson(src, "manifest.json", what) as Json[];
    const layers = Array.isArray(m) ? (m[0]?.Layers as unknown) : undefined;
    if (!Array.isArray(layers)) throw new Error(`${what}: manifest.json lists no Layers`);
    return layers.map((l) => inside(l, what));
  }
  let node = readJson(src, "index.json", what) as Json;
  // An index (possibly nested) points at manifests: take the linux/amd64 one, else the first.
  for (let depth = 0; depth < 4 && Array.isArray(node.manifests); depth++) {
    const list = node.manifests as Json[];
    const pick =
      list.find((d) => {
        const p = d.platform as Json | undefined;
        return p?.os === "linux" && p.architecture === "amd64";
      }) ?? list[0];
    if (!pick) throw new Error(`${what}: index.json lists no manifest`);
    node = readJson(src, blob(pick.digest, what), what) as Json;
  }
  if (!Array.isArray(node.layers)) throw new Error(`${what}: the image manifest lists no layers`);
  return (node.layers as Json[]).map((l) => blob(l.digest, what));
}

/** Applies one layer tar (at /in/<rel> when the input is a directory) onto /out/rootfs. */
function applyLayerScript(layer: string): string {
  return [
    "rm -rf /out/stage && mkdir /out/stage",
    `tar -xf ${shellQuote(layer)} -C /out/stage --numeric-owner`,
    // Opaque directories first: they empty what lower layers left there.
    'find /out/stage -name .wh..wh..opq -type f | while read -r m; do d=${m%/.wh..wh..opq}; r=/out/rootfs${d#/out/stage}; [ -d "$r" ] && find "$r" -mindepth 1 -maxdepth 1 -exec rm -rf {} +; rm -f "$m"; done',
    'find /out/stage -name \'.wh.*\' -type f | while read -r m; do d=${m%/*}; n=${m##*/.wh.}; rm -rf "/out/rootfs${d#/out/stage}/$n"; rm -f "$m"; done',
    "cp -a /out/stage/. /out/rootfs/",
    "rm -rf /out/stage",
  ].join("\n");
}

/**
 * The root filesystem of the OCI image at `path`, unpacking it on first use.
 * @example const rootfs = await unpackOciImage("test", "/srv/images/test.tar", dataDir, host);
 */
export async function unpackOciImage(name: string, path: string, dataDir: string, host: UnpackHost): Promise<string> {
  const what = `executor option images: ${name}=oci:${path}`;
  let real: string;
  let st: ReturnType<typeof lstatSync>;
  try {
    real = realpathSync(path);
    st = lstatSync(real);
  } catch (e) {
    throw new Error(`${what}: ${(e as Error).message}`, { cause: e });
  }
  const key = createHash("sha256").update(`${real}\0${st.size}\0${st.mtimeMs}`).digest("hex").slice(0, 32);
  const dir = await new BuiltDirs(join(dataDir, "bases"))
    .get(key, async (d) => {
      let src = real;
      if (!st.isDirectory()) {
        src = join(d, "src");
        await sandboxed(host, real, d, "mkdir src && tar -xf /in -C src --no-same-owner");
      }
      const layers = layerPaths(src, "the image");
      await sandboxed(host, src, d, ["mkdir -p rootfs", ...layers.map((l) => applyLayerScript(`/in/${l}`))].join("\n"));
      // rmSync never follows the archive's symlinks: it removes them.
      if (src !== real) rmSync(src, { recursive: true, force: true });
    })
    .catch((e: unknown) => {
      throw new Error(`${what}: cannot unpack: ${(e as Error).message}`, { cause: e });
    });
  return join(dir, "rootfs");
}
