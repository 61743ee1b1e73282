// `--image NAME=oci:PATH`: an OCI layout tarred into one file and a `docker save` archive unpack to
// the same root filesystem (in a sandbox, once per executor), and an archive naming a layer
// outside itself is refused. Skipped where the sandbox is missing.
import { test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { systemEntries } from "../../src/executor/backends/sandbox-host.js";
import { layerPaths, unpackOciImage } from "../../src/executor/images/oci-unpack.js";
import { makeOciLayout, makeTestRootfs, TEST_OS_RELEASE } from "../helpers/rootfs.js";
import { sandboxSkipReason } from "../helpers/sandbox.js";

const skip = (await sandboxSkipReason()) || (process.getuid?.() !== 0 ? "unpacking keeps owners: root only" : false);
const host = { bwrap: "/usr/bin/bwrap", system: systemEntries() };

test(
  "an OCI layout in a tar file and a docker save archive unpack, once, to the root filesystem",
  { skip },
  async () => {
    const dir = mkdtempSync(join(tmpdir(), "tributary-oci-"));
    try {
      const rootfs = makeTestRootfs(join(dir, "rootfs"));
      const layout = makeOciLayout(rootfs, join(dir, "layout"));
      execFileSync("tar", ["-cf", join(dir, "layout.tar"), "-C", layout, "."]);
      // docker save: manifest.json naming <id>/layer.tar files, in order.
      const save = join(dir, "save");
      const layers = layerPaths(layout, "test");
      layers.forEach((l, i) => {
        mkdirSync(join(save, `l${i}`), { recursive: true });
        writeFileSync(join(save, `l${i}`, "layer.tar"), readFileSync(join(layout, l)));
      });
      writeFileSync(join(save, "manifest.json"), JSON.stringify([{ Layers: layers.map((_, i) => `l${i}/layer.tar`) }]));
      execFileSync("tar", ["-cf", join(dir, "save.tar"), "-C", save, "."]);
      const data = join(dir, "data");
      for (const archive of ["layout.tar", "save.tar"]) {
        const root = await unpackOciImage("t", join(dir, archive), data, host);
        assert.equal(readFileSync(join(root, "etc", "os-release"), "utf8"), TEST_OS_RELEASE, archive);
        assert.equal(readFileSync(join(root, "layer2.txt"), "utf8"), "from layer 2\n", archive);
        assert.equal(existsSync(join(root, "gone.txt")), false, `${archive}: the whiteout applies`);
        assert.equal(existsSync(join(root, ".wh.gone.txt")), false, `${archive}: no whiteout left behind`);
        assert.equal(await unpackOciImage("t", join(dir, archive), data, host), root, "unpacked once");
      }
      assert.equal(readdirSync(join(data, "bases")).length, 2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  },
);

test("an archive that names a layer outside itself is refused, naming the option", { skip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), "tributary-oci-"));
  try {
    const save = join(dir, "save");
    mkdirSync(save);
    writeFileSync(join(save, "manifest.json"), JSON.stringify([{ Layers: ["../../etc/passwd"] }]));
    await assert.rejects(
      unpackOciImage("evil", save, join(dir, "data"), host),
      /executor option images: evil=oci:.*: cannot unpack: the image: invalid path "\.\.\/\.\.\/etc\/passwd"/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
