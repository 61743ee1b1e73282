/** Contract: state, metrics, logs, executors, secrets, and deleting a request with everything. */
import assert from "node:assert/strict";
import type { ExecutorRow, LogRow, MetricRow } from "../types.js";
import {
  ALL_BYTES,
  blob,
  ev,
  inline,
  newCall,
  seedRequest,
  seedRunning,
  storeTest,
  type MakeStore,
} from "./fixtures.js";

const metric = (requestId: string, name: string, value: number, kind: MetricRow["kind"] = "counter"): MetricRow => ({
  requestId,
  callId: "c1",
  functionName: "f",
  attempt: 1,
  kind,
  name,
  value,
  at: 7,
});
const log = (requestId: string, line: string, stream: LogRow["stream"] = "stdout"): LogRow => ({
  requestId,
  attemptId: "a1",
  callId: "c1",
  functionName: "f",
  stream,
  ts: 8,
  line,
});

export function dataContract(makeStore: MakeStore): void {
  storeTest(makeStore, "state: last write wins, inline and blob values, per request", async (s) => {
    const { request } = await seedRequest(s);
    const other = await seedRequest(s);
    assert.equal(await s.getState(request.id, "k"), null);
    await s.setState(request.id, "k", inline('"v1"'), 1);
    await s.setState(request.id, "k", inline(ALL_BYTES, "application/x-structured"), 2);
    await s.setState(request.id, "big", blob("state/big", 2_000_000), 3);
    await s.setState(other.request.id, "k", inline('"theirs"'), 4);
    assert.deepEqual(await s.getState(request.id, "k"), inline(ALL_BYTES, "application/x-structured"));
    assert.deepEqual(await s.listState(request.id), [
      { key: "big", value: blob("state/big", 2_000_000), updatedAt: 3 },
      { key: "k", value: inline(ALL_BYTES, "application/x-structured"), updatedAt: 2 },
    ]);
    assert.deepEqual(await s.getState(other.request.id, "k"), inline('"theirs"'));
    await s.setState(request.id, "empty", inline(new Uint8Array(0)), 5);
    assert.deepEqual((await s.getState(request.id, "empty"))?.size, 0);
  });

  storeTest(makeStore, "metrics round-trip in order; logs get increasing ids and page by id", async (s) => {
    const { request } = await seedRequest(s);
    const rows = [
      metric(request.id, "items", 3),
      metric(request.id, "time", 0.25, "timer"),
      metric(request.id, "items", Number.MAX_SAFE_INTEGER),
    ];
    await s.addMetrics(rows);
    await s.addMetrics([]);
    assert.deepEqual(await s.listMetrics(request.id), rows);

    await s.appendLogs([log(request.id, "one"), log(request.id, "two ✓", "stderr")]);
    await s.appendLogs([log(request.id, "three")]);
    const all = await s.listLogs(request.id, 0, 100);
    assert.deepEqual(
      all.map((l) => l.line),
      ["one", "two ✓", "three"],
    );
    assert.deepEqual({ ...all[1]!, id: 0 }, { ...log(request.id, "two ✓", "stderr"), id: 0 });
    assert.ok(all[0]!.id < all[1]!.id && all[1]!.id < all[2]!.id);
    assert.deepEqual(
      (await s.listLogs(request.id, all[0]!.id, 1)).map((l) => l.line),
      ["two ✓"],
    );
    assert.deepEqual(await s.listLogs(request.id, all[2]!.id, 10), []);
  });

  storeTest(makeStore, "deleteRequest removes a finished request and everything it owns", async (s) => {
    const { request, root, attempt } = await seedRunning(s);
    const keep = await seedRunning(s);
    for (const id of [request.id, keep.request.id]) {
      await s.appendEvents(id, [ev("progress")]);
      await s.setState(id, "k", inline("1"), 1);
      await s.addMetrics([metric(id, "m", 1)]);
      await s.appendLogs([log(id, "line")]);
    }
    await s.createCall(newCall(request.id, root.id, 0, 0, "child"), []);
    assert.equal(await s.deleteRequest(request.id), false, "an unfinished request is not deleted");
    await s.finishAttempt(
      attempt.id,
      { status: "succeeded", finishedAt: 2 },
      { status: "succeeded" },
      { status: "succeeded" },
      [],
    );

    assert.equal(await s.deleteRequest(request.id), true);
    assert.equal(await s.getRequest(request.id), null);
    assert.equal(await s.getCall(root.id), null);
    assert.equal(await s.getAttempt(attempt.id), null);
    assert.deepEqual(await s.listCalls(request.id), []);
    assert.deepEqual(await s.listAttempts(request.id), []);
    assert.deepEqual(await s.listEvents(request.id, 0, 100), []);
    assert.deepEqual(await s.listState(request.id), []);
    assert.deepEqual(await s.listMetrics(request.id), []);
    assert.deepEqual(await s.listLogs(request.id, 0, 100), []);
    assert.equal(await s.deleteRequest(request.id), false);

    assert.ok(await s.getRequest(keep.request.id));
    assert.equal((await s.listEvents(keep.request.id, 0, 100)).length, 1);
    assert.equal((await s.listState(keep.request.id)).length, 1);
    assert.equal((await s.listMetrics(keep.request.id)).length, 1);
    assert.equal((await s.listLogs(keep.request.id, 0, 100)).length, 1);
    assert.equal((await s.listAttempts(keep.request.id)).length, 1);
  });

  storeTest(makeStore, "executors: upsert replaces, list is by id, remove deletes", async (s) => {
    const e1: ExecutorRow = {
      id: "e1",
      region: "us-east-1",
      labels: { zone: "a" },
      capacity: { cpu: 8, memory: 32, disk: 100, gpus: { H100: 2 } },
      images: ["img:1"],
      lastSeen: 1,
    };
    const e0: ExecutorRow = {
      id: "e0",
      region: "eu-west-1",
      labels: {},
      capacity: { cpu: 1, memory: 1, disk: 2, gpus: {} },
      images: [],
      lastSeen: 2,
    };
    await s.upsertExecutor(e1);
    await s.upsertExecutor(e0);
    const e1b = { ...e1, labels: { zone: "b" }, images: ["img:1", "img:2"], lastSeen: 3 };
    await s.upsertExecutor(e1b);
    assert.deepEqual(await s.listExecutors(), [e0, e1b]);
    await s.removeExecutor("e0");
    await s.removeExecutor("missing");
    assert.deepEqual(await s.listExecutors(), [e1b]);
  });

  storeTest(makeStore, "secrets: put, overwrite, get, list names per namespace, delete", async (s) => {
    await s.putSecret({ namespace: "ns", name: "b", ciphertext: ALL_BYTES, updatedAt: 1 });
    await s.putSecret({ namespace: "ns", name: "a", ciphertext: new Uint8Array([1]), updatedAt: 2 });
    await s.putSecret({ namespace: "ns", name: "a", ciphertext: new Uint8Array([2, 3]), updatedAt: 3 });
    await s.putSecret({ namespace: "other", name: "a", ciphertext: new Uint8Array([9]), updatedAt: 4 });
    assert.deepEqual(await s.getSecret("ns", "a"), {
      namespace: "ns",
      name: "a",
      ciphertext: new Uint8Array([2, 3]),
      updatedAt: 3,
    });
    assert.deepEqual((await s.getSecret("ns", "b"))?.ciphertext, ALL_BYTES);
    assert.deepEqual(await s.listSecrets("ns"), [
      { name: "a", updatedAt: 3 },
      { name: "b", updatedAt: 1 },
    ]);
    assert.equal(await s.deleteSecret("ns", "a"), true);
    assert.equal(await s.deleteSecret("ns", "a"), false);
    assert.equal(await s.getSecret("ns", "a"), null);
    assert.deepEqual((await s.getSecret("other", "a"))?.ciphertext, new Uint8Array([9]));
  });
}
