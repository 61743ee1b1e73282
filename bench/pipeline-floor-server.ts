/**
 * The architecture's floor as a process (forked by bench/pipeline-floor.ts; not Tributary code): an
 * HTTP server that, per POST, commits a row to SQLite, sends the body to a child process over IPC,
 * commits the child's answer and responds with it. That is the least any system of this shape
 * (durable, one process per function run) does per trivial request: two commits (shared by a
 * group commit under load, as Tributary's are), one IPC round trip, one HTTP exchange.
 */
import { fork } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { createServer, type ServerResponse } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Database from "better-sqlite3";

const dir = mkdtempSync(join(tmpdir(), "tributary-floor-"));
const db = new Database(join(dir, "floor.sqlite"));
db.pragma("journal_mode = WAL");
db.pragma("synchronous = NORMAL");
db.exec("CREATE TABLE requests (id INTEGER PRIMARY KEY, status TEXT NOT NULL, input TEXT, output TEXT)");
const insert = db.prepare<[number, string]>("INSERT INTO requests (id, status, input) VALUES (?, 'running', ?)");
const finish = db.prepare<[string, number]>("UPDATE requests SET status = 'succeeded', output = ? WHERE id = ?");

// Group commit: every write queued in one event-loop turn shares one transaction; what each write
// returns runs after COMMIT (an answer is never sent before its row is committed).
let queued: (() => () => void)[] = [];
function commit(write: () => () => void): void {
  if (queued.length === 0) setImmediate(flush);
  queued.push(write);
}
function flush(): void {
  const writes = queued;
  queued = [];
  db.exec("BEGIN IMMEDIATE");
  const after = writes.map((w) => w());
  db.exec("COMMIT");
  for (const a of after) a();
}

const worker = fork(
  "--input-type=module",
  ["-e", `process.on("message", (m) => process.send({ id: m.id, output: m.input }));`],
  {
    execArgv: [],
    stdio: ["ignore", "ignore", "inherit", "ipc"],
  },
);
const waiting = new Map<number, ServerResponse>();
worker.on("message", (m: { id: number; output: string }) => {
  const res = waiting.get(m.id)!;
  waiting.delete(m.id);
  commit(() => {
    finish.run(m.output, m.id);
    return () => res.end(m.output);
  });
});

let next = 0;
const server = createServer((req, res) => {
  let body = "";
  req.setEncoding("utf8");
  req.on("data", (d: string) => (body += d));
  req.on("end", () => {
    const id = next++;
    commit(() => {
      insert.run(id, body);
      return () => {
        waiting.set(id, res);
        worker.send({ id, input: body });
      };
    });
  });
});
server.listen(0, "127.0.0.1", () => {
  const address = server.address();
  process.send!(typeof address === "object" && address ? address.port : 0);
});
process.on("SIGTERM", () => {
  worker.kill("SIGKILL");
  db.close();
  rmSync(dir, { recursive: true, force: true });
  process.exit(0);
});
