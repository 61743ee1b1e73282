// Issue 11, "a 2 GB upload to a File function completes, with the server's and executor's RSS each
// growing by less than 200 MB": real `tributary server` and `tributary executor` processes (the
// sandbox backend where this machine has one), a streamed 2 GB POST, and RSS sampled from /proc.
// The input reaches the container as a file-backed File: the function hashes it in chunks.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { TributaryClient } from "../../src/client/index.js";
import { deploy } from "../../src/client/deploy.js";
import { sourceOf } from "../../test/helpers/cluster.js";
import { sandboxSkipReason } from "../../test/helpers/sandbox.js";
import { deployment, waitFor, type Deployment } from "../harness/processes.js";

const GB2 = 2_000_000_000;
const CHUNK = 1 << 20;
const MB200 = 200 * 1024 * 1024;
const linux = process.platform === "linux";

let d: Deployment;
let backend: "sandbox" | "process";

function rssOf(pid: number): number {
  const m = /^VmRSS:\s+(\d+)\s*kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
  return Number(m?.[1] ?? 0) * 1024;
}

/** Samples a process's RSS every 50 ms until stopped; reports the peak. */
function sampler(pid: number): { stop(): number } {
  let peak = rssOf(pid);
  const t = setInterval(() => (peak = Math.max(peak, rssOf(pid))), 50);
  return {
    stop() {
      clearInterval(t);
      return Math.max(peak, rssOf(pid));
    },
  };
}

/** `size` bytes of a repeating random MiB, hashed as they are produced. */
function body(size: number, hash: ReturnType<typeof createHash>): ReadableStream<Uint8Array> {
  const block = randomBytes(CHUNK);
  let sent = 0;
  return new ReadableStream({
    pull(ctl) {
      if (sent >= size) return ctl.close();
      const n = Math.min(CHUNK, size - sent);
      const chunk = new Uint8Array(block.subarray(0, n));
      chunk[0] = sent / CHUNK; // every chunk differs, so a dropped or repeated chunk changes the hash
      hash.update(chunk);
      sent += n;
      ctl.enqueue(chunk);
    },
  });
}

async function upload(app: string, size: number): Promise<{ out: Record<string, unknown>; sha256: string }> {
  const hash = createHash("sha256");
  const res = await fetch(`${d.url}/applications/${app}?wait=600`, {
    method: "POST",
    headers: { "content-type": "application/x-test-bytes", "content-length": String(size) },
    body: body(size, hash),
    duplex: "half",
  } as RequestInit);
  const text = await res.text();
  assert.equal(res.status, 200, text);
  return { out: JSON.parse(text) as Record<string, unknown>, sha256: hash.digest("hex") };
}

before(async () => {
  if (!linux) return;
  backend = (await sandboxSkipReason()) ? "process" : "sandbox";
  d = await deployment();
  await d.startServer();
  const ex = await d.startExecutor(["--backend", backend]);
  await waitFor("the executor to connect", () => ex.output().includes("serving"), 30_000);
  await deploy(sourceOf(import.meta.url, "./apps.ts"), new TributaryClient({ server: d.url }));
});

after(async () => {
  await d?.cleanup();
});

describe("File inputs stream end to end", { skip: linux ? false : "RSS is read from /proc (Linux)" }, () => {
  it("a small File still arrives whole through bytes", { timeout: 60_000 }, async () => {
    const { out } = await upload("whole", 3 * CHUNK);
    assert.equal(out.size, 3 * CHUNK);
    assert.equal(out.bytes, 3 * CHUNK);
  });

  it(
    "a 2 GB upload completes; server and executor RSS each grow by less than 200 MB",
    { timeout: 170_000 },
    async () => {
      // Warm: the container is up and the bundle cached, so what follows measures the transfer.
      await upload("digest", 2 * CHUNK);
      const server = sampler(d.server!.child.pid!);
      const executorPid = [...(await executorPids())][0]!;
      const executor = sampler(executorPid);
      const baseline = { server: rssOf(d.server!.child.pid!), executor: rssOf(executorPid) };
      const { out, sha256 } = await upload("digest", GB2);
      const peak = { server: server.stop(), executor: executor.stop() };
      const growth = { server: peak.server - baseline.server, executor: peak.executor - baseline.executor };
      console.log(
        `# ${backend} backend: 2 GB upload; RSS growth server ${(growth.server / 2 ** 20).toFixed(1)} MB, executor ${(growth.executor / 2 ** 20).toFixed(1)} MB; container RSS ${(Number(out.rss) / 2 ** 20).toFixed(1)} MB`,
      );
      assert.equal(out.size, GB2);
      assert.equal(out.seen, GB2);
      assert.equal(out.sha256, sha256);
      assert.equal(out.contentType, "application/x-test-bytes");
      assert.ok((out.chunks as number) > 1, "read in chunks");
      assert.ok(growth.server < MB200, `server RSS grew ${growth.server} bytes`);
      assert.ok(growth.executor < MB200, `executor RSS grew ${growth.executor} bytes`);
      // The container never held the file either (its memory limit is 1 GiB, the file 2 GB).
      assert.ok(Number(out.rss) < 1024 ** 3);
      // The executor's spool and the container's inbox are emptied once the attempt ends.
      await waitFor(
        "the spool to be emptied",
        () => readdirSync(join(d.dir, "executor-0", "spool")).length === 0,
        10_000,
      );
    },
  );
});

/** The executor process: the `tributary executor` child the harness started (the only one). */
async function executorPids(): Promise<Set<number>> {
  const pids = new Set<number>();
  for (const name of readdirSync("/proc")) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const cmd = readFileSync(`/proc/${name}/cmdline`, "utf8");
      if (cmd.includes("executor") && cmd.includes(join(d.dir, "executor-0"))) pids.add(Number(name));
    } catch {
      /* exited */
    }
  }
  return pids;
}
