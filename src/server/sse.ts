/**
 * The progress stream of a request (Server-Sent Events). A subscriber gets the history after
 * `Last-Event-ID`, then live events, and last an event named `RequestFinished` carrying the outcome
 * and, when small enough, the output (DESIGN.md §4). The `default` event set carries progress
 * updates and `RequestFinished`; `all` adds the lifecycle events.
 *
 * Invariants:
 * - The live subscription starts before the history is read, and events are written in seq order
 *   with duplicates dropped, so nothing falls between history and live.
 * - SSE ids are the store's per-request `seq` in both event sets: an event left out by the set only
 *   leaves a gap, so `Last-Event-ID` resumes exactly where the client stopped.
 * - `RequestFinished` is the last frame; the stream closes right after it.
 */
import { FINISHED_EVENT } from "../core/api.js";
import { inEventSet, parseEventSet, withFraction, type EventSet } from "../core/event-set.js";
import type { RequestEvent } from "../core/request.js";
import type { ServerContext } from "./context.js";
import { requestFinishedData } from "./finished-event.js";
import { badRequest } from "./http-error.js";

const PAGE = 1000;
const HEARTBEAT_MS = 15_000;

function frame(id: number, event: string, data: unknown): string {
  return `id: ${id}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

/** The `?events=` query value: absent or `default`, or `all`; anything else is a 400. */
export function eventSetOf(raw: string | undefined): EventSet {
  const set = parseEventSet(raw);
  if (set === null) throw badRequest("events must be 'default' or 'all'", { path: "events" });
  return set;
}

export interface EventStreamOptions {
  /** Resume after this seq (`Last-Event-ID`). */
  afterSeq: number;
  events: EventSet;
  /** Written before any event (the invoke's `RequestCreated`). */
  prelude?: string;
}

/** A streaming Response of `requestId`'s events after `afterSeq`. */
export function eventStream(
  s: Pick<ServerContext, "engine" | "store">,
  requestId: string,
  o: EventStreamOptions,
): Response {
  const enc = new TextEncoder();
  let cleanup = (): void => {};
  /** Closed, failed or cancelled by the client: nothing more may be enqueued. */
  let done = false;
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      let last = o.afterSeq;
      /** Set once `request:finished` is seen: nothing but its frame is written after it. */
      let finishing = false;
      let historyRead = false;
      const queued: RequestEvent[] = [];
      const fail = (e: unknown): void => {
        if (done) return;
        done = true;
        cleanup();
        controller.error(e);
      };
      const finish = (): void => {
        if (done) return;
        done = true;
        cleanup();
        controller.close();
      };
      const write = (ev: RequestEvent): void => {
        if (done || finishing || ev.seq <= last) return;
        last = ev.seq;
        if (ev.kind === "request:finished") {
          finishing = true;
          // The outcome's frame needs the outcome (and the output): from memory when this event is
          // being published right now, else from the store; then the stream ends.
          requestFinishedData(s, requestId, ev, s.engine.finalOutcome(requestId)).then((data) => {
            if (done) return;
            controller.enqueue(enc.encode(frame(ev.seq, FINISHED_EVENT, data)));
            finish();
          }, fail);
          return;
        }
        if (inEventSet(ev.kind, o.events)) controller.enqueue(enc.encode(frame(ev.seq, ev.kind, withFraction(ev))));
      };
      if (o.prelude) controller.enqueue(enc.encode(o.prelude));
      // A request that started here replays from memory: no history to read from the store.
      const replayed = s.engine.subscribeFrom(requestId, o.afterSeq, write);
      if (replayed) historyRead = true;
      const unsubscribe =
        replayed ?? s.engine.subscribe(requestId, (ev) => (historyRead ? write(ev) : queued.push(ev)));
      const beat = setInterval(() => !done && controller.enqueue(enc.encode(": keep-alive\n\n")), HEARTBEAT_MS);
      cleanup = () => {
        unsubscribe();
        clearInterval(beat);
      };
      if (!replayed)
        void (async () => {
          try {
            for (;;) {
              const page = await s.store.listEvents(requestId, last, PAGE);
              for (const ev of page) write(ev);
              if (page.length < PAGE || finishing || done) break;
            }
            historyRead = true;
            queued.sort((a, b) => a.seq - b.seq).forEach(write);
          } catch (e) {
            fail(e);
          }
        })();
    },
    cancel() {
      done = true;
      cleanup();
    },
  });
  return new Response(stream, {
    headers: {
      "content-type": "text/event-stream; charset=utf-8",
      "cache-control": "no-cache",
      connection: "keep-alive",
      "x-accel-buffering": "no",
    },
  });
}
