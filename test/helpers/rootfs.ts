/**
 * Image test fixtures. A tiny root filesystem: its own /etc/os-release, the host's `/bin/sh` with
 * the libraries `ldd` names (so build steps have a shell), and no Node: whatever runs Node in it
 * must bring Node along. And an OCI image layout made from one.
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, cpSync, mkdirSync, readFileSync, realpathSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { parseLdd } from "../../src/executor/backends/node-runtime.js";

/** The os-release the test root filesystem carries. */
export const TEST_OS_RELEASE = 'PRETTY_NAME="Tributary Test Root"\nID=tributary-test\nVERSION_ID="1"\n';

/**
 * Writes the root filesystem into `dir` (which need not exist).
 * @example const root = makeTestRootfs(join(tmp, "rootfs")); // --image test=<root>
 */
export function makeTestRootfs(dir: string): string {
  for (const d of ["etc", "bin", "tmp", "root"]) mkdirSync(join(dir, d), { recursive: true });
  writeFileSync(join(dir, "etc", "os-release"), TEST_OS_RELEASE);
  const sh = realpathSync("/bin/sh");
  copyFileSync(sh, join(dir, "bin", "sh"));
  const { loader, libs } = parseLdd(execFileSync("ldd", [sh], { encoding: "utf8" }));
  // Each library where the shell looks for it: the loader at its absolute path, the rest by name.
  for (const p of [...(loader ? [loader] : []), ...libs.map((l) => l.path)]) {
    mkdirSync(join(dir, dirname(p)), { recursive: true });
    copyFileSync(realpathSync(p), join(dir, p));
  }
  return dir;
}

/**
 * An OCI image layout in `dir` over `rootfs`, in two layers: the root filesystem plus `/gone.txt`
 * (plain tar), then a gzipped layer that deletes `/gone.txt` (a whiteout) and adds `/layer2.txt`.
 * @example makeOciLayout(rootfs, join(tmp, "layout")); // --image name=oci:<dir>
 */
export function makeOciLayout(rootfs: string, dir: string): string {
  const blobs = join(dir, "blobs", "sha256");
  mkdirSync(blobs, { recursive: true });
  const put = (bytes: Buffer): { digest: string; size: number } => {
    const hex = createHash("sha256").update(bytes).digest("hex");
    writeFileSync(join(blobs, hex), bytes);
    return { digest: `sha256:${hex}`, size: bytes.byteLength };
  };
  const stage = join(dir, "..", "oci-stage");
  cpSync(rootfs, join(stage, "one"), { recursive: true });
  writeFileSync(join(stage, "one", "gone.txt"), "deleted by layer 2\n");
  mkdirSync(join(stage, "two"));
  writeFileSync(join(stage, "two", ".wh.gone.txt"), "");
  writeFileSync(join(stage, "two", "layer2.txt"), "from layer 2\n");
  const tar = (flags: string, from: string): Buffer => {
    const file = join(stage, `${from}.tar`);
    execFileSync("tar", [flags, file, "-C", join(stage, from), "."]);
    return readFileSync(file);
  };
  const one = put(tar("-cf", "one"));
  const two = put(tar("-czf", "two"));
  rmSync(stage, { recursive: true, force: true });
  const config = put(Buffer.from(JSON.stringify({ architecture: "amd64", os: "linux", rootfs: { type: "layers" } })));
  const manifest = put(
    Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: "application/vnd.oci.image.manifest.v1+json",
        config: { mediaType: "application/vnd.oci.image.config.v1+json", ...config },
        layers: [
          { mediaType: "application/vnd.oci.image.layer.v1.tar", ...one },
          { mediaType: "application/vnd.oci.image.layer.v1.tar+gzip", ...two },
        ],
      }),
    ),
  );
  writeFileSync(join(dir, "oci-layout"), JSON.stringify({ imageLayoutVersion: "1.0.0" }));
  writeFileSync(
    join(dir, "index.json"),
    JSON.stringify({
      schemaVersion: 2,
      manifests: [{ mediaType: "application/vnd.oci.image.manifest.v1+json", ...manifest }],
    }),
  );
  return dir;
}
