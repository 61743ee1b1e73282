/**
 * The in-process executor link: when an executor runs inside the server's process (`tributary dev`,
 * single-machine deployments), messages go straight to the engine with no serialization and no
 * socket, batched per microtask in each direction so neither side re-enters the other mid-step.
 *
 * Invariant: the messages are the same objects as over the WebSocket; neither side mutates a
 * message (or its bytes) after sending it, so passing them by reference is a safe copy-free hop.
 */
import type { ExecutorTransport, ExecutorTransportFactory, FromExecutor, ToExecutor } from "../core/wire/executor.js";
import type { Engine, ExecutorLink } from "../engine/index.js";

/** Delivers queued items in order, once per microtask. */
function batcher<T>(deliver: (items: T[]) => void): (item: T) => void {
  let queue: T[] = [];
  return (item) => {
    queue.push(item);
    if (queue.length > 1) return;
    queueMicrotask(() => {
      const items = queue;
      queue = [];
      deliver(items);
    });
  };
}

export function localExecutorTransport(engine: Engine, serverUrl: string): ExecutorTransportFactory {
  return (handlers): ExecutorTransport => {
    let executorId: string | null = null;
    let open = false;
    const toExecutor = batcher<ToExecutor>((msgs) => {
      if (open) for (const m of msgs) handlers.onMessage(m);
    });
    const link: ExecutorLink = { send: toExecutor, close: () => {} };
    const toServer = batcher<FromExecutor>((msgs) => {
      for (const m of msgs) {
        if (m.t === "hello") {
          executorId = m.executorId;
          engine.connectExecutor(link, m);
        } else if (executorId) engine.executorMessage(executorId, m);
      }
    });
    return {
      start() {
        open = true;
        toServer(handlers.hello());
        for (const m of handlers.resend()) toServer(m);
        handlers.onState?.(true, serverUrl);
      },
      send(msg) {
        if (open) toServer(msg);
      },
      async close() {
        open = false;
        if (executorId) engine.disconnectExecutor(executorId, link);
      },
    };
  };
}
