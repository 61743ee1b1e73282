// 10,000 seeded hostile requests, half with keys set and half with none, in-process through
// `app.request()`: no 5xx, no crash, nothing half-stored, the server still serving. The figures
// (requests by class and status) are printed, so CI logs show them. Replay a failure with
// FUZZ_SEED=<seed> (the seed is printed too).
import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { startCluster, sourceOf, type Cluster } from "../helpers/cluster.js";
import { TributaryClient } from "../../src/client/index.js";
import { deploy } from "../../src/client/deploy.js";
import { hostileRequests, type FuzzKeys, type FuzzRequest } from "./fuzz-requests.js";

/** Requests per configuration (two configurations: 10,000 in all by default). */
const COUNT = Number(process.env.FUZZ_COUNT ?? 5_000);
const SEED = Number(process.env.FUZZ_SEED ?? 20261126);
const CONCURRENCY = 8;

const clusters: Cluster[] = [];
after(async () => Promise.all(clusters.map((c) => c.stop())));

interface Outcome {
  status: number;
  requestId: string | null;
  text: string;
}

async function send(c: Cluster, r: FuzzRequest): Promise<Outcome> {
  const res = await c.server.app.request(r.path, {
    method: r.method,
    headers: r.headers,
    body: /^(GET|HEAD)$/i.test(r.method) ? null : r.body,
  });
  const requestId = res.headers.get("x-tributary-request-id");
  if ((res.headers.get("content-type") ?? "").includes("text/event-stream")) {
    await res.body?.cancel();
    return { status: res.status, requestId, text: "" };
  }
  const text = await res.text();
  let id = requestId;
  if (res.ok && !id) {
    try {
      id = (JSON.parse(text) as { request_id?: string }).request_id ?? null;
    } catch {
      /* not JSON */
    }
  }
  return { status: res.status, requestId: id, text };
}

async function storedRequestIds(c: Cluster, auth: Record<string, string>): Promise<Set<string>> {
  const ids = new Set<string>();
  for (const app of ["api_echo", "api_person"]) {
    let cursor: string | null = null;
    do {
      const res = await c.server.app.request(
        `/applications/${app}/requests?limit=1000${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ""}`,
        { headers: auth },
      );
      assert.equal(res.status, 200);
      const page = (await res.json()) as { requests: { id: string }[]; next_cursor: string | null };
      for (const r of page.requests) ids.add(r.id);
      cursor = page.next_cursor;
    } while (cursor);
  }
  return ids;
}

async function fuzz(name: string, keys: FuzzKeys, c: Cluster, seed = SEED): Promise<void> {
  const auth: Record<string, string> = keys.admin ? { authorization: `Bearer ${keys.admin}` } : {};
  const before = await storedRequestIds(c, auth);
  const requests = hostileRequests(seed, COUNT, keys);
  const figures = new Map<string, Map<number, number>>();
  const failures: string[] = [];
  const accepted = new Set<string>();
  const secrets = [keys.admin, keys.limited, keys.executor].filter((k): k is string => k !== null);
  const serverErrors: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) => {
    const s = typeof chunk === "string" ? chunk : Buffer.from(chunk).toString();
    if (s.includes("tributary server:")) serverErrors.push(s);
    return write(chunk, ...rest);
  }) as typeof process.stderr.write;
  const started = Date.now();
  try {
    let next = 0;
    await Promise.all(
      Array.from({ length: CONCURRENCY }, async () => {
        for (let i = next++; i < requests.length; i = next++) {
          const r = requests[i]!;
          let o: Outcome;
          try {
            o = await send(c, r);
          } catch (e) {
            failures.push(`#${i} ${r.cls} ${r.method} ${r.path.slice(0, 120)}: threw ${(e as Error).message}`);
            continue;
          }
          const row = figures.get(r.cls) ?? new Map<number, number>();
          row.set(o.status, (row.get(o.status) ?? 0) + 1);
          figures.set(r.cls, row);
          if (o.status >= 500)
            failures.push(`#${i} ${r.cls} ${r.method} ${r.path.slice(0, 120)} → ${o.status} ${o.text.slice(0, 200)}`);
          if (o.status >= 400 && o.text && r.method !== "HEAD") {
            try {
              const e = JSON.parse(o.text) as { error?: { code?: unknown; message?: unknown } };
              if (typeof e.error?.code !== "string" || typeof e.error.message !== "string")
                throw new Error("no error.code/message");
            } catch (err) {
              failures.push(
                `#${i} ${r.cls} ${r.method} ${r.path.slice(0, 120)} → ${o.status} without a JSON error body: ${(err as Error).message}`,
              );
            }
          }
          for (const s of secrets) if (o.text.includes(s)) failures.push(`#${i} ${r.cls}: the response contains a key`);
          if (o.status < 300 && o.requestId) {
            if (!r.invoke)
              failures.push(
                `#${i} ${r.cls} ${r.method} ${r.path.slice(0, 120)}: a request was created by something that is not an invoke`,
              );
            accepted.add(o.requestId);
          }
        }
      }),
    );
  } finally {
    process.stderr.write = write;
  }
  const elapsed = Date.now() - started;

  const statuses = [...new Set([...figures.values()].flatMap((m) => [...m.keys()]))].sort((a, b) => a - b);
  const lines = [
    `fuzz (${name}): ${COUNT} requests, seed ${seed}, ${elapsed} ms`,
    ["class".padEnd(14), ...statuses.map((s) => String(s).padStart(6))].join(""),
  ];
  for (const [cls, row] of [...figures].sort())
    lines.push([cls.padEnd(14), ...statuses.map((s) => String(row.get(s) ?? 0).padStart(6))].join(""));
  lines.push(`accepted invokes: ${accepted.size}`);
  console.log(lines.join("\n"));

  assert.deepEqual(failures.slice(0, 20), [], `${failures.length} failures`);
  assert.deepEqual(serverErrors, [], "the server logged internal errors");
  // Nothing half-stored: the stored requests are exactly those before plus the accepted invokes.
  const afterIds = await storedRequestIds(c, auth);
  assert.equal(
    afterIds.size,
    before.size + accepted.size,
    "every stored request was answered as accepted, and no refused one was stored",
  );
  for (const id of accepted) assert.ok(afterIds.has(id));
  // Still serving: health, and a well-formed invoke.
  assert.equal((await c.server.app.request("/healthz")).status, 200);
  const ok = await c.server.app.request("/applications/api_echo", {
    method: "POST",
    headers: { ...auth, "content-type": "application/json" },
    body: "42",
  });
  assert.equal(ok.status, 200);
  assert.equal((await fetch(`${c.server.url}/healthz`)).status, 200, "the socket still answers");
}

describe("fuzz: hostile requests", { concurrency: false }, () => {
  test("with keys set", { timeout: 180_000 }, async () => {
    const admin = "fuzz-admin-key-8c3d";
    const executor = "fuzz-executor-token-2e7f";
    const c = await startCluster({
      server: { apiKeys: [admin], executorToken: executor, maxBodyBytes: 256 * 1024 },
      executor: null,
    });
    clusters.push(c);
    const client = new TributaryClient({ server: c.server.url, apiKey: admin });
    await deploy(sourceOf(import.meta.url, "./apps.ts"), client);
    const limited = (await client.createKey("fuzz limited", ["other"])).key;
    await fuzz("keys set", { admin, limited, executor }, c);
  });

  test("without keys", { timeout: 180_000 }, async () => {
    const c = await startCluster({ server: { maxBodyBytes: 256 * 1024 }, executor: null });
    clusters.push(c);
    await deploy(sourceOf(import.meta.url, "./apps.ts"), new TributaryClient({ server: c.server.url }));
    await fuzz("no keys", { admin: null, limited: null, executor: null }, c, SEED + 1);
  });
});
