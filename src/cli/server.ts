/**
 * `tributary server [--host 127.0.0.1] [--port 8900] [--store sqlite:PATH | postgres://…]
 *                   [--blobs DIR] [--api-key K]… [--executor-token T] [--insecure]`
 *
 * Bootstrap admin keys come from `--api-key` (repeatable) and `TRIBUTARY_API_KEYS` (comma-separated).
 * Without any key the server serves everyone, so it binds loopback only unless `--insecure`.
 *
 * Relative `--store sqlite:PATH` and `--blobs DIR` are resolved here against the working directory
 * (cli/paths.ts), and unsupported schemes (`--blobs s3://…`) are refused before anything opens. Without
 * `--blobs`, blobs live in the database with a PostgreSQL store (a cluster shares nothing else) and in
 * `.tributary/blobs` with SQLite. The key
 * that encrypts secrets at rest comes from `TRIBUTARY_SECRET_KEY` (never a flag: flags are visible
 * in `ps`).
 */
import { Command } from "commander";
import { byteSize, collectCredential, credential, credentialSetting, intIn } from "./options.js";
import { stopOnSignal } from "./lifecycle.js";
import { blobsFlag, storeFlag } from "./paths.js";

interface ServerFlags {
  host: string;
  port: number;
  store: string;
  blobs?: string;
  apiKey?: string[];
  executorToken?: string;
  insecure?: boolean;
  maxBodyBytes?: number;
  maxFileBytes?: number;
  maxStateBytes?: number;
  maxNameLength?: number;
  maxEventsPerRequest?: number;
  leaseMs?: number;
}

/** `--api-key` values plus `TRIBUTARY_API_KEYS`, without blanks or repeats. */
export function bootstrapKeys(flags: string[] | undefined, env: string | undefined): string[] {
  const all = [...(flags ?? []), ...(env ?? "").split(",")].map((k) => k.trim()).filter((k) => k !== "");
  return [...new Set(all)];
}

export function serverCommand(): Command {
  return new Command("server")
    .description("run the API server (scale out: several servers on one PostgreSQL)")
    .option("--host <host>", "address to listen on", "127.0.0.1")
    .option("--port <port>", "port to listen on", intIn(0, 65535), 8900)
    .option("--store <store>", "sqlite:PATH or postgres://…", "sqlite:.tributary/tributary.db")
    .option(
      "--blobs <dir>",
      "directory for blobs (relative to the working directory); default: in the database with postgres://…, else .tributary/blobs",
    )
    .option(
      "--api-key <key>",
      "an admin API key (repeatable; also $TRIBUTARY_API_KEYS, comma-separated); without any, no auth and loopback only",
      collectCredential,
    )
    .option("--executor-token <token>", "token executors must present (default: $TRIBUTARY_EXECUTOR_TOKEN)", credential)
    .option("--insecure", "allow a non-loopback --host without any API key (serves everyone)")
    .option(
      "--max-body-bytes <size>",
      "largest JSON or structured input, e.g. 100MiB (413 beyond; default 100MiB)",
      byteSize,
    )
    .option("--max-file-bytes <size>", "largest File input, streamed (413 beyond; default 5GiB)", byteSize)
    .option(
      "--max-state-bytes <size>",
      "largest state value (state.set raises SDKUsageError beyond; default 1MiB)",
      byteSize,
    )
    .option(
      "--max-name-length <n>",
      "longest namespace, application, function, secret or id name (400 beyond; default 128)",
      intIn(1, 1024),
    )
    .option(
      "--max-events-per-request <n>",
      "events one request may journal: past it a function's new calls raise SDKUsageError and its progress updates fail its call (default 100000)",
      intIn(100, 1_000_000_000),
    )
    .option(
      "--lease-ms <ms>",
      "PostgreSQL cluster: how long this server's lease lasts unrenewed, i.e. how soon others take over its work when it dies (default 15000; also $TRIBUTARY_LEASE_MS)",
      intIn(1000, 3_600_000),
    )
    .action(async (flags: ServerFlags) => {
      const executorToken = credentialSetting(flags.executorToken, "--executor-token", "TRIBUTARY_EXECUTOR_TOKEN");
      const store = storeFlag(flags.store);
      const blobs =
        flags.blobs !== undefined
          ? blobsFlag(flags.blobs)
          : /^postgres(ql)?:/i.test(store)
            ? undefined
            : blobsFlag(".tributary/blobs");
      const { createServer } = await import("../server/index.js");
      const server = await createServer({
        host: flags.host,
        port: flags.port,
        store,
        blobs,
        apiKeys: bootstrapKeys(flags.apiKey, process.env.TRIBUTARY_API_KEYS),
        insecure: flags.insecure ?? false,
        maxBodyBytes: flags.maxBodyBytes,
        maxFileBytes: flags.maxFileBytes,
        maxStateBytes: flags.maxStateBytes,
        maxNameLength: flags.maxNameLength,
        maxEventsPerRequest: flags.maxEventsPerRequest,
        leaseMs: flags.leaseMs,
        executorToken: executorToken?.value,
        secretKey: process.env.TRIBUTARY_SECRET_KEY,
      });
      process.stdout.write(
        `Tributary server listening on ${server.url}\n  dashboard: ${server.url}/ui\n  auth: ${server.authNotice}\n`,
      );
      if (server.authNotice.startsWith("WARNING")) process.stderr.write(`${server.authNotice}\n`);
      stopOnSignal(() => server.close());
    });
}
