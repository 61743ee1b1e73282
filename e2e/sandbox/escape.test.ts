// The sandbox escape suite (issue 11): through a real server and a `sandbox` executor, functions
// try to read the server's database and the executor's data, read the checkout, see another
// container's /tmp, leave files in the host's /tmp, write past their disk, see other processes,
// run as root, burn more CPUs than they have and allocate past their memory. Each must fail.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, readFileSync, readdirSync, readlinkSync, realpathSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runRemote } from "../../src/client/index.js";
import type { Request } from "../../src/core/request.js";
import { childPids } from "../../src/executor/backends/process-tree.js";
import { startCluster, sourceOf, type Cluster } from "../../test/helpers/cluster.js";
import { sandboxSkipReason } from "../../test/helpers/sandbox.js";
import type { ReadOutcome } from "./apps.js";

const CHECKOUT = fileURLToPath(new URL("../../../", import.meta.url));
let cluster: Cluster;
// Where no sandbox is possible (not Linux, no bubblewrap) the suite says why and skips.
const skip = await sandboxSkipReason();

const run = (app: string, input?: unknown): Promise<Request> => runRemote(app, input, { server: cluster.server.url });
async function output<T>(app: string, input?: unknown): Promise<T> {
  return (await (await run(app, input)).output()) as T;
}

before(async () => {
  if (skip) return;
  // 1 disk unit = 1 MiB here, so `ephemeralDisk: 2` is a 2 MiB /tmp; memory units stay 1 GiB.
  cluster = await startCluster({ executor: { backend: "sandbox", diskUnitBytes: 1 << 20 } });
  assert.equal(cluster.executors[0]!.backend, "sandbox");
  await cluster.deploy(sourceOf(import.meta.url, "./apps.ts"));
});

after(async () => {
  await cluster?.stop();
});

describe("sandbox: isolation", { timeout: 120_000, skip }, () => {
  it("cannot read the server's database, the executor's data directory, the checkout or home", async () => {
    const exData = join(cluster.dir, "ex-0");
    const paths = [
      join(cluster.dir, "db.sqlite"),
      cluster.dir,
      exData,
      join(exData, "executor-id"),
      join(exData, "bundles"),
      join(CHECKOUT, "package.json"),
      join(CHECKOUT, "e2e", "sandbox", "escape.test.ts"),
      CHECKOUT,
      "/root",
      "/home",
      "/work",
    ];
    // The targets are there on the host: a failure below is the sandbox, not a wrong path.
    for (const p of paths.slice(0, 8)) assert.ok(existsSync(p), `${p} exists on the host`);
    const got = await output<ReadOutcome[]>("sb_read", { paths });
    for (const r of got)
      assert.deepEqual(r, { path: r.path, ok: false, code: "ENOENT" }, `${r.path} must be invisible`);
    // Control: the same function does read what the image provides.
    const [os] = await output<ReadOutcome[]>("sb_read", { paths: ["/etc/os-release"] });
    assert.equal(os?.ok, true);
  });

  it("runs as an unprivileged user, sees only its own processes and a minimal root", async () => {
    const me = await output<{
      uid: number;
      gid: number;
      euid: number;
      pid: number;
      pids: number[];
      cmdlines: string[];
      tmpdir: string;
      home: string;
      cwd: string;
      root: string[];
    }>("sb_whoami");
    assert.notEqual(me.uid, 0);
    assert.notEqual(me.euid, 0);
    assert.notEqual(me.gid, 0);
    // Its own pid namespace: the sandbox's init and itself, nothing of the host.
    assert.ok(me.pids.length <= 3, `sees ${me.pids.length} processes: ${me.cmdlines.join(" | ")}`);
    assert.ok(me.pids.includes(me.pid));
    assert.ok(
      me.cmdlines.every((c) => !c.includes("--test") && !c.includes("postgres")),
      me.cmdlines.join(" | "),
    );
    assert.equal(me.tmpdir, "/tmp");
    assert.equal(me.home, "/tmp");
    assert.ok(!me.root.includes("root") && !me.root.includes("home") && !me.root.includes("work"), me.root.join(" "));
  });

  it("its /tmp is its own: another container cannot see /tmp/x, and nothing lands in the host's /tmp", async () => {
    const secret = randomUUID();
    const hostPath = `/tmp/tributary-escape-${secret}`;
    const w = await output<{ own: string; hostWrite: string; sawHostPath: boolean }>("sb_tmp_write", {
      secret,
      hostPath,
    });
    assert.equal(w.own, secret);
    // The write "succeeds" into its own tmpfs; the host's /tmp never sees it.
    assert.equal(existsSync(hostPath), false, "the host's /tmp got the file");
    assert.ok(!readdirSync("/tmp").some((n) => n.includes(secret)));
    const r = await output<{ exists: boolean; entries: string[] }>("sb_tmp_read");
    assert.equal(r.exists, false, `another container saw /tmp/x: ${r.entries.join(" ")}`);
  });

  it("a built image is its read-only working directory, on a layer the host never sees", async () => {
    const r = await output<{ cwd: string; greeting: string; layer: string; write: string }>("sb_image");
    assert.deepEqual(r, { cwd: "/image/srv/site", greeting: "hello from the image", layer: "layered", write: "EROFS" });
    assert.equal(existsSync("/usr/local/tributary-sb-image.txt"), false, "the build step wrote on the host");
    assert.equal(existsSync("/image"), false);
  });

  it("a failure's stack keeps the user's frame and none of Tributary's (source-mapped runtime frames included)", async () => {
    const fin = await (await run("sb_throw")).finished();
    const stack = fin.error?.stack ?? "";
    assert.match(stack, /^Error: thrown in the sandbox\n\s+at (Object\.)?sb_throw \(.*apps\.ts:\d+:\d+\)/, stack);
    for (const own of ["/src/", "/opt/tributary", "registry.ts", "main.ts", "node:"])
      assert.ok(!stack.includes(own), `the stack shows '${own}':\n${stack}`);
  });

  it("writing 10 % past its ephemeralDisk fails with ENOSPC; uncaught, the attempt is disk_quota_exceeded", async () => {
    const quota = 2 << 20;
    const within = await output<{ written: number; code: string | null }>("sb_disk", {
      bytes: Math.floor(quota * 0.9),
      rethrow: false,
    });
    assert.deepEqual(within, { written: Math.floor(quota * 0.9), code: null });
    const past = await output<{ written: number; code: string | null }>("sb_disk", {
      bytes: Math.floor(quota * 1.1),
      rethrow: false,
    });
    assert.equal(past.code, "ENOSPC");
    assert.ok(past.written <= quota, `wrote ${past.written} bytes into a ${quota}-byte /tmp`);
    const req = await run("sb_disk", { bytes: Math.floor(quota * 1.1), rethrow: true });
    const fin = await req.finished();
    assert.equal(fin.failureReason, "disk_quota_exceeded", JSON.stringify(fin.error));
  });
});

describe("sandbox: limits, measured", { timeout: 180_000, skip }, () => {
  it("cpu: 1 with two spinning threads gets at most 1.25 CPU-seconds per wall second", async () => {
    const r = await output<{ cpuSeconds: number; wallSeconds: number; perWallSecond: number }>("sb_cpu", { ms: 2000 });
    assert.ok(r.wallSeconds >= 1.9, JSON.stringify(r));
    assert.ok(r.perWallSecond <= 1.25, `cpu: 1 used ${r.perWallSecond.toFixed(2)} CPU-s per wall second`);
  });

  it("memory: 1 allocating 64 MB buffers is stopped with out_of_memory before 1.25 GiB resident", async () => {
    const node = realpathSync(process.execPath);
    let peak = 0;
    let sampling = true;
    // Samples the container's peak resident set (VmHWM, the kernel's own high-water mark) while it runs.
    const sampler = (async () => {
      while (sampling) {
        // Every container Node below this process (warm containers of other tests included).
        for (const pid of descendants(process.pid, 5)) {
          try {
            if (readlinkSync(`/proc/${pid}/exe`) !== node) continue;
            const m = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
            if (m) peak = Math.max(peak, Number(m[1]) * 1024);
          } catch {
            /* exited between the reads */
          }
        }
        await new Promise((r) => setTimeout(r, 10));
      }
    })();
    const req = await run("sb_memory");
    const fin = await req.finished();
    sampling = false;
    await sampler;
    assert.equal(fin.failureReason, "out_of_memory", JSON.stringify(fin.error));
    console.log(`memory: 1 stopped at a sampled peak RSS of ${(peak / 2 ** 20).toFixed(0)} MiB: ${fin.error?.message}`);
    assert.ok(peak > 256 * 2 ** 20, `the sampler saw the container (peak ${peak} bytes)`);
    const margin = 32 * 2 ** 20;
    assert.ok(peak <= 1.25 * 2 ** 30 + margin, `peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB`);
  });
});

function descendants(root: number, depth: number): number[] {
  const out: number[] = [];
  let level = [root];
  for (let d = 0; d < depth && level.length > 0; d++) {
    level = level.flatMap((p) => childPids(p));
    out.push(...level);
  }
  return out;
}
