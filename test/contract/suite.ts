/**
 * The container contract suite (DESIGN §3 Container backends: "all three pass one container
 * contract suite"): through a real server and executor, what every backend's containers must do,
 * each clause where the backend claims it:
 * - the channel: structured values both ways, progress, results in order;
 * - images: build steps run once, their files in the workdir the function starts in;
 * - limits: writing past `ephemeralDisk` fails the attempt with `disk_quota_exceeded`;
 * - isolation (isolating backends only): not root, a private `/tmp`, the host's files and
 *   processes invisible.
 * The OCI backend runs the channel clause against the stand-in engine (no engine runs here) and
 * is checked clause by clause by what it generates in oci.test.ts.
 */
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { randomUUID } from "node:crypto";
import { existsSync, readdirSync } from "node:fs";
import { runRemote } from "../../src/client/index.js";
import type { Request } from "../../src/core/request.js";
import type { ExecutorOptions } from "../../src/executor/index.js";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";

export interface ContractOptions {
  executor: Partial<ExecutorOptions>;
  /** The backend claims isolation (sandbox): the isolation clauses apply. */
  isolated: boolean;
  /**
   * False where the images and limits are the engine's and the engine is a stand-in (oci here):
   * only the channel runs for real, the rest is checked as generated (oci.test.ts).
   */
  realContainers?: boolean | undefined;
  /** Why the suite cannot run here, or false. */
  skip: string | false;
}

/**
 * Defines the suite for one backend.
 * @example containerContract("sandbox", { executor: { backend: "sandbox" }, isolated: true, skip });
 */
export function containerContract(name: string, o: ContractOptions): void {
  let cluster: Cluster;
  const run = (app: string, input?: unknown): Promise<Request> => runRemote(app, input, { server: cluster.server.url });

  before(async () => {
    if (o.skip) return;
    // 1 disk unit = 1 MiB: `ephemeralDisk: 2` is a 2 MiB /tmp.
    cluster = await startCluster({ executor: { diskUnitBytes: 1 << 20, ...o.executor } });
    await cluster.deploy(sourceOf(import.meta.url, "./apps.ts"));
  });
  after(async () => {
    await cluster?.stop();
  });

  describe(`container contract: ${name}`, { timeout: 120_000, skip: o.skip }, () => {
    const stood = o.realContainers === false && "the stand-in engine runs no image and no limit";
    it("the channel carries structured values both ways, in order per request", async () => {
      const blob = "x".repeat(3 << 20) + "the-end!";
      const reqs = await Promise.all([1, 2, 3].map((n) => run("ct_echo", { blob, at: [n, n + 1] })));
      const outs = await Promise.all(reqs.map((r) => r.output()));
      assert.deepEqual(
        outs,
        [1, 2, 3].map((n) => ({ length: blob.length, last: "the-end!", at: [n * 2, n * 2 + 2] })),
      );
      const meta = await reqs[0]!.finished();
      assert.equal(meta.outcome, "success");
    });

    it("an image's build step runs once and the function starts in its workdir", { skip: stood }, async () => {
      const before = cluster.executors[0]!.imageBuilds();
      const outs = (await Promise.all([run("ct_image"), run("ct_image")].map(async (r) => (await r).output()))) as {
        built: string;
        cwd: string;
      }[];
      for (const v of outs) {
        assert.equal(v.built, "from-build\n");
        assert.match(v.cwd, /\/app$/);
      }
      assert.equal(cluster.executors[0]!.imageBuilds() - before, 1);
    });

    it("writing past ephemeralDisk fails the attempt with disk_quota_exceeded", { skip: stood }, async () => {
      assert.equal(await (await run("ct_disk", 1 << 20)).output(), "kept");
      const out = await (await run("ct_disk", 3 << 20)).finished();
      assert.equal(out.failureReason, "disk_quota_exceeded");
    });

    it(
      "isolation: not root, a private /tmp, no host files or processes",
      { skip: stood || (!o.isolated && "not isolated") },
      async () => {
        const secret = randomUUID();
        const paths = [cluster.dir, "/root", "/work", "/home"].filter((p) => existsSync(p));
        const v = (await (await run("ct_view", { paths, secret })).output()) as {
          uid: number;
          tmp: string;
          readable: string[];
          processes: number;
        };
        assert.notEqual(v.uid, 0);
        assert.equal(v.tmp, "/tmp");
        assert.deepEqual(v.readable, []);
        assert.ok(v.processes <= 3, `sees ${v.processes} processes`);
        assert.ok(!readdirSync("/tmp").some((n) => n.includes(secret)), "its /tmp is the host's");
      },
    );
  });
}
