/**
 * `createServer`: the HTTP API, the executor endpoint and the engine over one store.
 */
import { randomBytes } from "node:crypto";
import { mkdirSync } from "node:fs";
import { hostname } from "node:os";
import { dirname, join } from "node:path";
import type { AddressInfo } from "node:net";
import { createServer as createHttpServer } from "node:http";
import { getRequestListener } from "@hono/node-server";
import type { Hono } from "hono";
import { DEFAULT_REGIONS } from "../core/options.js";
import { envSetting } from "../core/env-ms.js";
import { createEngine, type Engine } from "../engine/index.js";
import { createLocalBlobStore, openPostgresBlobStore, openStore, type PostgresBlobStore } from "../store/index.js";
import { createApp } from "./app.js";
import { createFastInvoke } from "./fast-invoke.js";
import { startCronTicker } from "./cron/ticker.js";
import { systemClock } from "../core/clock.js";
import { authNotice as checkBind } from "./auth/bind-policy.js";
import { Credentials } from "./auth/credentials.js";
import type { ServerContext } from "./context.js";
import { attachExecutorSocket } from "./executor-socket.js";
import { SecretBox } from "./secrets-crypto.js";
import { localExecutorTransport } from "./local-executor.js";
import type { ExecutorTransportFactory } from "../core/wire/executor.js";

export interface ServerOptions {
  host?: string;
  /** 0 picks a free port. Default 8900. */
  port?: number;
  /** `sqlite:PATH`, a path, or `postgres://…`. */
  store: string;
  /**
   * Blob directory (a local path; object-store URLs such as `s3://…` are refused). Optional with a
   * PostgreSQL store: blobs then live in the database, so servers share nothing but it.
   */
  blobs?: string;
  /** Bootstrap admin keys. Without any, the server serves everyone and only binds loopback. */
  apiKeys?: string[];
  executorToken?: string;
  /** Bind a non-loopback host without keys (serving everyone). */
  insecure?: boolean;
  regions?: string[];
  /** JSON and structured inputs, in memory (default 100 MiB; 413 beyond). */
  maxBodyBytes?: number;
  /** `File` inputs, streamed to the blob store (default 5 GiB; 413 beyond). */
  maxFileBytes?: number;
  /** Largest state value (default 1 MiB; `state.set` raises SDKUsageError beyond). */
  maxStateBytes?: number;
  /** Longest name in a path or a manifest (default 128 characters; 400 beyond). */
  maxNameLength?: number;
  /**
   * Events one request may journal (default 100,000): past it a function's new calls raise
   * SDKUsageError and its progress updates fail its call (docs/semantics.md "Limits").
   */
  maxEventsPerRequest?: number;
  /** Key for secrets at rest; default: a key file beside the SQLite database. */
  secretKey?: string;
  executorGraceMs?: number;
  unsatisfiableGraceMs?: number;
  /**
   * With a PostgreSQL store (scale-out): how long this server's lease on its requests lasts without
   * renewal, i.e. how soon the other servers take over when it dies (default 15 s).
   */
  leaseMs?: number;
}

function stripUndefined<T extends object>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

export interface RunningServer {
  url: string;
  port: number;
  engine: Engine;
  /** The HTTP API in-process (`app.request(path, init)`), for tests that need no socket. */
  app: Hono;
  /** One line on who the server serves (keys required, loopback only, or the --insecure warning). */
  authNotice: string;
  /** An in-process link for an executor running in this process (`createExecutor({ transport })`). */
  localTransport: ExecutorTransportFactory;
  close(): Promise<void>;
}

export async function createServer(o: ServerOptions): Promise<RunningServer> {
  // Operators (and fault tests) tune failure detection without new flags.
  const host = o.host ?? "127.0.0.1";
  // Before anything is opened: a refused bind leaves no database or socket behind.
  const authNotice = checkBind(host, (o.apiKeys ?? []).length > 0, o.insecure ?? false);
  o = {
    // A bad value is an error naming the variable (never a silent default): core/env-ms.ts.
    executorGraceMs: envSetting("TRIBUTARY_EXECUTOR_GRACE_MS"),
    unsatisfiableGraceMs: envSetting("TRIBUTARY_UNSATISFIABLE_GRACE_MS"),
    leaseMs: envSetting("TRIBUTARY_LEASE_MS"),
    ...stripUndefined(o),
  };
  const postgres = /^postgres(ql)?:\/\//i.test(o.store);
  if (o.blobs === undefined && !postgres)
    throw new Error("blobs: a directory is required unless the store is PostgreSQL (which then holds the blobs)");
  // A URL is not a directory: without this, `s3://bucket` would quietly become a folder named `s3:`.
  if (o.blobs !== undefined && /^[a-z][a-z0-9+.-]+:/i.test(o.blobs))
    throw new Error(`blobs ${JSON.stringify(o.blobs)}: only a local directory is supported`);
  if (o.blobs !== undefined) mkdirSync(o.blobs, { recursive: true });
  // This server's id in a cluster (new at every start); the store fences its writes with it.
  const serverId = `${hostname()}:${process.pid}:${randomBytes(3).toString("hex")}`;
  const store = await openStore(o.store, { serverId });
  await store.migrate();
  const dbBlobs = o.blobs === undefined ? await openPostgresBlobStore(o.store) : null;
  const blobs = dbBlobs ?? createLocalBlobStore(o.blobs!);
  const box = await secretBox(o, dbBlobs);
  const engine = createEngine({
    store,
    blobs,
    // A store shared by several servers (it has hints: PostgreSQL) makes this server one of a cluster.
    ...(store.hints
      ? {
          cluster: {
            serverId,
            leaseMs: o.leaseMs ?? 15_000,
          },
        }
      : {}),
    options: {
      ...(o.executorGraceMs !== undefined ? { executorGraceMs: o.executorGraceMs } : {}),
      ...(o.unsatisfiableGraceMs !== undefined ? { unsatisfiableGraceMs: o.unsatisfiableGraceMs } : {}),
      ...(o.maxStateBytes !== undefined ? { maxStateBytes: o.maxStateBytes } : {}),
      ...(o.maxEventsPerRequest !== undefined ? { maxEventsPerRequest: o.maxEventsPerRequest } : {}),
      resolveSecrets: async (namespace, names) => {
        const env: Record<string, string> = {};
        for (const n of names) {
          const row = await store.getSecret(namespace, n);
          if (row) env[n] = box.open(row.ciphertext);
        }
        return env;
      },
    },
  });
  await engine.recover();
  const ctx: ServerContext = {
    engine,
    store,
    blobs,
    box,
    regions: o.regions ?? [...DEFAULT_REGIONS],
    limits: {
      maxBodyBytes: o.maxBodyBytes ?? 100 * 1024 * 1024,
      maxFileBytes: o.maxFileBytes ?? 5 * 1024 ** 3,
      maxDeployBytes: 256 * 1024 * 1024,
      maxNameLength: o.maxNameLength ?? 128,
    },
  };
  // After recover(): a tick missed while no server ran fires once, against a live engine.
  const ticker = startCronTicker({
    store,
    clock: systemClock,
    invoke: (ns, app, input, key) => engine.invoke(ns, app, input, key),
  });
  ctx.onSchedulesChanged = ticker.changed;
  const creds = new Credentials(store, { apiKeys: o.apiKeys ?? [], executorToken: o.executorToken ?? null });
  const app = createApp(ctx, creds);
  // The hot invoke requests are served on node:http directly (fast-invoke.ts); the rest by Hono.
  const fast = createFastInvoke(ctx, creds);
  const hono = getRequestListener(app.fetch, { hostname: host });
  const http = createHttpServer((req, res) => {
    if (!fast(req, res)) void hono(req, res);
  });
  await new Promise<void>((resolve) => http.listen(o.port ?? 8900, host, () => resolve()));
  http.keepAliveTimeout = 65_000;
  const detach = attachExecutorSocket(http, engine, creds);
  const port = (http.address() as AddressInfo).port;
  const url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
  return {
    url,
    port,
    engine,
    authNotice,
    app,
    localTransport: localExecutorTransport(engine, url),
    async close() {
      detach();
      await ticker.stop();
      await engine.stop();
      await new Promise<void>((resolve) => {
        http.close(() => resolve());
        http.closeAllConnections?.();
      });
      await dbBlobs?.close();
      await store.close();
    },
  };
}

/**
 * The key that encrypts secrets at rest: `secretKey` when given; else a random key created once in
 * `secret.key` beside the SQLite file or in the blob directory; else (PostgreSQL holding the blobs)
 * in the database, created by whichever server starts first, so every server of a cluster reads
 * the same one (docs/operations.md: set TRIBUTARY_SECRET_KEY to keep the key out of the database).
 */
async function secretBox(o: ServerOptions, dbBlobs: PostgresBlobStore | null): Promise<SecretBox> {
  if (o.secretKey) return SecretBox.fromPassphrase(o.secretKey);
  if (dbBlobs) {
    const made = new TextEncoder().encode(randomBytes(32).toString("hex"));
    return new SecretBox(
      Buffer.from(new TextDecoder().decode(await dbBlobs.putIfAbsent("server/secret.key", made)), "hex"),
    );
  }
  const sqlitePath = /^postgres(ql)?:\/\//i.test(o.store) ? null : o.store.replace(/^sqlite:/, "");
  return SecretBox.fromKeyFile(
    sqlitePath && sqlitePath !== ":memory:" ? join(dirname(sqlitePath), "secret.key") : join(o.blobs!, "secret.key"),
  );
}
