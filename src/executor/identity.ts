/**
 * What an executor keeps in its data directory so that, restarted on the same data, it is the same
 * executor to the servers: its id, and the server it was last connected to.
 */
import { randomUUID } from "node:crypto";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const SERVER_FILE = "server";

/**
 * The server list, starting with the server this executor (on this data directory) was last
 * connected to: a restarted executor goes back to the server that placed its attempts, which still
 * tracks them (within the executor grace) and takes their re-sent results. Another server would not
 * own those requests while their owner lives, and the results would be lost. In the list's order
 * otherwise.
 */
export function stickyOrder(dataDir: string, servers: string[]): string[] {
  let last = "";
  try {
    last = readFileSync(join(dataDir, SERVER_FILE), "utf8").trim();
  } catch {
    /* first start */
  }
  const i = servers.indexOf(last);
  return i > 0 ? [...servers.slice(i), ...servers.slice(0, i)] : servers;
}

/** Remembers the server connected to (see `stickyOrder`). */
export function rememberServer(dataDir: string, server: string): void {
  try {
    writeFileSync(join(dataDir, SERVER_FILE), server);
  } catch {
    /* a hint only */
  }
}

/**
 * The executor's id, kept in its data directory: an executor restarted on the same data says hello
 * with the same id and no running attempts, so the server reschedules them at once instead of
 * waiting out the disconnection grace.
 */
export function stableId(dataDir: string): string {
  const file = join(dataDir, "executor-id");
  try {
    const saved = readFileSync(file, "utf8").trim();
    if (/^ex-[a-z0-9-]{4,64}$/.test(saved)) return saved;
  } catch {
    /* first start */
  }
  const id = `ex-${randomUUID().slice(0, 8)}`;
  mkdirSync(dataDir, { recursive: true });
  writeFileSync(file, id);
  return id;
}
