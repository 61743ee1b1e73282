/**
 * `tributary dev <entry.ts> [--port 8900] [--data .tributary] [--no-watch] [--cpu N]
 *                          [--backend sandbox|process|oci]`
 *
 * Server + executor in this process on SQLite (`<data>/tributary.db`, blobs in `<data>/blobs`),
 * every application of the entry deployed, redeployed on change.
 *
 * Invariants: a failed redeploy prints its error and leaves the last good version serving (deploy is
 * all-or-nothing on the server, and nothing is uploaded when bundling fails); an unchanged bundle is
 * not redeployed (editors touch files without changing them); Ctrl-C stops the watcher, then the
 * executor, then the server.
 */
import { createHash } from "node:crypto";
import { mkdir } from "node:fs/promises";
import { availableParallelism } from "node:os";
import { dirname, join } from "node:path";
import { Command } from "commander";
import { TributaryClient } from "../client/http.js";
import type { BundleResult } from "../client/bundle.js";
import type { ManifestApplication } from "../core/manifest.js";
import { curlFor } from "./curl.js";
import { CliError } from "./context.js";
import type { ContainerBackend } from "../executor/backends/kinds.js";
import { BACKEND_HELP, backendKind, collect, IMAGE_HELP, intIn, positiveNumber } from "./options.js";
import { stopOnSignal } from "./lifecycle.js";
import { imageFlag, pathFlag } from "./paths.js";
import { watchDirectory } from "./watch.js";

interface DevFlags {
  port: number;
  data: string;
  watch: boolean;
  cpu?: number;
  backend?: ContainerBackend;
  image?: string[];
}

/**
 * Functions under development mostly wait on I/O, so dev offers more CPUs than the machine has
 * (docs/semantics.md "Placement"); at least 8, the largest a function may ask for.
 */
export function devCpuDefault(): number {
  return Math.max(8, availableParallelism() * 4);
}

export function devCommand(): Command {
  return new Command("dev")
    .description("run server + executor in one process, deploy <entry> and redeploy it on change")
    .argument("<entry>", "the TypeScript or JavaScript entry file")
    .option("--port <port>", "API port", intIn(0, 65535), 8900)
    .option("--data <dir>", "where the database, blobs and containers live", ".tributary")
    .option("--no-watch", "deploy once, do not watch for changes")
    .option("--cpu <n>", "CPUs the executor offers (default: oversubscribed, 4 per core, at least 8)", positiveNumber)
    .option("--backend <kind>", BACKEND_HELP, backendKind)
    .option("--image <ref>", IMAGE_HELP, collect)
    .action(async (entry: string, flags: DevFlags) => runDev(entry, flags));
}

async function runDev(entry: string, flags: DevFlags): Promise<void> {
  const entryPath = pathFlag(entry);
  const data = pathFlag(flags.data);
  await mkdir(join(data, "blobs"), { recursive: true });
  const [{ createServer }, { createExecutor }, { bundleEntry }, { deployBody }] = await Promise.all([
    import("../server/index.js"),
    import("../executor/index.js"),
    import("../client/bundle.js"),
    import("../client/deploy.js"),
  ]);
  // Bundle before starting anything, so a broken entry fails fast with its own message.
  const first = await bundleEntry(entryPath).catch((e: unknown) => {
    throw new CliError(errorText(e));
  });
  const server = await createServer({
    host: "127.0.0.1",
    port: flags.port,
    store: `sqlite:${join(data, "tributary.db")}`,
    blobs: join(data, "blobs"),
  });
  // region "*": dev stands in for the whole cloud, so it serves every region (docs/semantics.md Placement).
  const executor = await createExecutor({
    servers: [server.url],
    // Same process: the in-process link skips the WebSocket (and its serialization) entirely.
    transport: server.localTransport,
    cpu: flags.cpu ?? devCpuDefault(),
    region: "*",
    dataDir: join(data, "executor"),
    echoLogs: true,
    backend: flags.backend,
    images: flags.image?.map((i) => imageFlag(i)),
  }).catch(async (e: unknown) => {
    await server.close();
    throw e;
  });
  // apiKey "": the dev server has no keys, and a TRIBUTARY_API_KEY meant for another server must not leak to it.
  const client = new TributaryClient({ server: server.url, apiKey: "" });
  const say = (s: string): void => void process.stdout.write(s + "\n");
  // eslint-disable-next-line prefer-const -- read by the signal handler, which may run before the assignment
  let watcher: { close(): void } | undefined;
  stopOnSignal(async () => {
    watcher?.close();
    await executor.stop();
    await server.close();
  });

  say(`Tributary dev\n  API:       ${server.url}\n  Dashboard: ${server.url}/ui`);
  let lastHash = "";
  const deployBundle = async ({ bundle, manifest, notices, context }: BundleResult): Promise<void> => {
    // The copied files count too: editing one redeploys (and so rebuilds the image's layer).
    const hash = createHash("sha256")
      .update(bundle)
      .update(context ?? "")
      .digest("hex");
    if (hash === lastHash) return;
    for (const n of notices) process.stderr.write(`notice: ${n}\n`);
    const res = await client.deploy(deployBody(manifest, bundle, context));
    lastHash = hash;
    const versions = new Map((res?.applications ?? []).map((a) => [a.name, a.version]));
    for (const app of manifest.applications) say(appLine(server.url, app, versions.get(app.name)));
  };
  await deployBundle(first);

  if (!flags.watch) {
    say("Not watching for changes (Ctrl-C to stop)");
    return;
  }
  const dir = dirname(entryPath);
  watcher = watchDirectory(
    dir,
    async () => {
      try {
        const next = await bundleEntry(entryPath);
        await deployBundle(next);
      } catch (e) {
        process.stderr.write(`redeploy failed; still serving the last good version:\n${errorText(e)}\n`);
      }
    },
    { ignore: [data] },
  );
  say(`Watching ${dir} for changes (Ctrl-C to stop)`);
}

function appLine(server: string, app: ManifestApplication, version: number | undefined): string {
  return `\n${app.name}${version !== undefined ? ` (version ${version})` : ""}\n  ${curlFor(server, "default", app)}`;
}

function errorText(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
