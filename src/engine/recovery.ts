/**
 * Recovery: the store is the truth, so the live maps are rebuilt from it. Pending calls are queued
 * again; running attempts are adopted on their executors, which must (re)connect and list them
 * within the grace, or the attempts are lost and retried as infrastructure faults.
 *
 * `loadRequest` does it for one request: after a (re)start for every unfinished request
 * (`recover`), and in a cluster for each request this server claims (a dead server's included).
 */
import type { RequestRow } from "../store/types.js";
import type { Applications } from "./applications.js";
import type { Children } from "./children.js";
import type { Executors } from "./executors.js";
import { newLiveCall } from "./model.js";
import type { RequestEnd } from "./request-end.js";
import type { Requests } from "./requests.js";
import type { Reservations } from "./reservations.js";
import type { EngineResources } from "./resources.js";
import type { Scheduler } from "./scheduler.js";

/** The parts recovery rebuilds live state with. */
export interface RecoveryParts {
  res: EngineResources;
  apps: Applications;
  requests: Requests;
  requestEnd: RequestEnd;
  scheduler: Scheduler;
  executors: Executors;
  reservations: Reservations;
  children: Children;
}

/** Loads every unfinished request of the store (one server owning its store). */
export async function recover(parts: RecoveryParts): Promise<void> {
  for (const r of await parts.res.store.listUnfinishedRequests()) await loadRequest(parts, r);
}

/** Makes one unfinished request live here: its pending calls queued, its running attempts adopted. */
export async function loadRequest(parts: RecoveryParts, reqRow: RequestRow): Promise<void> {
  const { res, apps, requests, scheduler, executors } = parts;
  const { store, live } = res;
  if (live.requests.has(reqRow.id)) return;
  const app = await apps.get(reqRow.namespace, reqRow.application, reqRow.version);
  if (!app) return;
  const calls = await store.listCalls(reqRow.id);
  const running = (await store.listAttempts(reqRow.id)).filter((a) => a.status === "running");
  if (live.requests.has(reqRow.id)) return; // loaded meanwhile
  for (const row of calls) {
    if (row.status !== "pending" && row.status !== "running") continue;
    const spec = app.functions.get(row.functionName);
    if (!spec) continue;
    const req = requests.liveRequest(reqRow, app);
    const c = newLiveCall(req, row.id, row.parentCallId, row.functionName, spec, row.args, row.notBefore);
    c.attemptsUsed = row.attemptsUsed;
    c.infraRetries = row.infraRetries;
    if (row.status === "pending") scheduler.enqueue(c);
    else live.calls.set(c.id, c);
  }
  for (const at of running) {
    const c = live.calls.get(at.callId);
    if (!c || !at.executorId) continue;
    executors.adoptOrphan(at, c);
  }
}
