/**
 * The container's side of the IPC channel: typed send, and request/reply correlation for RPCs
 * (child calls, state reads and writes).
 */
import { errorForCaller } from "../core/failures.js";
import type { DoneMessage, FromContainer, ToContainer } from "../core/wire/container.js";
import type { ContainerTransport } from "./transport.js";

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void; functionName?: string | undefined };

export class Channel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  /** Called before a blocking RPC (call, map, reduce) is sent. */
  beforeBlocking: (() => void) | null = null;

  constructor(private readonly transport: ContainerTransport) {}

  /** Results of a run's items held for the end of this turn (`results`). */
  private held: DoneMessage[] = [];

  send(msg: FromContainer): void {
    // Nothing overtakes a held result: the executor starts each item as the one before it returns.
    if (this.held.length) this.flush();
    this.transport.send(msg);
  }

  /**
   * A run item's result: sent with the results of the items that end in this same turn, at its end
   * (a `setImmediate`), or before the next message of any other kind.
   */
  sendResult(msg: DoneMessage): void {
    this.held.push(msg);
    if (this.held.length === 1) setImmediate(() => this.flush());
  }

  private flush(): void {
    const dones = this.held;
    if (!dones.length) return;
    this.held = [];
    this.transport.send(dones.length === 1 ? dones[0]! : { t: "results", dones });
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
