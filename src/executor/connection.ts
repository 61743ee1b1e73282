/**
 * The executor's connection to a server: one executor-initiated WebSocket, batched (every message
 * queued in one tick goes out as one frame), resumable (reconnects with backoff, rotating through
 * the server list, says `hello` again and re-sends what was not acknowledged).
 *
 * Invariant: outgoing messages are never dropped while disconnected: they wait in the queue and go
 * out after the next `hello`, so a finished attempt's result survives a server restart.
 *
 * A server that stays silent (no message, no pong to the pings sent with each heartbeat) for
 * `silenceMs` is treated as gone, as a closed connection is: a stalled server process keeps its
 * TCP connections open, and its work must move to the next server of the list (which adopts the
 * attempts running here) instead of waiting for it.
 *
 * A server serves this executor once it has answered the `hello` (its `welcome` is the first
 * message on a connection): only then is the connection said to be up (`onState`), remembered,
 * and reported. A connection that opens and goes down before that was not served.
 *
 * Failover is said on stderr (`log`), one line each: when the server served goes away (closed, or
 * silent) and which server is tried next, and when a server welcomes the executor after that
 * (naming the one lost), or after the first servers of the list did not answer. A server that
 * accepts the connection but drops it before welcoming the executor gets one line per try, naming
 * it and the server tried next. The first connection to the first server tried says nothing (the
 * executor's `serving` line names the list); an executor none of whose servers answers at start says
 * so once, after trying each.
 *
 * A server that answers the upgrade with 401 or 403 refused the token: the connection stops and
 * reports why (`onRefused`) instead of retrying forever with credentials that cannot work.
 */
import v8 from "node:v8";
import WebSocket from "ws";
import {
  EXECUTOR_WS_PATH,
  type ExecutorTransport,
  type FromExecutor,
  type ToExecutor,
  type TransportHandlers,
} from "../core/wire/executor.js";
import { envSetting } from "../core/env-ms.js";

/** What a refused executor is told to present (a 401 does not say which the server expects). */
const EXPECTED =
  "start the executor with the server's executor token (its --executor-token or TRIBUTARY_EXECUTOR_TOKEN; " +
  "a server without one takes one of its admin keys) in --token or TRIBUTARY_EXECUTOR_TOKEN";

/** The longest pause between reconnects. */
const MAX_RETRY_MS = 500;

export interface ConnectionOptions extends TransportHandlers {
  servers: string[];
  token?: string | undefined;
  /** Silence after which the server counts as gone (default `TRIBUTARY_SERVER_SILENCE_MS` or 10 s). */
  silenceMs?: number | undefined;
  /**
   * Where `token` came from, for the refusal (`"--token"`, `"TRIBUTARY_EXECUTOR_TOKEN"`); unset:
   * either.
   */
  tokenSource?: string | undefined;
  /** Where failover lines go (default: stderr). */
  log?: ((line: string) => void) | undefined;
}

const HEARTBEAT_MS = 2000;

/** `TRIBUTARY_SERVER_SILENCE_MS`, else 10 s; a bad value throws, naming the variable. */
function defaultSilenceMs(): number {
  return envSetting("TRIBUTARY_SERVER_SILENCE_MS") ?? 10_000;
}

export class ServerConnection implements ExecutorTransport {
  private ws: WebSocket | null = null;
  private queue: FromExecutor[] = [];
  private flushScheduled = false;
  private closed = false;
  private serverIndex = 0;
  private retryMs = 100;
  private heartbeat: NodeJS.Timeout | null = null;
  connected = false;
  /** The server served last, once it went away (until a connection opens again). */
  private lost: string | null = null;
  /** Servers that did not answer since the last connection opened (or since the start). */
  private readonly unanswered = new Set<string>();
  /** Whether any server has welcomed this executor yet, and whether the wait for one was said. */
  private served = false;
  private saidWaiting = false;
  private readonly log: (line: string) => void;

  /** Read at construction, so a bad `TRIBUTARY_SERVER_SILENCE_MS` stops the executor at start. */
  private readonly silenceMs: number;

  constructor(private readonly opts: ConnectionOptions) {
    this.silenceMs = opts.silenceMs ?? defaultSilenceMs();
    this.log = opts.log ?? ((l) => process.stderr.write(`${l}\n`));
  }

  start(): void {
    this.connect();
  }

  /** Queues a message; frames go out once per tick. */
  send(msg: FromExecutor): void {
    this.queue.push(msg);
    if (!this.flushScheduled && this.connected) {
      this.flushScheduled = true;
      setImmediate(() => this.flush());
    }
  }

  drop(): void {
    this.ws?.terminate();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.flush();
    const ws = this.ws;
    if (!ws) return;
    await new Promise<void>((resolve) => {
      if (ws.readyState === WebSocket.CLOSED) return resolve();
      ws.once("close", () => resolve());
      ws.close();
      setTimeout(() => {
        ws.terminate();
        resolve();
      }, 1000).unref();
    });
  }

  private flush(): void {
    this.flushScheduled = false;
    if (!this.connected || !this.ws || this.queue.length === 0) return;
    const batch = this.queue;
    this.queue = [];
    this.ws.send(v8.serialize(batch), { binary: true }, (err) => {
      // A failed write means the socket is dying: put the batch back in front for the next hello.
      if (err) this.queue = [...batch, ...this.queue];
    });
  }

  private connect(): void {
    if (this.closed) return;
    const base = this.opts.servers[this.serverIndex % this.opts.servers.length]!;
    const url = base.replace(/^http/, "ws").replace(/\/$/, "") + EXECUTOR_WS_PATH;
    const ws = new WebSocket(url, {
      headers: this.opts.token ? { authorization: `Bearer ${this.opts.token}` } : {},
      perMessageDeflate: false,
    });
    this.ws = ws;
    ws.binaryType = "nodebuffer";
    /** Why this connection went down, for the failover line. */
    let why = "the connection closed";
    /** Whether the server answered the hello on this connection (it serves this executor). */
    let welcomed = false;
    ws.on("open", () => {
      this.connected = true;
      // hello first, then re-sent RPCs, then whatever queued while we were away.
      const first: FromExecutor[] = [this.opts.hello(), ...this.opts.resend()];
      this.queue = [...first, ...this.queue.filter((m) => !isResent(m))];
      this.flush();
      let heard = Date.now();
      let tick = heard;
      const silenceMs = this.silenceMs;
      // Several pings per silence period, so one late pong is not taken for silence.
      const everyMs = Math.min(HEARTBEAT_MS, silenceMs / 4);
      ws.on("pong", () => (heard = Date.now()));
      ws.on("message", () => (heard = Date.now()));
      this.heartbeat = setInterval(() => {
        const now = Date.now();
        // Late ourselves (this process stalled): replies may wait behind this timer; not the server's fault.
        if (now - tick > 2 * everyMs) heard = now;
        tick = now;
        if (now - heard > silenceMs) {
          why = `no message nor pong for ${now - heard} ms (TRIBUTARY_SERVER_SILENCE_MS ${silenceMs})`;
          return ws.terminate(); // 'close' follows: next server
        }
        this.send({ t: "heartbeat" });
        ws.ping();
      }, everyMs);
      this.heartbeat.unref();
    });
    ws.on("message", (data: Buffer) => {
      if (!welcomed) {
        welcomed = true;
        this.served = true;
        this.retryMs = 100;
        this.sayConnected(base);
        this.opts.onState?.(true, base);
      }
      let msgs: ToExecutor[];
      try {
        msgs = v8.deserialize(data) as ToExecutor[];
      } catch {
        return;
      }
      for (const m of msgs) this.opts.onMessage(m);
    });
    ws.on("unexpected-response", (_req, res) => {
      const status = res.statusCode ?? 0;
      if (status !== 401 && status !== 403) return ws.terminate(); // 'close' follows: retry
      let body = "";
      res.setEncoding("utf8");
      res.on("data", (d: string) => (body += d.slice(0, 4096 - body.length)));
      res.on("end", () => this.refused(base, status, body));
      res.on("error", () => this.refused(base, status, body));
    });
    ws.on("close", () => this.onDown(base, why, welcomed));
    ws.on("error", (e) => {
      why = `the connection failed: ${e.message}`; // 'close' follows
    });
  }

  /** The failover line of a connection that opened to `base` (nothing on a plain first connect). */
  private sayConnected(base: string): void {
    const lost = this.lost;
    // The server lost is named already; that it did not answer again since goes without saying.
    const unanswered = [...this.unanswered].filter((s) => s !== base && s !== lost);
    this.lost = null;
    this.unanswered.clear();
    const also = unanswered.length ? ` (${unanswered.join(", ")} did not answer)` : "";
    if (lost === base) this.log(`tributary executor: reconnected to server ${base}${also}`);
    else if (lost !== null) this.log(`tributary executor: failed over from server ${lost} to ${base}${also}`);
    else if (also) this.log(`tributary executor: connected to server ${base}${also}`);
  }

  private refused(base: string, status: number, body: string): void {
    if (this.closed) return;
    this.closed = true;
    this.ws?.terminate();
    let message = "";
    try {
      message = String((JSON.parse(body) as { error?: { message?: unknown } }).error?.message ?? "");
    } catch {
      /* not our JSON: the status alone */
    }
    const from = this.opts.tokenSource ?? "--token or TRIBUTARY_EXECUTOR_TOKEN";
    // An empty token (refused by the CLI at start-up; possible through the API) is sent as none.
    const what =
      this.opts.token === undefined
        ? `${base} requires an executor token and none is set (neither --token nor TRIBUTARY_EXECUTOR_TOKEN)`
        : this.opts.token === ""
          ? `${base} requires an executor token and the one read from ${from} is empty`
          : `${base} rejected the executor token read from ${from}`;
    // A 401 is generic (it does not tell how the server is configured): the fix is said here. A 403
    // (a valid API key where the executor token is expected) carries the server's own fix.
    const fix = status === 401 ? `; ${EXPECTED}` : "";
    this.opts.onRefused?.(
      `${what} (HTTP ${status}${message ? `: ${message}` : ""})${fix}; the executor stops: the server would reject it again`,
      base,
    );
  }

  private onDown(base: string, why: string, welcomed: boolean): void {
    const opened = this.connected;
    this.connected = false;
    if (this.heartbeat) clearInterval(this.heartbeat);
    this.heartbeat = null;
    if (welcomed) this.opts.onState?.(false, base);
    if (this.closed) return;
    this.serverIndex++;
    const next = this.opts.servers[this.serverIndex % this.opts.servers.length]!;
    const then = next === base ? "reconnecting to it" : `trying ${next} next`;
    if (welcomed) {
      this.lost = base;
      this.unanswered.clear();
      this.log(`tributary executor: lost server ${base} (${why}); ${then}`);
    } else if (opened) {
      // Said here, once per try, and not again when a server welcomes us: it answered, just not well.
      this.unanswered.delete(base);
      this.log(`tributary executor: server ${base} did not welcome this executor (${why}); ${then}`);
    } else {
      this.unanswered.add(base);
      // An executor started before its servers would otherwise say nothing at all until one answers.
      if (!this.served && !this.saidWaiting && this.unanswered.size >= new Set(this.opts.servers).size) {
        this.saidWaiting = true;
        this.log(
          `tributary executor: no server answers yet (${this.opts.servers.join(", ")}); retrying until one does`,
        );
      }
    }
    const delay = this.retryMs;
    // Capped well inside the server's executor grace (2 s in the chaos runs): a server that comes
    // back (recovering its attempts, each with that grace) must hear from us before it gives them
    // up, or their finished results here lose to a retry. A refused connect costs next to nothing.
    this.retryMs = Math.min(this.retryMs * 2, MAX_RETRY_MS);
    // Not unref'd: a disconnected executor must stay alive to reconnect.
    setTimeout(() => this.connect(), delay);
  }
}

/** Messages `resend()` supplies again after every hello (so queued copies are dropped). */
function isResent(m: FromExecutor): boolean {
  return (
    m.t === "call" || m.t === "map" || m.t === "reduce" || m.t === "state-get" || m.t === "state-set" || m.t === "done"
  );
}
