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

/** The keep-alive writers of every open stream, and the one timer that calls them. */
const beating = new Set<() => void>();
let beatTimer: ReturnType<typeof setInterval> | null = null;

/**
 * Calls `beat` every HEARTBEAT_MS until the returned function is called. One timer serves every
 * stream (a timer of its own per stream cost more than a short stream's frames), so a stream's first
 * keep-alive comes within HEARTBEAT_MS rather than exactly after it; the gap between two never
 * exceeds it. Unref'd: an idle server's timer keeps nothing alive.
 */
function heartbeat(beat: () => void): () => void {
  beating.add(beat);
  if (beatTimer === null) {
    beatTimer = setInterval(() => {
      for (const b of beating)
        try {
          b();
        } catch {
          /* a broken stream: its own end or failure cleans it up; the others still get theirs */
        }
    }, HEARTBEAT_MS);
    beatTimer.unref();
  }
  return () => beating.delete(beat);
}

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

/** Where `followEvents` writes: SSE text, then exactly one of `end` or `fail`. */
export interface EventSink {
  write(text: string): void;
  /** The stream is over; `last` (the `RequestFinished` frame) is its final text. */
  end(last?: string): void;
  fail(e: unknown): void;
}

/**
 * Writes `requestId`'s events after `o.afterSeq` to `sink` until `RequestFinished` (or a failure);
 * returns `cancel`, which stops it (the client went away) without writing anything more.
 */
export function followEvents(
  s: Pick<ServerContext, "engine" | "store">,
  requestId: string,
  o: EventStreamOptions,
  sink: EventSink,
): () => void {
  let cleanup = (): void => {};
  /** Closed, failed or cancelled by the client: nothing more may be written. */
  let done = false;
  let last = o.afterSeq;
  /** Set once `request:finished` is seen: nothing but its frame is written after it. */
  let finishing = false;
  let historyRead = false;
  const queued: RequestEvent[] = [];
  const fail = (e: unknown): void => {
    if (done) return;
    done = true;
    cleanup();
    sink.fail(e);
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
        done = true;
        cleanup();
        sink.end(frame(ev.seq, FINISHED_EVENT, data));
      }, fail);
      return;
    }
    if (inEventSet(ev.kind, o.events)) sink.write(frame(ev.seq, ev.kind, withFraction(ev)));
  };
  if (o.prelude) sink.write(o.prelude);
  // A request that started here replays from memory: no history to read from the store.
  const replayed = s.engine.subscribeFrom(requestId, o.afterSeq, write);
  if (replayed) historyRead = true;
  const unsubscribe = replayed ?? s.engine.subscribe(requestId, (ev) => (historyRead ? write(ev) : queued.push(ev)));
  const stopBeat = heartbeat(() => !done && sink.write(": keep-alive\n\n"));
  cleanup = () => {
    unsubscribe();
    stopBeat();
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
  return () => {
    if (done) return;
    done = true;
    cleanup();
  };
}

/** The headers of every progress stream. */
export const EVENT_STREAM_HEADERS: Readonly<Record<string, string>> = {
  "content-type": "text/event-stream; charset=utf-8",
  "cache-control": "no-cache",
  connection: "keep-alive",
  "x-accel-buffering": "no",
};

/** A streaming Response of `requestId`'s events after `afterSeq`. */
export function eventStream(
  s: Pick<ServerContext, "engine" | "store">,
  requestId: string,
  o: EventStreamOptions,
): Response {
  const enc = new TextEncoder();
  let cancel = (): void => {};
  const stream = new ReadableStream<Uint8Array>({
    start(controller) {
      cancel = followEvents(s, requestId, o, {
        write: (text) => controller.enqueue(enc.encode(text)),
        end: (text) => {
          if (text) controller.enqueue(enc.encode(text));
          controller.close();
        },
        fail: (e) => controller.error(e),
      });
    },
    cancel() {
      cancel();
    },
  });
  return new Response(stream, { headers: { ...EVENT_STREAM_HEADERS } });
}
