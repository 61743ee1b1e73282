/**
 * The connection pool every PostgreSQL store method draws from (porsager `postgres`).
 *
 * - int8 (`bigint`, oid 20) is parsed to a JS number: our bigint columns hold ms times, byte sizes
 *   and counters, all below 2^53, and the Store's rows use numbers.
 * - With `schema`, every connection starts with `search_path = <schema>`, so the same unqualified
 *   SQL serves a dedicated schema (one per test file, or one per tenant).
 * - Notices (e.g. "schema already exists, skipping") are not printed.
 */
import net from "node:net";
import postgres from "postgres";

/** Options of {@link createPostgresStore}. */
export interface PostgresStoreOptions {
  /** A PostgreSQL schema to hold every table (created by `migrate()` if missing). Default: the server's search_path. */
  schema?: string;
  /** Pool size (default 10). */
  max?: number;
  /** Seconds to wait for a connection before failing (default 10). */
  connectTimeoutSeconds?: number;
  /**
   * The id of the server writing through this store, in a cluster (DESIGN.md §3). Every connection
   * carries it (`tributary.server`), and a write that journals events for a request another live
   * server owns is refused (`ownerFence`): a server that stalled past its lease cannot change a
   * request taken over meanwhile. Absent: no fence (one server owns the store).
   */
  serverId?: string;
}

/** The pool, typed without custom type parameters so helpers accept any `sql`/transaction. */
export type Sql = postgres.Sql;
/**
 * What a write runs on: the reserved connection of a `transaction` (transaction.ts) or of a group
 * commit batch (group-commit.ts) inside its BEGIN … COMMIT.
 */
export type Tx = postgres.ISql;

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/** Throws for a schema name that would need quoting (we interpolate it into DDL and search_path). */
export function checkSchemaName(schema: string): string {
  if (!SCHEMA_NAME.test(schema))
    throw new Error(`invalid PostgreSQL schema name ${JSON.stringify(schema)}: use [A-Za-z_][A-Za-z0-9_]*`);
  return schema;
}

export function connect(url: string, options: PostgresStoreOptions): Sql {
  const connection: Record<string, string> = { application_name: "tributary" };
  if (options.schema !== undefined) connection.search_path = checkSchemaName(options.schema);
  if (options.serverId !== undefined) connection["tributary.server"] = options.serverId;
  const sql = postgres(url, {
    // A documented option that postgres.js's types leave out. Several hosts (`h1:5432,h2:5432`):
    // postgres.js's own socket, which rotates through them.
    ...(severalHosts(url) ? {} : { socket: coalescingSocket }),
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    backoff: reconnectDelaySeconds,
    onnotice: () => {},
    connection,
    types: {
      int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
  });
  sql.reserve = reserveRetried(sql.reserve.bind(sql), (options.connectTimeoutSeconds ?? 10) * 1000);
  // The custom type only changes how int8 is parsed; the query API is the plain one.
  return sql as unknown as Sql;
}

/**
 * Seconds before a connection that closed on an error reconnects, after `retries` such closes in
 * the whole pool (postgres.js counts them per pool, and resets the count on a successful connect).
 * postgres.js's own curve reaches 20 s after about six: with ten connections refused during a
 * short database outage, the server then waited up to 20 s more after the database came back
 * before its lease renewal and writes went through (seen testing docs/operations.md). Capped at
 * 2 s, a pool of ten tries at most about five connects a second while the database is away, which
 * costs it nothing, and a server resumes within about 2 s of its return. Jittered so that many
 * servers do not reconnect in step.
 */
export function reconnectDelaySeconds(retries: number): number {
  return (0.5 + Math.random() / 2) * Math.min(0.05 * 2 ** retries, 2);
}

/**
 * `sql.reserve()` that cannot stay pending forever. postgres.js 3.4.9 strands a queued reserve when
 * the connection it waits on closes (porsager/postgres#1195: `onclose` hands it to the reconnect as
 * its first query, which drops a reserve): its promise never settles. With the database away for a
 * few seconds that happened to the group commit's reserve (group-commit.ts), and every later write
 * of the server waited behind it, for good (src/store/postgres/outage.test.ts). So a reserve not
 * answered within `patienceMs` is asked again (the stranded one is no longer queued, the new one
 * is); the first to resolve is used and a later one released. After four tries it fails.
 */
function reserveRetried<R extends { release(): void }>(
  reserve: () => Promise<R>,
  patienceMs: number,
): () => Promise<R> {
  return () =>
    new Promise((resolve, reject) => {
      let settled = false;
      let tries = 0;
      let timer: NodeJS.Timeout | undefined;
      const attempt = (): void => {
        tries++;
        reserve().then(
          (conn) => {
            if (settled) return conn.release(); // a slow or stranded one, answered after all
            settled = true;
            clearTimeout(timer);
            resolve(conn);
          },
          (e: unknown) => {
            if (settled) return;
            settled = true;
            clearTimeout(timer);
            reject(e instanceof Error ? e : new Error(String(e)));
          },
        );
        timer = setTimeout(() => {
          if (settled) return;
          if (tries < 4) return attempt();
          settled = true;
          reject(new Error(`no PostgreSQL connection within ${(4 * patienceMs) / 1000} s`));
        }, patienceMs);
      };
      attempt();
    });
}

/** What postgres.js passes a `socket` factory: its parsed connection options. */
interface SocketOptions {
  host: string[];
  port: number[];
  path?: string | false;
}

/**
 * A connection to the server whose writes of one turn of the event loop leave in one system call.
 * postgres.js writes a statement of 1 KiB or more the moment it is issued (smaller ones at the next
 * `setImmediate`), so a group commit batch (group-commit.ts) went out in one `write` per statement,
 * each waking the backend for a partial batch. Corked at the first write and uncorked at the next
 * `setImmediate`, the batch leaves together; the delay is the one postgres.js gives small writes.
 *
 * The socket buffers up to {@link WRITE_BUFFER} before `write` reports backpressure. With Node's
 * default (16 KiB), a corked batch passed it after ~20 statements: `write` returned false, postgres.js
 * marked the reserved connection full and sent each of the batch's remaining statements alone, as
 * an earlier one's ReadyForQuery came back (one `write` system call and one backend wake-up per
 * statement: 2.6 writes per request at 32 requests per batch, measured with strace).
 */
function coalescingSocket(o: SocketOptions): net.Socket {
  // `writableHighWaterMark` is a Duplex option that net.Socket passes on; @types/node leaves it out.
  const buffer = { writableHighWaterMark: WRITE_BUFFER } as object;
  const socket = o.path
    ? net.connect({ path: o.path, ...buffer })
    : net.connect({ port: o.port[0] ?? 5432, host: o.host[0] ?? "localhost", ...buffer });
  const write = socket.write.bind(socket) as (chunk: Uint8Array, cb?: (e?: Error | null) => void) => boolean;
  let corked = false;
  const uncork = (): void => {
    corked = false;
    socket.uncork();
  };
  socket.write = ((chunk: Uint8Array, cb?: (e?: Error | null) => void): boolean => {
    if (!corked) {
      corked = true;
      socket.cork();
      setImmediate(uncork);
    }
    return write(chunk, cb);
  }) as typeof socket.write;
  return socket;
}

/**
 * Bytes a connection's socket buffers before reporting backpressure: a whole group commit batch
 * (at most 256 statements of ~1 KiB each as Bind messages) with room to spare.
 */
const WRITE_BUFFER = 4 << 20;

/** True for a URL naming several hosts (`postgres://u@h1:5432,h2:5432/db`). */
function severalHosts(url: string): boolean {
  const authority = url.replace(/^[a-z]+:\/\//i, "").split(/[/?]/)[0] ?? "";
  return authority.includes(",");
}
