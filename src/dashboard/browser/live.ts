/**
 * Browser code: following a request's progress stream (SSE). EventSource when no API key is set;
 * with a key, a fetch stream, because EventSource cannot send an Authorization header. Both end at
 * the final event named by FINISHED_EVENT.
 */
import { FINISHED_EVENT, type RequestFinishedData } from "../../core/api.js";
import type { RequestEvent } from "../../core/request.js";
import type { EventKind } from "../../core/status.js";
import { apiBase, apiKey } from "./connection.js";

type StreamKind = Exclude<EventKind, "request:finished">;

// Stream events other than the final one. A record, not a list, so that a new EventKind in core
// fails the type check here until the dashboard listens for it.
const STREAM_KINDS: Record<StreamKind, true> = {
  "request:started": true,
  "call:created": true,
  "attempt:started": true,
  progress: true,
  "attempt:failed": true,
  "attempt:succeeded": true,
  "call:finished": true,
};
const EVENT_KINDS = Object.keys(STREAM_KINDS) as StreamKind[];

/** What follow() reports: each event, the final outcome, or a stream that broke for good. */
export interface StreamHandlers {
  onEvent(ev: RequestEvent): void;
  onFinished(outcome: RequestFinishedData): void;
  onBroken(e?: unknown): void;
}

/** Follows the stream at `path` (under the namespace's API); returns a stop function. */
export function follow(path: string, on: StreamHandlers): () => void {
  const url = apiBase() + path;
  if (!apiKey()) {
    const es = new EventSource(url);
    for (const kind of EVENT_KINDS)
      es.addEventListener(kind, (e) => on.onEvent(JSON.parse(e.data as string) as RequestEvent));
    es.addEventListener(FINISHED_EVENT, (e) => {
      es.close();
      on.onFinished(JSON.parse(e.data as string) as RequestFinishedData);
    });
    // EventSource reconnects by itself with Last-Event-ID; a closed one (e.g. 404) is broken for good.
    es.onerror = () => {
      if (es.readyState === EventSource.CLOSED) on.onBroken();
    };
    return () => es.close();
  }
  const ctrl = new AbortController();
  readStream(url, ctrl, on).catch((e: unknown) => {
    if (!ctrl.signal.aborted) on.onBroken(e);
  });
  return () => ctrl.abort();
}

/** The keyed variant: reads the text/event-stream by hand (event:, data:, blank line ends one). */
async function readStream(url: string, ctrl: AbortController, on: StreamHandlers): Promise<void> {
  const res = await fetch(url, {
    headers: { authorization: `Bearer ${apiKey()}`, accept: "text/event-stream" },
    signal: ctrl.signal,
  });
  if (!res.ok || !res.body) throw new Error(`progress stream: ${res.status}`);
  const reader = res.body.pipeThrough(new TextDecoderStream()).getReader();
  let buf = "";
  let name = "message";
  let data = "";
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += value;
    let nl: number;
    while ((nl = buf.indexOf("\n")) >= 0) {
      const line = buf.slice(0, nl).replace(/\r$/, "");
      buf = buf.slice(nl + 1);
      if (line === "") {
        if (data) {
          const payload: unknown = JSON.parse(data);
          if (name === FINISHED_EVENT) {
            ctrl.abort();
            on.onFinished(payload as RequestFinishedData);
            return;
          }
          on.onEvent(payload as RequestEvent);
        }
        name = "message";
        data = "";
      } else if (line.startsWith("event:")) name = line.slice(6).trim();
      else if (line.startsWith("data:")) data += (data ? "\n" : "") + line.slice(5).replace(/^ /, "");
    }
  }
  on.onBroken();
}
