/**
 * Executors as the engine sees them: connect (hello), messages, disconnect and loss.
 *
 * Executor lifecycle: connected → disconnected (grace) → connected again | lost. While disconnected,
 * its attempts keep their reservations; when the grace runs out they are lost and retried without
 * using up the retry policy. On reconnect the executor lists the attempts it still runs: the engine
 * tells it to kill the ones it no longer tracks, and treats the ones missing from the list as lost.
 */
import type { FromExecutor } from "../core/wire/executor.js";
import type { AttemptRow } from "../store/types.js";
import { giveUp, type AttemptResults } from "./attempt-results.js";
import type { CallEnd } from "./call-end.js";
import type { Children } from "./children.js";
import type { ExecutorLink, LiveCall } from "./model.js";
import type { Reservations } from "./reservations.js";
import type { EngineResources } from "./resources.js";
import type { Scheduler } from "./scheduler.js";
import type { Telemetry } from "./telemetry.js";
import { eventLimitError } from "./event-limit.js";
import { LateResults } from "./late-results.js";

type Hello = Extract<FromExecutor, { t: "hello" }>;
type Done = Extract<FromExecutor, { t: "done" }>;

/** How often, and how far apart, an undecided late result is looked at again (then left to a re-send). */
const LATE_TRIES = 20;
const LATE_RETRY_MS = 500;

export class Executors {
  private readonly late: LateResults;

  constructor(
    private readonly res: EngineResources,
    private readonly scheduler: Scheduler,
    private readonly reservations: Reservations,
    private readonly results: AttemptResults,
    calls: CallEnd,
    private readonly children: Children,
    private readonly telemetry: Telemetry,
  ) {
    this.late = new LateResults(res, scheduler, reservations, results, calls);
  }

  connected(link: ExecutorLink, hello: Hello): void {
    const e = this.res;
    let ex = e.live.executors.get(hello.executorId);
    if (ex) {
      ex.grace?.cancel();
      ex.grace = null;
      if (ex.link && ex.link !== link) ex.link.close();
      ex.link = link;
      ex.view.connected = true;
      ex.view.region = hello.region;
      ex.view.capacity = hello.capacity;
      ex.view.images = hello.images;
      ex.labels = hello.labels;
      ex.announced = new Set(hello.running);
      ex.runItems = hello.runItems ?? 0;
    } else {
      ex = {
        view: {
          id: hello.executorId,
          region: hello.region,
          capacity: hello.capacity,
          images: hello.images,
          used: { cpu: 0, memory: 0, disk: 0 },
          gpusInUse: new Set(),
          connected: true,
        },
        labels: hello.labels,
        link,
        grace: null,
        announced: new Set(hello.running),
        runItems: hello.runItems ?? 0,
      };
      e.live.executors.set(hello.executorId, ex);
    }
    const running = new Set(hello.running);
    const unknown = hello.running.filter((id) => !e.live.attempts.has(id));
    // In a cluster, attempts unknown here may be a dead (or other) server's: the cluster part
    // decides whether to adopt or stop them. Alone, an unknown attempt is one we gave up on.
    const kill = e.cluster ? [] : unknown;
    if (e.cluster && unknown.length) e.cluster.foreign(hello.executorId, unknown);
    // The executor does not run these (it restarted, or never got the assignment).
    const missing = [...e.live.attempts.values()].filter(
      (a) => a.executorId === hello.executorId && !running.has(a.id) && a.number >= 0,
    );
    const fail = (): void => {
      for (const a of missing)
        if (e.live.attempts.get(a.id) === a)
          void this.results.infraFail(a, "the executor restarted or lost the attempt");
    };
    if (missing.length && e.cluster) e.cluster.whenHeld(fail);
    else fail();
    link.send({ t: "welcome", kill, heartbeatMs: 2000 });
    void e.store
      .upsertExecutor({
        id: hello.executorId,
        region: hello.region,
        labels: hello.labels,
        capacity: hello.capacity,
        images: hello.images,
        lastSeen: e.clock.now(),
      })
      .catch(() => {});
    this.scheduler.pump();
    e.cluster?.executorsChanged();
  }

  disconnected(executorId: string, link: ExecutorLink): void {
    const e = this.res;
    const ex = e.live.executors.get(executorId);
    if (!ex || ex.link !== link) return;
    ex.link = null;
    ex.view.connected = false;
    ex.grace?.cancel();
    ex.grace = e.clock.setTimer(e.options.executorGraceMs, () => this.lost(executorId));
    e.cluster?.executorsChanged(); // peers learn what this server's executors can run now
  }

  private lost(executorId: string): void {
    const e = this.res;
    if (e.cluster) return e.cluster.whenHeld(() => this.lostNow(executorId));
    this.lostNow(executorId);
  }

  private lostNow(executorId: string): void {
    const e = this.res;
    const ex = e.live.executors.get(executorId);
    if (!ex || ex.link) return;
    for (const a of [...e.live.attempts.values()])
      if (a.executorId === executorId) void this.results.infraFail(a, `executor ${executorId} was lost`);
    e.live.executors.delete(executorId);
    void e.store.removeExecutor(executorId).catch(() => {});
  }

  /**
   * The server-side backstop (docs/semantics.md): the executor owns timeouts, but an attempt that shows no
   * sign of life for its timeout plus a margin, while not waiting on children, means a wedged
   * executor. The attempt is told to stop and retried elsewhere as an infrastructure fault.
   */
  sweep(marginMs: number): void {
    const e = this.res;
    // After a stall every attempt looks silent: first learn which requests are still ours.
    if (e.cluster) return e.cluster.whenHeld(() => this.sweepNow(marginMs));
    this.sweepNow(marginMs);
  }

  private sweepNow(marginMs: number): void {
    const e = this.res;
    const now = e.clock.now();
    for (const a of [...e.live.attempts.values()]) {
      // An item of a run that has not started: silent as long as its run is (runs.ts).
      const last =
        a.share && a.containerId === undefined ? Math.max(a.lastActivity, a.share.lastActivity) : a.lastActivity;
      if (a.blocking > 0 || now - last <= a.call.spec.timeout * 1000 + marginMs) continue;
      giveUp(e, a);
      void this.results.infraFail(
        a,
        `no word from executor ${a.executorId} for ${Math.round((now - last) / 1000)} s, past the ${a.call.spec.timeout} s timeout`,
      );
    }
  }

  /**
   * A running attempt found in the store after a restart: it is adopted as live on its executor,
   * which must reconnect (and list it) within the grace or the attempt is lost.
   */
  adoptOrphan(row: AttemptRow, c: LiveCall): void {
    const e = this.res;
    const executorId = row.executorId!;
    let ex = e.live.executors.get(executorId);
    if (!ex) {
      ex = {
        view: {
          id: executorId,
          region: "",
          capacity: { cpu: 0, memory: 0, disk: 0, gpus: {} },
          images: [],
          used: { cpu: 0, memory: 0, disk: 0 },
          gpusInUse: new Set(),
          connected: false,
        },
        labels: {},
        link: null,
        grace: e.clock.setTimer(e.options.executorGraceMs, () => this.lost(executorId)),
        announced: new Set(),
      };
      e.live.executors.set(executorId, ex);
    }
    const a = this.reservations.track(row.id, row.number, c, executorId, []);
    a.stored = true;
    if (!ex.link) return;
    // Connected already (a takeover: it failed over here before this server claimed the request).
    if (!ex.announced.has(row.id)) {
      void this.results.infraFail(a, `executor ${executorId} does not run the attempt`);
      return;
    }
    if (ex.resendDue) return;
    ex.resendDue = true;
    const adopter = ex;
    queueMicrotask(() => {
      adopter.resendDue = false;
      adopter.link?.send({ t: "resend" });
    });
  }

  /**
   * A result for an attempt not live here (late-results.ts): acknowledged once decided; in a
   * cluster, one still running in the store is maybe another server's, not yet taken over, and is
   * acknowledged only once finished (cluster.ts). Undecided, it is looked at again shortly.
   */
  private lateDone(executorId: string, m: Done, tries = 0): void {
    const e = this.res;
    void this.late.accept(executorId, m).then(
      (verdict) => {
        if (verdict === "ack") e.live.executors.get(executorId)?.link?.send({ t: "ack", attemptId: m.attemptId });
        else if (verdict === "foreign" && e.cluster) e.cluster.foreign(executorId, [m.attemptId]);
        else if (tries < LATE_TRIES) e.clock.setTimer(LATE_RETRY_MS, () => this.lateDone(executorId, m, tries + 1));
      },
      (err) => process.stderr.write(`tributary: a late result for ${m.attemptId} failed: ${(err as Error).message}\n`),
    );
  }

  /** Routes one message from a connected executor. */
  onMessage(executorId: string, m: FromExecutor): void {
    const e = this.res;
    // A stalled server acts on nothing until it knows which requests are still its own.
    if (e.cluster) e.cluster.whenHeld(() => this.route(executorId, m));
    else this.route(executorId, m);
  }

  private route(executorId: string, m: FromExecutor): void {
    const e = this.res;
    if ("attemptId" in m) {
      const a = e.live.attempts.get(m.attemptId);
      if (a) {
        a.lastActivity = e.clock.now();
        if (a.share) a.share.lastActivity = a.lastActivity;
      }
    }
    switch (m.t) {
      case "done": {
        const requestId = e.live.attempts.get(m.attemptId)?.call.req.id;
        if (requestId === undefined) return this.lateDone(executorId, m);
        // Acknowledged only once committed (or ignored: not this executor's live attempt): until then
        // the executor keeps it. A failed or refused commit leaves the attempt out of the live maps,
        // so the request is reloaded from the store, which asks the executor to re-send (reload.ts).
        void this.results.accept(executorId, m, requestId).then((ack) => {
          if (ack) e.live.executors.get(executorId)?.link?.send({ t: "ack", attemptId: m.attemptId });
        });
        return;
      }
      case "started": {
        const a = e.live.attempts.get(m.attemptId);
        if (a) a.containerId = m.containerId;
        return;
      }
      case "call":
      case "map":
      case "reduce":
      case "state-get":
      case "state-set": {
        const a = e.live.attempts.get(m.attemptId);
        if (a && a.executorId === executorId) void this.children.onRpc(a, m);
        return;
      }
      case "progress": {
        const a = e.live.attempts.get(m.attemptId);
        const over = a && eventLimitError(a.call.req, e.options.maxEventsPerRequest, 1, "progress update");
        if (a && over) void this.results.failNow(a, { ...over, functionName: a.call.functionName });
        else this.telemetry.record(m);
        return;
      }
      case "metric":
        this.telemetry.record(m);
        return;
      case "logs":
        this.telemetry.logs(m.lines);
        return;
      case "heartbeat":
      case "hello":
        return;
    }
  }
}
