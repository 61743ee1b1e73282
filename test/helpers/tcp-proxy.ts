/**
 * A TCP proxy to the test database that a test can cut (every connection dropped, none accepted)
 * and restore on the same port: a database outage that touches only the test's own connections,
 * never the PostgreSQL server itself. Loopback only.
 */
import { connect, createServer, type Server, type Socket } from "node:net";
import { TEST_POSTGRES_URL } from "./postgres-database.js";

export interface DatabaseProxy {
  /** `TEST_POSTGRES_URL` through the proxy. */
  url: string;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

/**
 * @example
 * const db = await databaseProxy();
 * const store = createPostgresStore(db.url, { schema });
 * await db.cut(); // … the store's queries fail …
 * await db.restore();
 */
export async function databaseProxy(target = TEST_POSTGRES_URL): Promise<DatabaseProxy> {
  const to = new URL(target);
  const sockets = new Set<Socket>();
  let server: Server | null = null;
  let port = 0;
  const listen = (): Promise<void> =>
    new Promise((resolve, reject) => {
      const s = createServer((client) => {
        const upstream = connect(Number(to.port || 5432), to.hostname);
        for (const x of [client, upstream]) {
          sockets.add(x);
          x.on("close", () => sockets.delete(x));
          x.on("error", () => {});
        }
        client.pipe(upstream).pipe(client);
        client.on("close", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
      });
      s.once("error", reject);
      s.listen(port, "127.0.0.1", () => {
        port = (s.address() as { port: number }).port;
        server = s;
        resolve();
      });
    });
  const cut = (): Promise<void> =>
    new Promise((resolve) => {
      for (const s of sockets) s.destroy();
      const s = server;
      server = null;
      if (!s) return resolve();
      s.close(() => resolve());
    });
  await listen();
  const url = new URL(target);
  url.hostname = "127.0.0.1";
  url.port = String(port);
  return { url: url.toString(), cut, restore: listen, close: cut };
}
