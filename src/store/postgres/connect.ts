/**
 * The connection pool every PostgreSQL store method draws from (porsager `postgres`).
 *
 * - int8 (`bigint`, oid 20) is parsed to a JS number: our bigint columns hold ms times, byte sizes
 *   and counters, all below 2^53, and the Store's rows use numbers.
 * - With `schema`, every connection starts with `search_path = <schema>`, so the same unqualified
 *   SQL serves a dedicated schema (one per test file, or one per tenant).
 * - Notices (e.g. "schema already exists, skipping") are not printed.
 */
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
 * What a write runs on: a transaction from `sql.begin`, or the reserved connection of a group
 * commit batch (group-commit.ts) inside its BEGIN … COMMIT.
 */
export type Tx = postgres.ISql;
/** A piece of SQL (`tx\`…\``) interpolated into a statement. */
export type Fragment = postgres.PendingQuery<postgres.Row[]>;

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
    max: options.max ?? 10,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    onnotice: () => {},
    connection,
    types: {
      int8: { to: 20, from: [20], serialize: (x: number) => String(x), parse: (x: string) => Number(x) },
    },
  });
  // The custom type only changes how int8 is parsed; the query API is the plain one.
  return sql as unknown as Sql;
}
