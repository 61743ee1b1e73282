/**
 * The container's side of the IPC channel: typed send, and request/reply correlation for RPCs
 * (child calls, state reads and writes).
 */
import { errorForCaller } from "../core/failures.js";
import type { FromContainer, ToContainer } from "../core/wire/container.js";
import type { ContainerTransport } from "./transport.js";

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void; functionName?: string | undefined };

export class Channel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Called before a blocking RPC (call, map, reduce) is sent. */
  beforeBlocking: (() => void) | null = null;

  constructor(private readonly transport: ContainerTransport) {}

  send(msg: FromContainer): void {
    this.transport.send(msg);
  }

  /** Sends an RPC and resolves with the reply value; failures become typed errors. */
  request<T>(build: (id: number) => Extract<FromContainer, { id: number }>, functionName?: string): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, functionName });
      const msg = build(id);
      if (msg.t === "call" || msg.t === "map" || msg.t === "reduce") this.beforeBlocking?.();
      this.send(msg);
    });
  }

  onReply(msg: Extract<ToContainer, { t: "reply" }>): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(errorForCaller(msg.error, msg.reason, p.functionName));
  }
}
