/**
 * CPU of the PostgreSQL backends serving this process's connections, read from /proc (the database
 * runs on this machine): the database's share of a benchmark without the other clients of the same
 * server (tests, other benchmarks), which a figure of the whole postmaster counts too.
 *
 * Our backends are the ones whose client port is a local port of one of this process's TCP
 * sockets (/proc/self/fd → socket inode → /proc/net/tcp). Backends that exit meanwhile drop out of
 * the sum: read it while the pool's connections are open (postgres.js keeps them open unless told
 * to time out idle ones).
 */
import { readdirSync, readFileSync, readlinkSync } from "node:fs";
import type postgres from "postgres";

/** Local TCP ports of this process's sockets. */
function ownPorts(): number[] {
  const inodes = new Set<string>();
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      // closed meanwhile
    }
  }
  const ports: number[] = [];
  for (const file of ["/proc/self/net/tcp", "/proc/self/net/tcp6"]) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch {
      continue; // no IPv6
    }
    for (const line of text.split("\n").slice(1)) {
      const f = line.trim().split(/\s+/);
      if (f.length > 9 && inodes.has(f[9]!)) ports.push(parseInt(f[1]!.split(":")[1]!, 16));
    }
  }
  return ports;
}

/** The pids of the backends serving this process's open connections to `admin`'s server. */
export async function ownBackends(admin: postgres.Sql): Promise<number[]> {
  const ports = ownPorts();
  const rows = await admin<{ pid: number }[]>`
    SELECT pid FROM pg_stat_activity WHERE client_port = ANY(${ports}::int[]) AND pid <> pg_backend_pid()`;
  return rows.map((r) => r.pid);
}

/** CPU µs of `pids` so far (/proc/<pid>/schedstat: ns on a CPU); a process gone counts 0. */
export function cpuUsOf(pids: readonly number[]): number {
  let ns = 0;
  for (const pid of pids) {
    try {
      ns += Number(readFileSync(`/proc/${pid}/schedstat`, "utf8").split(" ")[0]);
    } catch {
      // exited
    }
  }
  return ns / 1000;
}
