/**
 * The data of `RequestFinished`, the last event of a progress stream (DESIGN.md §4): the outcome
 * in the API's words, and the output inlined when it is at most 1 MiB, so a client needs no second
 * round trip for a small result.
 */
import { INLINE_OUTPUT_MAX_BYTES, type RequestFinishedData } from "../core/api.js";
import { inlineOutput } from "../core/inline-output.js";
import type { RequestEvent, RequestOutcome } from "../core/request.js";
import { outcomeOf } from "../core/status.js";
import type { FinalOutcome } from "../engine/index.js";
import type { ServerContext } from "./context.js";

/**
 * Built from the request's committed outcome (DESIGN §3b: committed with the `request:finished`
 * event, so it is the outcome the event announces): `final` when the engine still holds it in
 * memory (the request finished here just now: no store read), else the request row. A request
 * deleted meanwhile falls back to the event.
 */
export async function requestFinishedData(
  s: Pick<ServerContext, "engine" | "store">,
  requestId: string,
  ev: RequestEvent,
  final: FinalOutcome | null = null,
): Promise<RequestFinishedData> {
  const r = final
    ? { id: requestId, output: null, requestError: null, error: null, finishedAt: null, failureReason: null, ...final }
    : await s.store.getRequest(requestId);
  if (!r) {
    const d = (ev.data ?? {}) as Partial<RequestOutcome>;
    const status = d.status ?? "failed";
    const reason = d.failureReason ?? null;
    return {
      request_id: requestId,
      status,
      outcome: d.outcome ?? outcomeOf(status, reason),
      failure_reason: reason,
      error: d.error ?? null,
      at: ev.at,
    };
  }
  const data: RequestFinishedData = {
    request_id: r.id,
    status: r.status,
    outcome: outcomeOf(r.status, r.failureReason),
    failure_reason: r.failureReason,
    at: r.finishedAt ?? ev.at,
  };
  if (r.requestError)
    data.request_error = { function_name: r.requestError.functionName, message: r.requestError.message };
  if (r.error) data.error = r.error;
  if (r.status === "succeeded" && r.output && r.output.size <= INLINE_OUTPUT_MAX_BYTES) {
    const output = inlineOutput(
      await s.engine.readPayload(r.output),
      r.output.contentType || "application/octet-stream",
    );
    if (output) data.output = output;
  }
  return data;
}
