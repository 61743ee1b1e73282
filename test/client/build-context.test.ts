// The build context (Image.copy sources uploaded with the bundle): packed at deploy from the entry's
// directory, refused with Image.copy named when a source is missing or too large, and unpacked by
// the executor only inside its own directory, whatever the archive says.
import { test } from "node:test";
import assert from "node:assert/strict";
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readlinkSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { decodeContext, encodeContext } from "../../src/core/build-context.js";
import type { Manifest } from "../../src/core/manifest.js";
import type { ImageStep } from "../../src/core/options.js";
import { collectBuildContext } from "../../src/client/build-context.js";
import { unpackContext } from "../../src/executor/build-contexts.js";

function manifestCopying(...steps: ImageStep[]): Manifest {
  const image = { name: "i", baseImage: null, steps, id: "x" };
  return { functions: [{ image } as Manifest["functions"][number]], applications: [], classes: [] };
}

test("the copied sources are packed with their parents, modes and symlinks, and unpack the same", () => {
  const dir = mkdtempSync(join(tmpdir(), "tributary-ctx-"));
  try {
    const project = join(dir, "project");
    mkdirSync(join(project, "assets", "deep"), { recursive: true });
    writeFileSync(join(project, "assets", "deep", "a.txt"), "hello");
    writeFileSync(join(project, "run.sh"), "#!/bin/sh\n", { mode: 0o755 });
    symlinkSync("deep/a.txt", join(project, "assets", "link"));
    writeFileSync(join(project, "not-copied.txt"), "secret");
    const bytes = collectBuildContext(
      manifestCopying({ op: "copy", src: "assets", dest: "a" }, { op: "copy", src: "./run.sh", dest: "r" }),
      project,
    );
    assert.ok(bytes);
    const paths = decodeContext(bytes).map((e) => e.path);
    assert.deepEqual(paths.sort(), ["assets", "assets/deep", "assets/deep/a.txt", "assets/link", "run.sh"]);
    const out = join(dir, "out");
    unpackContext(bytes, out);
    assert.equal(readFileSync(join(out, "assets", "deep", "a.txt"), "utf8"), "hello");
    assert.equal(readlinkSync(join(out, "assets", "link")), "deep/a.txt");
    assert.equal(statSync(join(out, "run.sh")).mode & 0o111, 0o111, "the executable bit survives");
    assert.equal(existsSync(join(out, "not-copied.txt")), false, "only what is copied is uploaded");
    assert.equal(collectBuildContext(manifestCopying({ op: "run", command: "true" }), project), null);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("a missing, outside or too large copy source fails the deploy naming Image.copy", () => {
  const dir = mkdtempSync(join(tmpdir(), "tributary-ctx-"));
  try {
    writeFileSync(join(dir, "big.bin"), Buffer.alloc(2048));
    assert.throws(
      () => collectBuildContext(manifestCopying({ op: "copy", src: "nope", dest: "x" }), dir),
      /Image\.copy: source "nope" not found in /,
    );
    assert.throws(
      () => collectBuildContext(manifestCopying({ op: "copy", src: "../etc", dest: "x" }), dir),
      /Image\.copy: source "\.\.\/etc" must be inside /,
    );
    assert.throws(
      () => collectBuildContext(manifestCopying({ op: "copy", src: "big.bin", dest: "x" }), dir, 1024),
      /Image\.copy: the copied files hold more than .* MiB \(the build context limit\)/,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test("an archive that climbs, writes through its own symlink or is cut short is refused", () => {
  const file = (path: string) => ({ path, kind: "file" as const, mode: 0o644, data: new Uint8Array([1]) });
  assert.throws(() => decodeContext(encodeContext([file("../x")])), /not normalized/);
  assert.throws(() => decodeContext(encodeContext([file("/etc/passwd")])), /invalid path/);
  const viaLink = encodeContext([{ path: "a", kind: "symlink", mode: 0o777, target: "/etc" }, file("a/passwd")]);
  assert.throws(() => decodeContext(viaLink), /lies under a symlink/);
  const ok = encodeContext([file("x")]);
  assert.throws(() => decodeContext(ok.subarray(0, ok.byteLength - 1)), /bad size|truncated/);
  assert.throws(() => decodeContext(new TextEncoder().encode("PK\x03\x04")), /not a Tributary build context/);
});
