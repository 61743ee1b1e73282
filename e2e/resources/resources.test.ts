// Containers for real, end to end: three executors on loopback that differ in region, capacity,
// GPUs and resource units; every call in its own container process. See apps.ts for the layout.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runRemote } from "../../src/client/index.js";
import type { Request } from "../../src/core/request.js";
import type { RunningExecutor } from "../../src/executor/index.js";
import { ENFORCEMENT_LABEL } from "../../src/executor/limits/enforcement.js";
import { startCluster, sourceOf, type Cluster } from "../../test/helpers/cluster.js";

const REGIONS = ["us-east-1", "eu-west-1", "ap-south-1"];
const SECRET = `tok-${createHash("sha256").update(String(Math.random())).digest("hex").slice(0, 24)}`;
const dir = mkdtempSync(join(tmpdir(), "tributary-e2e-res-"));
let cluster: Cluster;
let east: RunningExecutor;
const captured: string[] = [];
const restore: Array<() => void> = [];

/** Records everything this process prints (server and executors run here) to look for the secret. */
function capture(stream: NodeJS.WriteStream): void {
  const write = stream.write.bind(stream);
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    captured.push(typeof chunk === "string" ? chunk : Buffer.from(chunk as Uint8Array).toString("utf8"));
    return (write as (...a: unknown[]) => boolean)(chunk, ...rest);
  }) as typeof stream.write;
  restore.push(() => (stream.write = write));
}

async function until(what: string, ok: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const end = Date.now() + ms;
  while (!(await ok())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

const run = (app: string, input?: unknown): Promise<Request> => runRemote(app, input, { server: cluster.server.url });
const detail = (app: string, id: string) => cluster.client.getRequest(app, id);
const executorOf = async (app: string, id: string) =>
  (await detail(app, id)).function_calls.flatMap((c) => c.attempts.map((a) => a.executor_id));

before(async () => {
  capture(process.stdout);
  capture(process.stderr);
  process.env.TRIB_E2E_DIR = dir;
  process.env.TRIBUTARY_REGIONS = REGIONS.join(",");
  cluster = await startCluster({ executor: null, server: { regions: REGIONS } });
  east = await cluster.addExecutor({ id: "ex-east", region: "us-east-1", cpu: 2, memory: 8, containerIdleMs: 1000 });
  await cluster.addExecutor({
    id: "ex-west",
    region: "eu-west-1",
    cpu: 4,
    memory: 16,
    gpus: { H100: 2 },
    images: ["ubuntu:24.04"],
  });
  await cluster.addExecutor({
    id: "ex-lab",
    region: "ap-south-1",
    cpu: 4,
    memory: 16,
    memoryUnitBytes: 64 << 20,
    diskUnitBytes: 1 << 20,
  });
  await until("three executors", () =>
    ["ex-east", "ex-west", "ex-lab"].every(
      (id) => cluster.server.engine.metrics().executors.find((x) => x.id === id)?.connected,
    ),
  );
  await cluster.client.putSecret("E2E_TOKEN", SECRET);
  await cluster.deploy(sourceOf(import.meta.url, "./apps.ts"));
});

after(async () => {
  await cluster?.stop();
  for (const r of restore) r();
  rmSync(dir, { recursive: true, force: true });
});

describe("placement", { timeout: 60_000 }, () => {
  it("executors announce their memory enforcement (heap+rss here: no cgroup root configured)", () => {
    for (const id of ["ex-east", "ex-west", "ex-lab"])
      assert.equal(
        cluster.server.engine.metrics().executors.find((x) => x.id === id)?.labels[ENFORCEMENT_LABEL],
        "heap+rss",
      );
  });

  it("a function runs in its region's executor", async () => {
    const e = await run("res_east");
    const w = await run("res_west");
    await Promise.all([e.output(), w.output()]);
    assert.deepEqual(await executorOf("res_east", e.id), ["ex-east"]);
    assert.deepEqual(await executorOf("res_west", w.id), ["ex-west"]);
  });

  it("a GPU call runs where the GPU is declared and sees its device", async () => {
    const r = await run("res_gpu");
    assert.deepEqual(await r.output(), { devices: "0" });
    assert.deepEqual(await executorOf("res_gpu", r.id), ["ex-west"]);
  });

  it("an unplaceable call fails fast with constraint_unsatisfiable naming what is missing", async () => {
    const t0 = Date.now();
    const r = await run("res_unplaceable");
    const out = await r.finished();
    assert.equal(out.failureReason, "constraint_unsatisfiable");
    assert.ok(Date.now() - t0 < 5_000, "fails fast");
    const d = await detail("res_unplaceable", r.id);
    assert.equal(d.failure_reason, "constraint_unsatisfiable");
    assert.match(d.error?.message ?? "", /no executor can provide gpu B200:4/);
  });

  it("a child no executor can place fails the request with constraint_unsatisfiable naming what is missing", async () => {
    const r = await run("res_unplaceable_child");
    const out = await r.finished();
    assert.equal(out.failureReason, "constraint_unsatisfiable");
    assert.match(out.error?.message ?? "", /res_b200_child: no executor can provide gpu B200:4/);
    const d = await detail("res_unplaceable_child", r.id);
    assert.equal(d.failure_reason, "constraint_unsatisfiable");
    const parent = d.function_calls.find((c) => c.function_name === "res_unplaceable_child");
    assert.equal(parent?.attempts.length, 1, "the parent is not retried (its policy allows 3 retries)");
    const child = d.function_calls.find((c) => c.function_name === "res_b200_child");
    assert.equal(child?.failure_reason, "constraint_unsatisfiable");
  });

  it("a base image runs only where an executor declares it", async () => {
    const r = await run("res_ubuntu");
    await r.output();
    assert.deepEqual(await executorOf("res_ubuntu", r.id), ["ex-west"]);
    const out = await (await run("res_no_base")).finished();
    assert.equal(out.failureReason, "constraint_unsatisfiable");
    assert.match(out.error?.message ?? "", /no executor can provide image debian:12/);
  });

  it("a call that waits for capacity stays pending and says why", async () => {
    const first = await run("res_hog", { dir });
    await until("the first hog to run", async () => (await detail("res_hog", first.id)).status === "running");
    const second = await run("res_hog", { dir });
    await until("the pending reason", async () => {
      const d = await detail("res_hog", second.id);
      return d.status === "pending" && /waiting for capacity \(cpu 2/.test(d.function_calls[0]?.pending_reason ?? "");
    });
    writeFileSync(join(dir, "release"), "");
    assert.equal(await first.output(), "released");
    assert.equal(await second.output(), "released");
    assert.equal((await detail("res_hog", second.id)).function_calls[0]?.pending_reason, null);
  });

  it("maxContainers: no two runs of the function overlap across the cluster", async () => {
    const reqs = await Promise.all([1, 2, 3].map(() => run("res_limited", { dir })));
    await until("a call held back by maxContainers", async () => {
      for (const r of reqs)
        if (/maxContainers 1 reached/.test((await detail("res_limited", r.id)).function_calls[0]?.pending_reason ?? ""))
          return true;
      return false;
    });
    await Promise.all(reqs.map((r) => r.output()));
    const spans = readFileSync(join(dir, "limited.txt"), "utf8")
      .trim()
      .split("\n")
      .map((l) => l.split(" ").map(Number) as [number, number])
      .sort((a, b) => a[0] - b[0]);
    assert.equal(spans.length, 3);
    for (let i = 1; i < spans.length; i++)
      assert.ok(spans[i]![0] >= spans[i - 1]![1], `runs overlap: ${JSON.stringify(spans)}`);
  });
});

describe("limits", { timeout: 60_000 }, () => {
  it("a 64 MB function allocating 512 MB fails with out_of_memory", async () => {
    const r = await run("res_oom");
    const out = await r.finished();
    assert.equal(out.failureReason, "out_of_memory", JSON.stringify(out.error));
    assert.match(out.error?.message ?? "", /memory used [\d.]+ MB, limit 64\.0 MB/);
  });

  it("a function writing past its disk quota fails with disk_quota_exceeded", async () => {
    const r = await run("res_disk");
    const out = await r.finished();
    assert.equal(out.failureReason, "disk_quota_exceeded", JSON.stringify(out.error));
    assert.match(out.error?.message ?? "", /ephemeral disk used [\d.]+ MB, limit 2\.0 MB/);
  });

  it("function B cannot see function A's temp files", async () => {
    const out = (await (await run("res_tmp")).output()) as {
      a: { tmp: string; files: string[] };
      b: { tmp: string; files: string[]; env: string };
    };
    assert.ok(out.a.files.includes("only-a.txt"));
    assert.notEqual(out.a.tmp, out.b.tmp);
    assert.equal(out.b.env, out.b.tmp);
    assert.ok(!out.b.files.includes("only-a.txt"), JSON.stringify(out.b.files));
  });
});

describe("containers", { timeout: 90_000 }, () => {
  it("a class constructor runs once over 10 requests", async () => {
    for (let i = 0; i < 10; i++) assert.equal(await (await run("res_class")).output(), 1);
    assert.equal(readFileSync(join(dir, "constructions.txt"), "utf8").trim().split("\n").length, 1);
  });

  it("an image's build step runs once per executor and its files are visible to the function", async () => {
    const outs = (await Promise.all([1, 2, 3, 4].map(async () => (await run("res_image")).output()))) as {
      greeting: string;
      cwd: string;
      nodePath: string;
      dirFromImage: string;
    }[];
    for (const o of outs) {
      assert.equal(o.greeting, "hello from the image");
      assert.equal(o.dirFromImage, dir);
      assert.ok(o.nodePath.split(":").includes(o.cwd), o.nodePath);
    }
    assert.equal(readFileSync(join(dir, "image-builds.txt"), "utf8"), "built\n");
  });

  it("a failed image build fails the attempt with a clear message", async () => {
    const out = await (await run("res_bad_image")).finished();
    assert.equal(out.failureReason, "function_error");
    assert.match(
      out.error?.message ?? "",
      /image e2e-broken \(\w+\) failed to build at step 1 .*exit code 7: no such package: left-pad-9000/,
    );
  });

  it("warmContainers start ahead; idle ones are reaped down to minContainers", async () => {
    await (await run("res_warm")).output();
    const warm = () => east.containers().filter((c) => c.poolKey.endsWith("/function:res_warm"));
    await until("two warm containers", () => warm().length === 2 && warm().every((c) => c.state === "ready"));
    // Idle time is 1 s on this executor; the reaper stops one of the two, never the last.
    await until("reaping to the minimum", () => warm().length === 1, 8_000);
    await new Promise((r) => setTimeout(r, 1_500));
    assert.equal(warm().length, 1);
  });

  it("recursion 8 deep completes on an executor with 2 CPUs", async () => {
    const r = await run("res_deep", 8);
    assert.equal(await r.output(), 8);
    assert.ok((await executorOf("res_deep", r.id)).every((x) => x === "ex-east"));
  });
});

describe("secrets", { timeout: 60_000 }, () => {
  it("reach exactly the functions that list them and never appear in any API response or log", async () => {
    const r = await run("res_secret");
    const out = (await r.output()) as {
      holder: { present: boolean; sha256: string };
      stranger: { present: boolean };
      root: boolean;
    };
    assert.deepEqual(out, {
      holder: { present: true, sha256: createHash("sha256").update(SECRET).digest("hex") },
      stranger: { present: false },
      root: false,
    });
    const base = `${cluster.server.url}/v1/namespaces/default`;
    const bodies: string[] = [];
    for (const path of [
      `/secrets`,
      `/applications/res_secret`,
      `/applications/res_secret/requests`,
      `/applications/res_secret/requests/${r.id}`,
      `/applications/res_secret/requests/${r.id}/output`,
      `/applications/res_secret/requests/${r.id}/logs`,
      `/applications/res_secret/requests/${r.id}/metrics`,
      `/applications/res_secret/requests/${r.id}/state`,
    ]) {
      const res = await fetch(base + path);
      assert.equal(res.status, 200, path);
      bodies.push(await res.text());
    }
    // Every event (lifecycle included) and RequestFinished with the inlined output.
    const sse = await fetch(`${base}/applications/res_secret/requests/${r.id}/progress?events=all`, {
      headers: { accept: "text/event-stream" },
    });
    bodies.push(await sse.text());
    assert.match(bodies.join("\n"), /checking the token/, "the logs were read");
    assert.match(bodies[0]!, /E2E_TOKEN/);
    for (const b of bodies) assert.ok(!b.includes(SECRET), `secret leaked in ${b.slice(0, 200)}`);
    assert.ok(!captured.join("").includes(SECRET), "secret printed by the server or an executor");
    // Encrypted at rest: the value is nowhere in the store's files.
    for (const f of readdirSync(cluster.dir).filter((n) => n.startsWith("db.sqlite"))) {
      const p = join(cluster.dir, f);
      if (existsSync(p) && statSync(p).isFile())
        assert.ok(!readFileSync(p).includes(SECRET), `plaintext secret in ${f}`);
    }
  });
});
