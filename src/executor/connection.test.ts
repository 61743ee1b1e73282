// The executor's connection says on stderr when it fails over along its server list
// (connection.ts): two in-process WebSocket servers on loopback stand in for Tributary servers.
import { test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type Server } from "node:http";
import v8 from "node:v8";
import type { AddressInfo } from "node:net";
import { WebSocketServer, type WebSocket } from "ws";
import { EXECUTOR_WS_PATH } from "../core/wire/executor.js";
import { ServerConnection } from "./connection.js";

interface FakeServer {
  url: string;
  sockets: WebSocket[];
  /** Stops listening and drops every connection (a killed server). */
  kill(): Promise<void>;
}

/**
 * A stand-in server: it welcomes each hello as a Tributary server does; `drop`: it accepts each
 * connection and closes it before answering (a server that accepts then drops the executor).
 */
async function fakeServer(port = 0, drop = false): Promise<FakeServer> {
  const http: Server = createServer();
  const wss = new WebSocketServer({ server: http, path: EXECUTOR_WS_PATH });
  const sockets: WebSocket[] = [];
  wss.on("connection", (ws) => {
    sockets.push(ws);
    if (drop) return ws.close();
    ws.once("message", () => ws.send(v8.serialize([{ t: "welcome", kill: [], heartbeatMs: 2000 }])));
  });
  await new Promise<void>((resolve) => http.listen(port, "127.0.0.1", resolve));
  return {
    url: `http://127.0.0.1:${(http.address() as AddressInfo).port}`,
    sockets,
    async kill() {
      for (const ws of wss.clients) ws.terminate();
      wss.close();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

async function until(what: string, f: () => boolean, ms = 5_000): Promise<void> {
  const end = Date.now() + ms;
  while (!f()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

function connect(servers: string[], lines: string[], states: string[], silenceMs = 10_000): ServerConnection {
  const conn = new ServerConnection({
    servers,
    silenceMs,
    log: (l) => lines.push(l),
    hello: () => ({
      t: "hello",
      executorId: "ex-1",
      region: "us-east-1",
      labels: {},
      capacity: { cpu: 1, memory: 1, disk: 1, gpus: {} },
      images: [],
      running: [],
      runItems: 1,
    }),
    resend: () => [],
    onMessage: () => {},
    onState: (up, server) => states.push(`${up ? "up" : "down"} ${server}`),
  });
  conn.start();
  return conn;
}

test("a killed server: one line says it was lost and which is next, one that the executor failed over", async () => {
  const a = await fakeServer();
  const b = await fakeServer();
  const lines: string[] = [];
  const states: string[] = [];
  const conn = connect([a.url, b.url], lines, states);
  try {
    await until("A to be served", () => states.includes(`up ${a.url}`));
    assert.deepEqual(lines, [], "a first connection to the first server says nothing");
    await a.kill();
    await until("B to be served", () => states.includes(`up ${b.url}`));
    assert.equal(lines.length, 2, lines.join("\n"));
    assert.match(lines[0]!, new RegExp(`^tributary executor: lost server ${a.url} \\(.+\\); trying ${b.url} next$`));
    assert.equal(lines[1], `tributary executor: failed over from server ${a.url} to ${b.url}`);
  } finally {
    await conn.close();
    await b.kill();
  }
});

test("a silent server is named as such; servers that did not answer are named when one connects", async () => {
  const dead = await fakeServer();
  await dead.kill(); // its port now refuses connections
  const b = await fakeServer();
  const lines: string[] = [];
  const states: string[] = [];
  const conn = connect([dead.url, b.url], lines, states, 300);
  try {
    await until("B to be served", () => states.includes(`up ${b.url}`));
    assert.deepEqual(lines, [`tributary executor: connected to server ${b.url} (${dead.url} did not answer)`]);
    // B stops reading: no pong, no message; the executor gives up on it after the silence.
    (b.sockets[0] as unknown as { _socket: { pause(): void } })._socket.pause();
    await until("B to be served again", () => states.filter((s) => s === `up ${b.url}`).length === 2);
    assert.match(
      lines[1]!,
      new RegExp(
        `^tributary executor: lost server ${b.url} \\(no message nor pong for \\d+ ms \\(TRIBUTARY_SERVER_SILENCE_MS 300\\)\\); trying ${dead.url} next$`,
      ),
    );
    assert.equal(lines[2], `tributary executor: reconnected to server ${b.url} (${dead.url} did not answer)`);
    assert.equal(lines.length, 3, lines.join("\n"));
  } finally {
    await conn.close();
    await b.kill();
  }
});

test("an executor started before its server says once that none answers yet, then nothing more until served", async () => {
  const dead = await fakeServer();
  await dead.kill(); // its port now refuses connections
  const port = Number(new URL(dead.url).port);
  const lines: string[] = [];
  const states: string[] = [];
  const conn = connect([dead.url], lines, states);
  let late: FakeServer | null = null;
  try {
    await until("the waiting line", () => lines.length > 0);
    await new Promise((r) => setTimeout(r, 1_200)); // several more refused tries (500 ms apart at most)
    assert.deepEqual(lines, [`tributary executor: no server answers yet (${dead.url}); retrying until one does`]);
    late = await fakeServer(port);
    await until("the late server to serve", () => states.includes(`up ${dead.url}`));
    assert.equal(lines.length, 1, lines.join("\n"));
  } finally {
    await conn.close();
    await late?.kill();
  }
});

test("a server that accepts then drops the connection: one line per try, and it is never served", async () => {
  const flaky = await fakeServer(0, true);
  const lines: string[] = [];
  const states: string[] = [];
  const conn = connect([flaky.url], lines, states);
  try {
    await until("three tries", () => flaky.sockets.length >= 3);
    await conn.close();
    const tries = flaky.sockets.length;
    assert.ok(lines.length === tries || lines.length === tries - 1, `${tries} tries:\n${lines.join("\n")}`);
    for (const l of lines)
      assert.equal(
        l,
        `tributary executor: server ${flaky.url} did not welcome this executor (the connection closed); reconnecting to it`,
      );
    assert.deepEqual(states, [], "a server that never welcomed the executor did not serve it");
  } finally {
    await conn.close();
    await flaky.kill();
  }
});

test("after a server that drops the executor, the one that welcomes it is reported once", async () => {
  const flaky = await fakeServer(0, true);
  const b = await fakeServer();
  const lines: string[] = [];
  const states: string[] = [];
  const conn = connect([flaky.url, b.url], lines, states);
  try {
    await until("B to be served", () => states.includes(`up ${b.url}`));
    assert.deepEqual(lines, [
      `tributary executor: server ${flaky.url} did not welcome this executor (the connection closed); trying ${b.url} next`,
    ]);
  } finally {
    await conn.close();
    await b.kill();
    await flaky.kill();
  }
});

test("failing over to a server that comes back later names the lost one once", async () => {
  const a = await fakeServer();
  const gone = await fakeServer();
  const bPort = Number(new URL(gone.url).port);
  await gone.kill(); // B is down when A goes away
  const lines: string[] = [];
  const states: string[] = [];
  const conn = connect([a.url, gone.url], lines, states);
  let b: FakeServer | null = null;
  try {
    await until("A to be served", () => states.includes(`up ${a.url}`));
    await a.kill();
    await new Promise((r) => setTimeout(r, 800)); // A and B are both tried, and neither answers
    b = await fakeServer(bPort);
    await until("B to be served", () => states.includes(`up ${gone.url}`));
    assert.equal(lines.length, 2, lines.join("\n"));
    assert.equal(lines[1], `tributary executor: failed over from server ${a.url} to ${gone.url}`);
  } finally {
    await conn.close();
    await b?.kill();
  }
});
