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
import type { Credentials } from "./auth/credentials.js";
import { executorRefusal } from "./auth/guard.js";

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

/**
 * Serves executors on `server`'s upgrade requests. A refused executor gets a plain HTTP 401/403
 * whose JSON body says why, so it can print the reason and exit instead of retrying.
 */
export function attachExecutorSocket(server: Server, engine: Engine, creds: Credentials): () => void {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: 1024 * 1024 * 1024 });
  const onUpgrade = (req: IncomingMessage, socket: Duplex, head: Buffer): void => {
    const path = (req.url ?? "").split("?")[0];
    if (path !== EXECUTOR_WS_PATH) {
      socket.destroy();
      return;
    }
    socket.on("error", () => socket.destroy());
    executorRefusal(creds, req.headers.authorization).then(
      (refused) => {
        if (!refused) return wss.handleUpgrade(req, socket, head, (ws) => onConnection(ws));
        const body = JSON.stringify({ error: { code: refused.code, message: refused.message } });
        const reason = refused.status === 401 ? "Unauthorized" : "Forbidden";
        socket.end(
          `HTTP/1.1 ${refused.status} ${reason}\r\nconnection: close\r\ncontent-type: application/json\r\ncontent-length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      },
      () => socket.destroy(),
    );
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
          engine.connectExecutor(link, m);
        } else if (executorId) engine.executorMessage(executorId, m);
      }
    });
    ws.on("close", () => {
      clearInterval(ping);
      if (executorId) engine.disconnectExecutor(executorId, link);
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
