/**
 * The events table as both SQL adapters read it: the row shape (the columns are the same in SQLite
 * and PostgreSQL), its mapping back to a `RequestEvent`, and the error for events of a request
 * that does not exist.
 */
import type { RequestEvent } from "../../core/request.js";
import type { EventKind } from "../../core/status.js";

/** An events row as selected. */
export interface SqlEvent {
  seq: number;
  kind: EventKind;
  at: number;
  call_id: string | null;
  parent_call_id: string | null;
  function_name: string | null;
  attempt: number | null;
  data: string | null;
}

/** Thrown when events are appended to a request that does not exist. */
export class UnknownRequestError extends Error {
  constructor(readonly requestId: string) {
    super(`unknown request ${JSON.stringify(requestId)}`);
    this.name = "UnknownRequestError";
  }
}

/** Maps a row back to its event: absent fields stay absent, `''` parent means a null parentCallId. */
export function toEvent(r: SqlEvent): RequestEvent {
  const e: RequestEvent = { seq: r.seq, kind: r.kind, at: r.at };
  if (r.call_id !== null) e.callId = r.call_id;
  if (r.parent_call_id !== null) e.parentCallId = r.parent_call_id === "" ? null : r.parent_call_id;
  if (r.function_name !== null) e.functionName = r.function_name;
  if (r.attempt !== null) e.attempt = r.attempt;
  if (r.data !== null) e.data = JSON.parse(r.data) as Record<string, unknown>;
  return e;
}
