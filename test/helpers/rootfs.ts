/**
 * A tiny root filesystem for image tests: its own /etc/os-release, the host's `/bin/sh` with the
 * libraries `ldd` names (so build steps have a shell), and no Node: whatever runs Node in it must
 * bring Node along.
 */
import { execFileSync } from "node:child_process";
import { copyFileSync, mkdirSync, realpathSync, writeFileSync } from "node:fs";
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
