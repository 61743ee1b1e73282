/**
 * The container's side of the IPC channel: typed send, and request/reply correlation for RPCs
 * (child calls, state reads and writes).
 */
import { fromPlainError, FunctionError, TimeoutError, RequestError, type PlainError } from "../core/errors.js";
import type { FailureReason } from "../core/status.js";
import type { FromContainer, ToContainer } from "../core/wire/container.js";
import type { ContainerTransport } from "./transport.js";

type Pending = { resolve: (v: unknown) => void; reject: (e: unknown) => void; functionName?: string | undefined };

export class Channel {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();

  constructor(private readonly transport: ContainerTransport) {}

  send(msg: FromContainer): void {
    this.transport.send(msg);
  }

  /** Sends an RPC and resolves with the reply value; failures become typed errors. */
  request<T>(build: (id: number) => Extract<FromContainer, { id: number }>, functionName?: string): Promise<T> {
    const id = this.nextId++;
    return new Promise<T>((resolve, reject) => {
      this.pending.set(id, { resolve: resolve as (v: unknown) => void, reject, functionName });
      this.send(build(id));
    });
  }

  onReply(msg: Extract<ToContainer, { t: "reply" }>): void {
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.ok) p.resolve(msg.value);
    else p.reject(childError(msg.error, msg.reason, p.functionName));
  }
}

/**
 * How a child's terminal failure surfaces in its caller (docs/semantics.md): `RequestError` as itself,
 * a timeout as `TimeoutError`, anything else as `FunctionError` with the child's message and stack.
 * Errors of the system (non-determinism, cancellation, serialization) keep their own type.
 */
export function childError(error: PlainError, reason: FailureReason | undefined, functionName: string | undefined): Error {
  if (error.name === "RequestError") return new RequestError(error.message);
  if (reason === "function_timeout") return new TimeoutError(error.message, error.functionName ?? functionName);
  // No reason: the server refused the RPC itself (non-determinism, cancelled request) — the
  // error belongs to this call, not to a child.
  if (reason === undefined || reason === "internal_error" || reason === "cancelled") return fromPlainError(error);
  const name = error.functionName ?? functionName;
  return new FunctionError(error.message, name, error.stack);
}
