/**
 * Starting attempts: a call the scheduler placed on an executor gets an attempt there. Its
 * reservation is made at once (reservations.ts), its start is committed to the store, then the
 * executor is sent what to run (attempt-assignment.ts). A run's calls (runs.ts) start together: one
 * reservation, one store batch, one `assign-run` message.
 *
 * Call:    pending → running (`start`, `startRun`)
 * Attempt: → running; its end is attempt-results.ts's.
 *
 * Invariants:
 * - capacity is reserved before `start` returns, so one scheduling pass cannot over-place;
 * - a start the store refuses (the call moved on, or a cluster-wide `maxContainers` is full) gives
 *   the reservation back, and nothing is sent to the executor;
 * - a start whose commit fails (the store away) gives the reservation back, sends nothing, and
 *   reloads the request once the store answers (`writeFailed`, reload.ts): the store may or may not
 *   hold the start, and only its rows tell whether the call is pending or runs an attempt;
 * - an attempt that cannot be started otherwise is an infrastructure fault (`infraFail`): retried
 *   without using up the policy;
 * - a start committed is assigned to its executor even if its request was reloaded meanwhile (stale
 *   work, stale.ts): the reload adopted the attempt as held by that executor, which only the
 *   assignment makes true; a failure to assign fails the attempt as live now (the adopted one).
 */
import type { RequestEvent } from "../core/request.js";
import type { ContainerLimit, NewEvent } from "../store/types.js";
import { assignmentOf } from "./attempt-assignment.js";
import type { AttemptResults } from "./attempt-results.js";
import type { LiveAttempt, LiveCall, RunShare } from "./model.js";
import type { Reservations } from "./reservations.js";
import type { EngineResources } from "./resources.js";
import type { Scheduler } from "./scheduler.js";
/** How soon a call refused by a cluster-wide maxContainers tries again (a slot frees on any server). */
const LIMIT_RETRY_MS = 250;

/** A cluster-wide maxContainers: the function, or every method of its class, of the request's version. */
function containerLimit(c: LiveCall, max: number): ContainerLimit {
  const app = c.req.app;
  const cls = c.spec.className;
  const functions = cls ? [...app.functions].filter(([, f]) => f.className === cls).map(([name]) => name) : [];
  return {
    namespace: app.namespace,
    application: app.name,
    version: app.version,
    functions: cls ? functions : [c.functionName],
    max,
  };
}

export class Attempts {
  constructor(
    private readonly res: EngineResources,
    private readonly scheduler: Scheduler,
    private readonly reservations: Reservations,
    private readonly results: AttemptResults,
  ) {}

  /** Reserves capacity now (synchronously, so one pass cannot over-place) and starts the attempt. */
  start(c: LiveCall, executorId: string, gpus: string[]): void {
    const a = this.reservations.track(this.res.newId(), c.attemptsUsed + c.infraRetries + 1, c, executorId, gpus);
    void this.launch(a).catch((err) =>
      this.results.infraFail(this.current(a), `could not start: ${(err as Error).message}`),
    );
  }

  /** `start` for a run's calls (runs.ts): one reservation for all, held until the last one ends. */
  startRun(calls: LiveCall[], executorId: string): void {
    const share: RunShare = { left: 0, cpuHeld: true, lastActivity: this.res.clock.now() };
    const as = calls.map((c) =>
      this.reservations.track(this.res.newId(), c.attemptsUsed + c.infraRetries + 1, c, executorId, [], share),
    );
    void this.launchRun(as).catch((err) => {
      for (const a of as) void this.results.infraFail(this.current(a), `could not start: ${(err as Error).message}`);
    });
  }

  /** The attempt live under `a`'s id: `a`, or the one a reload adopted since (see the file comment). */
  private current(a: LiveAttempt): LiveAttempt {
    return this.res.live.attempts.get(a.id) ?? a;
  }

  private async launch(a: LiveAttempt): Promise<void> {
    const e = this.res;
    const c = a.call;
    const now = e.clock.now();
    const evs = await e.store
      .startAttempt(
        {
          id: a.id,
          callId: c.id,
          requestId: c.req.id,
          number: a.number,
          executorId: a.executorId,
          containerId: null,
          startedAt: now,
        },
        { attemptsUsed: c.attemptsUsed + 1, infraRetries: c.infraRetries },
        [startedEvent(a, now)],
        ...(e.cluster && c.spec.maxContainers !== null ? [containerLimit(c, c.spec.maxContainers)] : []),
      )
      .catch((err: unknown) => this.notStored([a], err));
    if (evs === undefined) return;
    if (evs === "full") {
      // Other servers run the function's maxContainers already: the call waits and tries again.
      this.reservations.release(a);
      c.notBefore = now + LIMIT_RETRY_MS;
      this.scheduler.enqueue(c);
      return;
    }
    if (!(await this.started(a, evs))) return;
    const assignment = await assignmentOf(e, a);
    const link = e.live.executors.get(a.executorId)?.link;
    if (!link) return; // executor dropped meanwhile: its grace timer handles the attempt
    link.send({ t: "assign", assignment });
  }

  /** `launch` for a run: the starts in one store batch, then one message with every assignment. */
  private async launchRun(as: LiveAttempt[]): Promise<void> {
    const e = this.res;
    const now = e.clock.now();
    const results = await e.store
      .startAttempts(
        as.map((a) => ({
          attempt: {
            id: a.id,
            callId: a.call.id,
            requestId: a.call.req.id,
            number: a.number,
            executorId: a.executorId,
            containerId: null,
            startedAt: now,
          },
          call: { attemptsUsed: a.call.attemptsUsed + 1, infraRetries: a.call.infraRetries },
          events: [startedEvent(a, now)],
        })),
      )
      .catch((err: unknown) => this.notStored(as, err));
    if (results === undefined) return;
    const started: LiveAttempt[] = [];
    for (let i = 0; i < as.length; i++) if (await this.started(as[i]!, results[i] ?? null)) started.push(as[i]!);
    if (!started.length) return;
    const assignments = await Promise.all(started.map((a) => assignmentOf(e, a)));
    const link = e.live.executors.get(started[0]!.executorId)?.link;
    if (!link) return; // executor dropped meanwhile: its grace timer handles the attempts
    link.send({ t: "assign-run", assignments });
  }

  /**
   * The starts of `as` failed to commit (`err`): their reservations are given back and their
   * requests reloaded once the store answers, which places again what its rows say is pending.
   */
  private notStored(as: LiveAttempt[], err: unknown): undefined {
    for (const a of as) this.reservations.release(a);
    for (const requestId of new Set(as.map((a) => a.call.req.id))) this.res.writeFailed(requestId, err);
    return undefined;
  }

  /**
   * An attempt's start was committed (`evs`) or refused (null: the call moved on, e.g. cancelled,
   * while it was placed): records it live and publishes its events, or gives its reservation back.
   */
  private async started(a: LiveAttempt, evs: RequestEvent[] | null): Promise<boolean> {
    const c = a.call;
    if (!evs) {
      this.reservations.release(a);
      return false;
    }
    // Started in the commit that created the call: its creation's events go out first.
    if (c.creating && !(await c.creating)) {
      this.reservations.release(a);
      return false;
    }
    a.stored = true;
    c.attemptsUsed += 1;
    if (c.req.status === "pending") c.req.status = "running";
    this.res.publish(c.req.id, evs);
    return true;
  }
}

function startedEvent(a: LiveAttempt, now: number): NewEvent {
  const c = a.call;
  return {
    kind: "attempt:started",
    at: now,
    callId: c.id,
    functionName: c.functionName,
    attempt: a.number,
    data: { executor_id: a.executorId },
  };
}
