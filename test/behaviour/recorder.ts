/**
 * The behaviour suite's side-effect recorder: a loopback HTTP server that counts lines per
 * (namespace, name). Functions append with `POST <ns>/<name>` and read counts with `GET`; the suite
 * reads the same counts in memory. It replaces files in a host directory because a sandboxed
 * container sees no host directory (DESIGN §2 Isolation) while it keeps the network.
 */
import { createServer, type Server } from "node:http";
import { randomUUID } from "node:crypto";

export interface Recorder {
  /** A fresh namespace: the base URL functions get as their `dir`. */
  fresh(): string;
  /** Lines recorded under `name` in the namespace `dir`. */
  count(dir: string, name: string): number;
  close(): Promise<void>;
}

/**
 * Starts the recorder on 127.0.0.1 (a free port).
 * @example const rec = await startRecorder(); const dir = rec.fresh(); await fetch(`${dir}/attempts`, { method: "POST", body: "x" });
 */
export async function startRecorder(): Promise<Recorder> {
  const lines = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const key = decodeURIComponent(req.url ?? "/");
    if (req.method === "POST") {
      req.resume();
      req.on("end", () => {
        lines.set(key, (lines.get(key) ?? 0) + 1);
        res.end("ok");
      });
      return;
    }
    res.end(String(lines.get(key) ?? 0));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const base = `http://127.0.0.1:${(server.address() as { port: number }).port}`;
  return {
    fresh: () => `${base}/${randomUUID()}`,
    count: (dir, name) => lines.get(decodeURIComponent(new URL(`${dir}/${name}`).pathname)) ?? 0,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
