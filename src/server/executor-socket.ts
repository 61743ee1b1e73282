/**
 * The executor endpoint: executors connect over one WebSocket each (executor-initiated, so they can
 * sit behind NAT). Frames are `v8.serialize` of message arrays; replies to one executor queued in a
 * tick go out as one frame.
 */
import type { IncomingMessage, Server } from "node:http";
import type { Duplex } from "node:stream";
import v8 from "node:v8";
import { WebSocketServer, type WebSocket } from "ws";
import { EXECUTOR_WS_PATH, type FromExecutor, type ToExecutor } from "../core/wire/executor.js";
import type { Engine, ExecutorLink } from "../engine/index.js";
import { safeEqual } from "./app.js";

class SocketLink implements ExecutorLink {
  private queue: ToExecutor[] = [];
  private scheduled = false;
  constructor(private readonly ws: WebSocket) {}
  send(msg: ToExecutor): void {
    this.queue.push(msg);
    if (this.scheduled) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      const batch = this.queue;
      this.queue = [];
      if (batch.length && this.ws.readyState === this.ws.OPEN) this.ws.send(v8.serialize(batch), { binary: true });
    });
  }
  close(): void {
    this.ws.terminate();
  }
}

export function attachExecutorSocket(server: Server, engine: Engine, token: string | null): () => void {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1024 * 1024 * 1024 });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== EXECUTOR_WS_PATH) {
      socket.destroy();
      return;
    }
    if (token !== null) {
      const got = /^Bearer\s+(.+)$/i.exec(req.headers.authorization ?? "")?.[1]?.trim();
      if (!got || !safeEqual(got, token)) {
        socket.write("HTTP/1.1 401 Unauthorized\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
        socket.destroy();
        return;
      }
    }
    wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
  };
  const onConnection = (ws: WebSocket): void => {
    const link = new SocketLink(ws);
    let executorId: string | null = null;
    let alive = true;
    const ping = setInterval(() => {
      if (!alive) return ws.terminate();
      alive = false;
      ws.ping();
    }, 5000);
    ping.unref();
    ws.on("pong", () => (alive = true));
    ws.on("message", (data: Buffer) => {
      alive = true;
      let msgs: FromExecutor[];
      try {
        msgs = v8.deserialize(data) as FromExecutor[];
      } catch {
        return ws.terminate();
      }
      for (const m of msgs) {
        if (m.t === "hello") {
          executorId = m.executorId;
          engine.executorsPart.connected(link, m);
        } else if (executorId) engine.executorsPart.onMessage(executorId, m);
      }
    });
    ws.on("close", () => {
      clearInterval(ping);
      if (executorId) engine.executorsPart.disconnected(executorId, link);
    });
    ws.on("error", () => ws.terminate());
  };
  server.on("upgrade", onUpgrade);
  return () => {
    server.off("upgrade", onUpgrade);
    for (const c of wss.clients) c.terminate();
    wss.close();
  };
}
