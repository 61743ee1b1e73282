/**
 * Installs the peers into `.peers/restate` (gitignored, never the project's dependencies): the
 * Restate server (its npm package pulls the binary from a per-platform sub-package), the Restate
 * TypeScript SDK, and Node 24 from the npm `node` package, since the SDK needs a newer Node than ours.
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";

export interface PeerPaths {
  dir: string;
  restateServer: string;
  node24: string;
}

const PACKAGES = ["@restatedev/restate-server", "@restatedev/restate-sdk", "node@24"];

export function paths(root: string): PeerPaths {
  const dir = join(root, ".peers", "restate");
  const arch = process.arch === "arm64" ? "arm64" : "x64";
  return {
    dir,
    restateServer: join(
      dir,
      "node_modules",
      "@restatedev",
      `restate-server-${process.platform}-${arch}`,
      "bin",
      "restate-server",
    ),
    node24: join(dir, "node_modules", "node", "bin", "node"),
  };
}

export function install(root: string, force: boolean, log: (m: string) => void): PeerPaths {
  const p = paths(root);
  const sdk = join(p.dir, "node_modules", "@restatedev", "restate-sdk", "package.json");
  if (!force && existsSync(p.restateServer) && existsSync(p.node24) && existsSync(sdk)) {
    log(`peers already installed in ${p.dir} (--reinstall to refresh)`);
    return p;
  }
  mkdirSync(p.dir, { recursive: true });
  log(`npm install --prefix ${p.dir} ${PACKAGES.join(" ")}`);
  const r = spawnSync("npm", ["install", "--prefix", p.dir, "--no-audit", "--no-fund", ...PACKAGES], {
    stdio: "inherit",
    timeout: 600_000,
  });
  if (r.status !== 0) throw new Error(`npm install of the peers failed (${r.status ?? r.signal ?? r.error?.message})`);
  for (const f of [p.restateServer, p.node24, sdk])
    if (!existsSync(f)) throw new Error(`after install, ${f} is missing`);
  return p;
}
