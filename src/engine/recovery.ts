/**
 * Recovery after a (re)start: the store is the truth, so the live maps are rebuilt from it. Pending
 * calls are queued again; running attempts are adopted on their executors, which must reconnect and
 * list them within the grace, or the attempts are lost and retried as infrastructure faults.
 */
import type { CallRow, RequestRow } from "../store/types.js";
import type { Applications } from "./applications.js";
import type { Executors } from "./executors.js";
import { newLiveCall } from "./model.js";
import type { Requests } from "./requests.js";
import type { EngineResources } from "./resources.js";
import type { Scheduler } from "./scheduler.js";

export async function recover(
  res: EngineResources,
  apps: Applications,
  requests: Requests,
  scheduler: Scheduler,
  executors: Executors,
): Promise<void> {
  const { store, live } = res;
  const liveReqs = new Map<string, RequestRow>();
  for (const r of await store.listUnfinishedRequests()) liveReqs.set(r.id, r);
  const callRows = new Map<string, CallRow>();
  for (const r of liveReqs.values()) for (const c of await store.listCalls(r.id)) callRows.set(c.id, c);
  for (const row of callRows.values()) {
    if (row.status !== "pending" && row.status !== "running") continue;
    const reqRow = liveReqs.get(row.requestId)!;
    const app = await apps.get(reqRow.namespace, reqRow.application, reqRow.version);
    const spec = app?.functions.get(row.functionName);
    if (!app || !spec) continue;
    const req = requests.liveRequest(reqRow, app);
    const c = newLiveCall(req, row.id, row.parentCallId, row.functionName, spec, row.args, row.notBefore);
    c.attemptsUsed = row.attemptsUsed;
    c.infraRetries = row.infraRetries;
    if (row.status === "pending") scheduler.enqueue(c);
    else live.calls.set(c.id, c);
  }
  for (const at of await store.listRunningAttempts()) {
    const c = live.calls.get(at.callId);
    if (!c || !at.executorId) continue;
    executors.adoptOrphan(at, c);
  }
}
