/**
 * The progress stream of a request (Server-Sent Events). A subscriber gets the whole history after
 * `Last-Event-ID`, then live events, and last an event named `RequestFinished` carrying the outcome.
 *
 * Invariant: the live subscription starts before the history is read, and events are written in
 * seq order with duplicates dropped, so nothing falls between history and live.
 */
import { FINISHED_EVENT } from "../core/api.js";
import type { RequestEvent, RequestOutcome } from "../core/request.js";
import type { ServerContext } from "./context.js";

const PAGE = 1000;
const HEARTBEAT_MS = 15_000;

function frame(ev: RequestEvent): string {
  if (ev.kind === "request:finished") {
    const d = (ev.data ?? {}) as Partial<RequestOutcome>;
    const outcome: RequestOutcome & { at: number } = { status: d.status!, outcome: d.outcome ?? null, failureReason: d.failureReason ?? null, error: d.error ?? null, at: ev.at };
    return `id: ${ev.seq}\nevent: ${FINISHED_EVENT}\ndata: ${JSON.stringify(outcome)}\n\n`;
  }
  return `id: ${ev.seq}\nevent: ${ev.kind}\ndata: ${JSON.stringify(ev)}\n\n`;
}

/** A streaming Response of `requestId`'s events after `afterSeq`. */
export function eventStream(s: Pick<ServerContext, "engine" | "store">, requestId: string, afterSeq: number, prelude?: string): Response {
  const enc = new TextEncoder();
  let cleanup = (): void => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let last = afterSeq;
      let done = false;
      let historyRead = false;
      const queued: RequestEvent[] = [];
      const write = (ev: RequestEvent): void => {
        if (done || ev.seq <= last) return;
        last = ev.seq;
        controller.enqueue(enc.encode(frame(ev)));
        if (ev.kind === "request:finished") finish();
      };
      const finish = (): void => {
        if (done) return;
        done = true;
        cleanup();
        controller.close();
      };
      const unsubscribe = s.engine.subscribe(requestId, (ev) => (historyRead ? write(ev) : queued.push(ev)));
      const beat = setInterval(() => !done && controller.enqueue(enc.encode(": keep-alive\n\n")), HEARTBEAT_MS);
      cleanup = () => {
        unsubscribe();
        clearInterval(beat);
      };
      if (prelude) controller.enqueue(enc.encode(prelude));
      void (async () => {
        try {
          for (;;) {
            const page = await s.store.listEvents(requestId, last, PAGE);
            for (const ev of page) write(ev);
            if (page.length < PAGE || done) break;
          }
          historyRead = true;
          queued.sort((a, b) => a.seq - b.seq).forEach(write);
        } catch (e) {
          controller.error(e);
          cleanup();
        }
      })();
    },
    cancel() {
      cleanup();
    },
  });
  return new Response(stream, {
    headers: { "content-type": "text/event-stream; charset=utf-8", "cache-control": "no-cache", connection: "keep-alive", "x-accel-buffering": "no" },
  });
}
