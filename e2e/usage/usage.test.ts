// Usage end to end (DESIGN §2 Usage, issue 14's acceptance): a real server and executor, containers
// on the sandbox backend where this machine has one (else the process backend, said in the test
// name). Every figure asserted here was measured by the executor on the container's processes.
import { after, before, describe, it } from "node:test";
import assert from "node:assert/strict";
import { runRemote } from "../../src/client/index.js";
import type { RequestDetail } from "../../src/core/api.js";
import { sandboxSkipReason } from "../../test/helpers/sandbox.js";
import { startCluster, sourceOf, type Cluster } from "../../test/helpers/cluster.js";

const backend = (await sandboxSkipReason()) ? "process" : "sandbox";
let cluster: Cluster;

async function finished(app: string, input?: unknown): Promise<RequestDetail> {
  const req = await runRemote(app, input, { server: cluster.server.url });
  await req.output();
  return cluster.client.getRequest(app, req.id);
}

/** The value of one Prometheus sample, by its exact `name{labels}`. */
async function sample(series: string): Promise<number | undefined> {
  const text = await (await fetch(`${cluster.server.url}/metrics`)).text();
  const line = text.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

describe(`usage through a real executor (${backend} backend)`, { timeout: 240_000 }, () => {
  before(async () => {
    cluster = await startCluster({ executor: { backend, containerIdleMs: 60_000 } });
    await cluster.deploy(sourceOf(import.meta.url, "./apps.ts"));
  });
  after(async () => {
    await cluster?.stop();
  });

  it("a function that burns ~1 s of CPU reports it in its request's usage and in Prometheus", async () => {
    const d = await finished("burn");
    const u = d.usage;
    assert.ok(u.cpu_seconds !== null && u.cpu_seconds >= 0.7, `cpu_seconds ${u.cpu_seconds}`);
    assert.ok(u.cpu_seconds < 3, `cpu_seconds ${u.cpu_seconds}: the attempt's, not the machine's`);
    assert.ok(u.wall_seconds >= 0.7 && u.wall_seconds < 120, `wall_seconds ${u.wall_seconds}`);
    assert.ok(u.peak_memory_bytes !== null && u.peak_memory_bytes > 10 * 2 ** 20, `peak ${u.peak_memory_bytes}`);
    // GB-seconds: the function's configured memory (2 GB) × its wall seconds.
    assert.ok(Math.abs(u.memory_gb_seconds - 2 * u.wall_seconds) < 1e-5, JSON.stringify(u));
    assert.deepEqual([u.attempts, u.containers_started], [1, 1]);
    const a = d.function_calls[0]!.attempts[0]!;
    assert.equal(a.usage?.cpu_seconds, u.cpu_seconds, "the request's usage sums its attempts'");
    assert.equal(a.usage?.container_started, true);

    const labels = '{namespace="default",application="burn",function="burn"}';
    const cpu = await sample(`tributary_function_cpu_seconds_total${labels}`);
    assert.ok(cpu !== undefined && cpu >= 0.7, `Prometheus cpu ${cpu}`);
    assert.equal(await sample(`tributary_function_attempts_total${labels}`), 1);
    assert.equal(await sample(`tributary_function_containers_started_total${labels}`), 1);
  });

  it("a warm container's next attempt counts its own CPU only, and no container start", async () => {
    const d = await finished("burn");
    const u = d.usage;
    assert.ok(u.cpu_seconds !== null && u.cpu_seconds >= 0.7, `cpu_seconds ${u.cpu_seconds}`);
    // Cumulative over the container's life it would be ≥ 2 s (two burns): it is the attempt's delta.
    assert.ok(u.cpu_seconds < 1.8, `cpu_seconds ${u.cpu_seconds} includes the previous attempt`);
    assert.equal(u.containers_started, 0, "the container was reused warm");
    const cpu = await sample(
      'tributary_function_cpu_seconds_total{namespace="default",application="burn",function="burn"}',
    );
    assert.ok(cpu !== undefined && cpu >= 1.4, `Prometheus sums both attempts: ${cpu}`);
  });

  it("CPU burnt by a child process of the function counts (the container's process tree)", async () => {
    const d = await finished("burnInChild");
    assert.equal(d.status, "succeeded");
    const cpu = d.usage.cpu_seconds;
    assert.ok(cpu !== null && cpu >= 0.6, `cpu_seconds ${cpu}: the child process's 0.8 s is missing`);
  });

  it("a request's usage sums its call tree", async () => {
    const d = await finished("burnTree");
    const u = d.usage;
    assert.equal(u.attempts, 3);
    assert.equal(d.function_calls.length, 3);
    const children = d.function_calls.filter((c) => c.function_name === "burnChild");
    const childCpu = children.map((c) => c.attempts[0]!.usage!.cpu_seconds!);
    assert.ok(
      childCpu.every((c) => c >= 0.3),
      `children ${childCpu}`,
    );
    const sum = d.function_calls.reduce((s, c) => s + (c.attempts[0]!.usage!.cpu_seconds ?? 0), 0);
    assert.ok(Math.abs(u.cpu_seconds! - sum) < 1e-5, `${u.cpu_seconds} vs ${sum}`);
    assert.ok(u.cpu_seconds! >= 0.6);
    const peaks = d.function_calls.map((c) => c.attempts[0]!.usage!.peak_memory_bytes!);
    assert.equal(u.peak_memory_bytes, Math.max(...peaks), "peak memory is the maximum, not a sum");
  });

  it("an attempt killed at its timeout still reports what it used until then", async () => {
    const req = await runRemote("burnForever", undefined, { server: cluster.server.url });
    const outcome = await req.finished();
    assert.equal(outcome.failureReason, "function_timeout");
    const d = await cluster.client.getRequest("burnForever", req.id);
    const attempts = d.function_calls[0]!.attempts;
    const u = attempts[0]!.usage;
    assert.ok(u, "the killed attempt has usage");
    assert.ok(u.wall_seconds >= 2, `wall_seconds ${u.wall_seconds}: it ran until its 2 s timeout`);
    // Busy the whole time: even on a loaded machine it gets a share of a core (measured, not 0).
    assert.ok(u.cpu_seconds !== null && u.cpu_seconds >= 0.2, `cpu_seconds ${u.cpu_seconds}`);
    assert.equal(d.usage.attempts, attempts.length);
  });
});
