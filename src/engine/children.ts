/**
 * Calls between functions: creating (or finding) a child call by its durable id, and delivering its
 * outcome to whoever waits on it (child-waiters.ts) — a parent attempt's RPC, one slot of a map, or
 * the next step of a reduce (map-reduce.ts). While an attempt waits on a child its CPU is given back
 * (reservations.ts, `block`).
 *
 * Replay (docs/semantics.md): a child whose durable id already succeeded answers at once from the journal;
 * one still pending or running is re-attached; a failed or cancelled one runs again. A different
 * function at the same (parent, seq, item) is a terminal non-determinism error.
 *
 * A child RPC whose store work fails (the store away: a child's creation or rerun not committed, or
 * a read of the journal) is not answered: the request is reloaded once the store answers
 * (`writeFailed`, reload.ts), which asks the executor to re-send the RPC, and it is answered then from
 * what the store holds. Answering it with an error would fail the caller for an outage, and leave a
 * child whose creation did commit pending with nothing to run it.
 *
 * Work of an RPC that goes on after its request was dropped (stale.ts) waits on nothing, queues
 * nothing and answers nothing: the executor re-sends the RPC after the reload, and it is answered
 * then; a child it created meanwhile is read by one more reload.
 */
import { childCallId, itemCallId } from "../core/durable-id.js";
import { STRUCTURED_CONTENT_TYPE } from "../core/codec.js";
import { plainError, type PlainError } from "../core/errors.js";
import type { FailureReason } from "../core/status.js";
import type { ExecutorRpc } from "../core/wire/executor.js";
import type { CallRow } from "../store/types.js";
import { storeTransient } from "../store/unreachable.js";
import { ChildWaiters, type CallOutcome, type Outcome, type Waiter } from "./child-waiters.js";
import { eventLimitError } from "./event-limit.js";
import { MapReduce } from "./map-reduce.js";
import { firstAsk, newLiveCall, type LiveAttempt } from "./model.js";
import type { Reservations } from "./reservations.js";
import type { EngineResources } from "./resources.js";
import type { Scheduler } from "./scheduler.js";
import { stale } from "./stale.js";

export class Children {
  private readonly waiters = new ChildWaiters();
  private readonly mapReduce: MapReduce;

  constructor(
    private readonly res: EngineResources,
    private readonly scheduler: Scheduler,
    private readonly reservations: Reservations,
  ) {
    this.mapReduce = new MapReduce(res, scheduler, this.waiters, {
      child: (a, seq, item, fn, args, op, done) => this.child(a, seq, item, fn, args, op, done),
      answer: (a, rpc, o) => this.answer(a, rpc, o),
    });
  }

  /** Hands a finished call's outcome to everything waiting on it. */
  settle(callId: string, o: CallOutcome): void {
    this.waiters.settle(callId, o);
  }

  /** Drops what waits on a call whose request left this server (nothing here will answer it). */
  forget(callId: string): void {
    this.waiters.forget(callId);
  }

  /**
   * Answers an RPC of a running attempt (dropped if the attempt is gone: its retry will replay; or
   * stale: its executor re-sends the RPC after the reload).
   */
  reply(
    a: LiveAttempt,
    rpc: number,
    o: { ok: true; value?: unknown } | { ok: false; error: PlainError; reason?: FailureReason | undefined },
  ): void {
    const e = this.res;
    if (e.live.attempts.get(a.id) !== a) return;
    e.live.executors.get(a.executorId)?.link?.send({ t: "reply", attemptId: a.id, rpc, ...o } as never);
  }

  async onRpc(a: LiveAttempt, m: ExecutorRpc): Promise<void> {
    try {
      switch (m.t) {
        case "call":
          this.reservations.block(a);
          return await this.child(a, m.seq, 0, m.functionName, m.args, "call", (o) => this.answer(a, m.rpc, o));
        case "map":
          this.reservations.block(a);
          return await this.mapReduce.map(a, m);
        case "reduce":
          this.reservations.block(a);
          return await this.mapReduce.reduce(a, m);
        case "state-get": {
          const p = await this.res.store.getState(a.call.req.id, m.key);
          return this.reply(a, m.rpc, { ok: true, value: p ? await this.res.payloads.read(p) : null });
        }
        case "state-set": {
          // The SDK refuses first; this catches a container that does not run our SDK.
          if (m.value.byteLength > this.res.options.maxStateBytes) {
            const message = `state value for '${m.key}' is ${m.value.byteLength} bytes, more than the limit of ${this.res.options.maxStateBytes} bytes`;
            return this.answer(a, m.rpc, {
              ok: false,
              own: true,
              error: { name: "SDKUsageError", message, retryable: false },
            });
          }
          const p = await this.res.payloads.put(`state/${a.call.req.id}`, m.value, STRUCTURED_CONTENT_TYPE);
          await this.res.store.setState(a.call.req.id, m.key, p, this.res.clock.now());
          return this.reply(a, m.rpc, { ok: true });
        }
      }
    } catch (err) {
      // The store away: the write may or may not have committed, so only the store can tell (a
      // reload, then the re-sent RPC). Any other error would fail the same way again: answered.
      if ((m.t === "call" || m.t === "map" || m.t === "reduce") && storeTransient(err))
        return this.res.writeFailed(a.call.req.id, err);
      this.answer(a, m.rpc, { ok: false, own: true, error: plainError("InternalError", (err as Error).message) });
    }
  }

  /** Delivers an outcome to a parent RPC; a refusal carries no reason, so it is raised as itself. */
  private answer(a: LiveAttempt, rpc: number, o: Outcome | { ok: true; value: unknown }): void {
    this.reservations.unblock(a);
    if (o.ok) this.reply(a, rpc, { ok: true, value: o.value });
    else this.reply(a, rpc, { ok: false, error: o.error, reason: "own" in o ? undefined : o.reason });
  }

  /**
   * Finds or creates the child at (parent, seq, item) and calls `done` with its outcome, at once from
   * the journal or when it finishes.
   */
  private async child(
    a: LiveAttempt,
    seq: number,
    item: number,
    fn: string,
    args: Uint8Array,
    op: "call" | "map" | "reduce",
    done: Waiter,
    again = false,
  ): Promise<void> {
    const e = this.res;
    const parent = a.call;
    const req = parent.req;
    const refuse = (error: PlainError): void => done({ ok: false, own: true, error });
    if (stale(e, req)) return; // a reduce's next step after a reload: the RPC is re-sent
    if (req.status !== "pending" && req.status !== "running")
      return refuse(plainError("CancelledError", `request ${req.id} is ${req.status}`));
    const spec = req.app.functions.get(fn);
    if (!spec)
      return refuse(
        plainError(
          "SDKUsageError",
          `function '${fn}' is not part of application '${req.application}' version ${req.app.version}`,
        ),
      );
    const id = op === "call" ? childCallId(parent.id, seq, fn) : itemCallId(parent.id, seq, fn, op, item);
    const existing = firstAsk(parent, seq) ? null : await e.store.findChildCall(parent.id, seq, item);
    if (stale(e, req)) return;
    if (existing && existing.functionName !== fn) {
      return refuse(
        plainError(
          "NonDeterminismError",
          `non-deterministic replay in ${parent.functionName}: call #${seq}${item ? ` item ${item}` : ""} was '${existing.functionName}' in an earlier attempt, now '${fn}'`,
          { functionName: parent.functionName },
        ),
      );
    }
    const live = existing?.status === "succeeded" || existing?.status === "pending" || existing?.status === "running";
    if (!live) {
      // A new call (or a rerun of a failed one) journals events: within the request's limit only.
      const over = eventLimitError(req, e.options.maxEventsPerRequest, 1, `call to '${fn}'`);
      if (over) return refuse({ ...over, functionName: parent.functionName });
    }
    // The progress tree learns of every child a parent asks for, journaled or new.
    req.progress.add(id, parent.id);
    if (existing?.status === "succeeded") {
      req.progress.finish(id, true);
      return done({ ok: true, value: existing.result ? await e.payloads.read(existing.result) : new Uint8Array(0) });
    }
    if (existing && (existing.status === "pending" || existing.status === "running")) {
      this.waiters.wait(existing.id, done);
      if (!e.live.calls.has(existing.id)) {
        // Known to the store but not to this process (restart): queue it again if pending.
        const c = newLiveCall(req, existing.id, parent.id, fn, spec, existing.args, existing.notBefore);
        c.attemptsUsed = existing.attemptsUsed;
        c.infraRetries = existing.infraRetries;
        if (existing.status === "pending") this.scheduler.enqueue(c);
        else e.live.calls.set(c.id, c);
      }
      return;
    }
    // Reserved from the check above (no await between) until its events are published.
    req.events.reserved++;
    let taken: boolean;
    try {
      taken = await this.create(a, id, seq, item, fn, args, existing, done);
    } finally {
      req.events.reserved--;
    }
    if (!taken) return;
    // Created meanwhile by another ask of this call (one begun before a reload and committed after
    // this one looked): the call is in the store, so this ask looks it up and waits on it, once.
    if (!again) return this.child(a, seq, item, fn, args, op, done, true);
    done({ ok: false, own: true, error: plainError("InternalError", `call ${id} changed concurrently`) });
  }

  /**
   * Journals a new call (or reruns a failed one) and queues it; true when the store refused it as
   * changed concurrently (the caller looks again), having answered nothing.
   */
  private async create(
    a: LiveAttempt,
    id: string,
    seq: number,
    item: number,
    fn: string,
    args: Uint8Array,
    existing: CallRow | null,
    done: Waiter,
  ): Promise<boolean> {
    const e = this.res;
    const parent = a.call;
    const req = parent.req;
    const spec = req.app.functions.get(fn)!;
    const now = e.clock.now();
    const payload = await e.payloads.put(`args/${req.id}`, args, STRUCTURED_CONTENT_TYPE);
    if (stale(e, req)) return false;
    const created = { kind: "call:created" as const, at: now, callId: id, parentCallId: parent.id, functionName: fn };
    const newCall = {
      id,
      requestId: req.id,
      parentCallId: parent.id,
      seq,
      item,
      functionName: fn,
      args: payload,
      notBefore: now,
      createdAt: now,
    };
    if (!existing && e.store.appliedAtCall && !e.live.calls.has(id)) {
      // Queued at once: its first attempt's start shares the commit that creates it.
      const c = newLiveCall(req, id, parent.id, fn, spec, payload, now, true);
      const creating = e.store.createCall(newCall, [created]);
      let failed: { err: unknown } | null = null;
      c.creating = creating.then(
        (evs) => {
          c.creating = undefined;
          if (!evs) return false;
          e.publish(req.id, evs);
          return true;
        },
        (err: unknown) => {
          failed = { err };
          return false;
        },
      );
      this.waiters.wait(id, done);
      this.scheduler.enqueue(c);
      const stored = await c.creating;
      // Dropped meanwhile: its waiter and queue entry went with it; the creation may have committed.
      if (stale(e, req, true)) return false;
      if (stored) return false;
      // Not stored: the call never runs (an attempt started meanwhile is released).
      this.scheduler.withdraw(c);
      this.waiters.unwait(id, done);
      if (failed) throw (failed as { err: unknown }).err; // see the file comment
      return true;
    }
    const evs = existing
      ? await e.store.transitionCall(
          existing.id,
          existing.status,
          {
            status: "pending",
            attemptsUsed: 0,
            infraRetries: 0,
            notBefore: now,
            error: null,
            failureReason: null,
            finishedAt: null,
            result: null,
          },
          [{ ...created, data: { rerun: true } }],
        )
      : await e.store.createCall(newCall, [created]);
    if (stale(e, req, evs !== null)) {
      e.publish(req.id, evs);
      return false;
    }
    if (!evs) return true;
    if (existing) req.progress.reopen(id);
    e.publish(req.id, evs);
    this.waiters.wait(id, done);
    // A failed call run again may have children of its earlier attempts: not fresh.
    this.scheduler.enqueue(
      newLiveCall(req, id, parent.id, fn, spec, existing ? existing.args : payload, now, !existing),
    );
    return false;
  }
}
