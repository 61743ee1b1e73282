/**
 * The scheduler: pending calls wait here until their backoff has passed and an executor has room.
 *
 * Invariant: one scheduling pass per tick at most (`pump` coalesces triggers); a call is in `ready`
 * only while pending and past its `notBefore`. A pass visits each requirement shape once: once a
 * shape must wait for capacity, later calls of the same shape are skipped in that pass.
 */
import type { Engine } from "./engine.js";
import type { LiveCall } from "./model.js";
import { maxContainersReason, place, type Requirements } from "./placement.js";

export class Scheduler {
  private ready: LiveCall[] = [];
  private scheduled = false;
  private stopped = false;
  private unsatisfiableTimer = false;

  constructor(private readonly engine: Engine) {}

  /** Adds a pending call; it becomes ready at its `notBefore`. */
  enqueue(c: LiveCall): void {
    this.engine.calls.set(c.id, c);
    c.req.pendingCalls.add(c.id);
    const wait = c.notBefore - this.engine.clock.now();
    if (wait > 0) {
      c.backoff = this.engine.clock.setTimer(wait, () => {
        c.backoff = undefined;
        if (!c.req.pendingCalls.has(c.id)) return;
        this.ready.push(c);
        this.pump();
      });
      return;
    }
    this.ready.push(c);
    this.pump();
  }

  remove(callId: string): void {
    const c = this.engine.calls.get(callId);
    c?.backoff?.cancel();
    this.ready = this.ready.filter((x) => x.id !== callId);
  }

  /** Requests a scheduling pass on the next tick. */
  pump(): void {
    if (this.scheduled || this.stopped) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      this.drain();
    });
  }

  stop(): void {
    this.stopped = true;
    for (const c of this.ready) c.backoff?.cancel();
  }

  requirements(c: LiveCall): Requirements {
    const s = c.spec;
    return {
      cpu: s.cpu,
      memory: s.memory,
      disk: s.ephemeralDisk,
      gpu: s.gpu,
      region: s.region ?? c.req.app.appSpec.region,
      baseImage: s.image?.baseImage ?? null,
    };
  }

  private drain(): void {
    if (this.stopped) return;
    const engine = this.engine;
    const views = [...engine.executors.values()].map((e) => e.view);
    const blocked = new Map<string, string>();
    const keep: LiveCall[] = [];
    const now = engine.clock.now();
    const running = new Map<string, number>();
    for (const a of engine.attempts.values()) if (a.call.spec.maxContainers !== null) running.set(containerKey(a.call), (running.get(containerKey(a.call)) ?? 0) + 1);
    for (const c of this.ready) {
      if (!c.req.pendingCalls.has(c.id)) continue;
      const limitKey = c.spec.maxContainers !== null ? containerKey(c) : null;
      const full = limitKey ? maxContainersReason(c.spec.maxContainers, running.get(limitKey) ?? 0) : null;
      if (full) {
        keep.push(c);
        this.setReason(c, full);
        continue;
      }
      const r = this.requirements(c);
      const shape = JSON.stringify(r);
      const known = blocked.get(shape);
      if (known !== undefined) {
        keep.push(c);
        this.setReason(c, known);
        continue;
      }
      const p = place(r, views);
      if (p.kind === "placed") {
        c.req.pendingCalls.delete(c.id);
        engine.attemptsPart.start(c, p.executorId, p.gpus);
        if (limitKey) running.set(limitKey, (running.get(limitKey) ?? 0) + 1);
        continue;
      }
      if (p.kind === "never" && now - engine.startedAt >= engine.options.unsatisfiableGraceMs) {
        c.req.pendingCalls.delete(c.id);
        void engine.attemptsPart.failUnplaceable(c, p.reason);
        continue;
      }
      if (p.kind === "never" && !this.unsatisfiableTimer) {
        // Re-check once the start-up grace (executors reconnecting) has passed.
        this.unsatisfiableTimer = true;
        engine.clock.setTimer(engine.options.unsatisfiableGraceMs - (now - engine.startedAt) + 10, () => this.pump());
      }
      blocked.set(shape, p.reason);
      this.setReason(c, p.reason);
      keep.push(c);
    }
    this.ready = keep;
  }

  private setReason(c: LiveCall, reason: string): void {
    if (c.pendingReason === reason) return;
    c.pendingReason = reason;
    // Persisted so the request metadata can say why a call waits; a lost CAS means it moved on.
    void this.engine.store.transitionCall(c.id, "pending", { status: "pending", pendingReason: reason }, []).catch(() => {});
  }
}

/** What maxContainers counts: one function (or class) of one application version. */
function containerKey(c: LiveCall): string {
  return `${c.req.namespace}/${c.req.application}@${c.req.app.version}/${c.spec.className ?? c.functionName}`;
}
