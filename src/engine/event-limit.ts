/**
 * The events limit (docs/semantics.md "Limits"): a request journals at most `maxEventsPerRequest`
 * events (the server's `--max-events-per-request`). What a function does that would add past it is
 * refused with an error naming the limit, never silently dropped:
 * - a new child call (`call`, `map`, `reduce`) raises `SDKUsageError` in the caller, which may catch it;
 * - a progress update fails the call that sent it (`function_error`, not retried).
 * The events that end what already started (attempts and calls finishing, the request finishing)
 * are always written, so a request at its limit still finishes and never hangs: the journal may
 * pass the limit by those, and by the progress updates of one flush window.
 *
 * The count is the highest event `seq` this server has published for the request (seqs are gap-free
 * per request, so that is the number of events); `reserved` counts new calls being created, so
 * concurrent creations cannot all pass the check at once.
 */
import { plainError, type PlainError } from "../core/errors.js";
import type { LiveRequest } from "./model.js";

/** The default of `--max-events-per-request`. */
export const DEFAULT_MAX_EVENTS_PER_REQUEST = 100_000;

/**
 * The error for `what` (e.g. "progress update", "call to 'child'") when `req` is at its limit, else null.
 * @example const refusal = eventLimitError(req, 100_000, 1, "call to 'child'");
 */
export function eventLimitError(req: LiveRequest, limit: number, adding: number, what: string): PlainError | null {
  const { count, reserved } = req.events;
  if (count + reserved + adding <= limit) return null;
  return plainError(
    "SDKUsageError",
    `request ${req.id} reached its limit of ${limit} events (the server's --max-events-per-request): ${what} refused`,
    { retryable: false },
  );
}

/** Records the seq of newly published events. */
export function countEvents(req: LiveRequest | undefined, events: readonly { seq: number }[] | null | undefined): void {
  if (!req || !events?.length) return;
  const last = events[events.length - 1]!.seq;
  if (last > req.events.count) req.events.count = last;
}
