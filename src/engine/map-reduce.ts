/**
 * A map or a reduce: many child calls at one seq of the parent, told apart by their item (children.ts
 * finds or creates each one), and one answer to the parent's RPC.
 *
 * Map: every item is a call of the same function, all running at once; the answer is every item's
 * value in order, or the first item that fails. Reduce: one step at a time, each step a call on
 * (accumulator, next item) whose value is the next accumulator; the answer is the last one, or the
 * first step that fails.
 *
 * Invariants:
 * - the parent's RPC is answered once (a map's later item outcomes are ignored);
 * - a new map that would pass the request's events limit is refused whole, before any item starts;
 *   a replayed one (its first item journaled) creates nothing new and is not;
 * - a new map's items are journaled in one transaction (`createAll`) with their events reserved
 *   until published; when it is not new, or that is refused, each item goes the way a single call
 *   does (journal, re-attach, refusal);
 * - an item not stored is never queued, or is withdrawn with its waiter dropped;
 * - a map whose request was dropped while its items were journaled (stale.ts) queues and waits on
 *   nothing: the reload queues what was stored, and the executor re-sends the map.
 */
import { itemCallId } from "../core/durable-id.js";
import { joinArgs, STRUCTURED_CONTENT_TYPE } from "../core/codec.js";
import type { FunctionSpec } from "../core/options.js";
import type { ExecutorRpc } from "../core/wire/executor.js";
import type { NewCall, NewEvent } from "../store/types.js";
import type { ChildWaiters, Outcome, Waiter } from "./child-waiters.js";
import { eventLimitError } from "./event-limit.js";
import { firstAsk, newLiveCall, type LiveAttempt, type LiveCall } from "./model.js";
import type { EngineResources } from "./resources.js";
import type { Scheduler } from "./scheduler.js";
import { stale } from "./stale.js";

/** What a map or a reduce asks of children.ts. */
export interface ChildCalls {
  /**
   * Finds or creates the child at (parent, seq, item) and calls `done` with its outcome, at once from
   * the journal or when it finishes.
   */
  child(
    a: LiveAttempt,
    seq: number,
    item: number,
    fn: string,
    args: Uint8Array,
    op: "map" | "reduce",
    done: Waiter,
  ): Promise<void>;
  /** Delivers an outcome to the parent's RPC. */
  answer(a: LiveAttempt, rpc: number, o: Outcome | { ok: true; value: unknown }): void;
}

export class MapReduce {
  constructor(
    private readonly res: EngineResources,
    private readonly scheduler: Scheduler,
    private readonly waiters: ChildWaiters,
    private readonly calls: ChildCalls,
  ) {}

  /** A map RPC: its items' calls, answered with their values in order or the first failure. */
  async map(a: LiveAttempt, m: Extract<ExecutorRpc, { t: "map" }>): Promise<void> {
    const results: (Uint8Array | undefined)[] = new Array(m.items.length);
    let remaining = m.items.length;
    let settled = false;
    const finish = (o: Outcome | { ok: true; value: unknown }): void => {
      if (settled) return;
      settled = true;
      this.calls.answer(a, m.rpc, o);
    };
    if (remaining === 0) return this.calls.answer(a, m.rpc, { ok: true, value: [] });
    // A map that would pass the events limit is refused whole, before any item starts; a replayed
    // one (its first item journaled) creates nothing new and is not.
    const req = a.call.req;
    const over = eventLimitError(
      req,
      this.res.options.maxEventsPerRequest,
      m.items.length,
      `map of ${m.items.length} calls to '${m.functionName}'`,
    );
    if (over && !(await this.res.store.findChildCall(a.call.id, m.seq, 0)))
      return this.calls.answer(a, m.rpc, {
        ok: false,
        own: true,
        error: { ...over, functionName: a.call.functionName },
      });
    const onItem =
      (i: number): Waiter =>
      (o) => {
        if (!o.ok) return finish(o);
        results[i] = o.value;
        if (--remaining === 0) finish({ ok: true, value: results });
      };
    if (await this.createAll(a, m, onItem)) return;
    // A replay (or a map the bulk path could not create): item by item, each found in the journal
    // or created. All at once: their reads and inserts interleave and share one group commit.
    await Promise.all(m.items.map((args, i) => this.calls.child(a, m.seq, i, m.functionName, args, "map", onItem(i))));
  }

  /**
   * A new map: journals every item (its call and `call:created`) in one transaction and queues them
   * all. False, with nothing journaled or queued, when the map is not new (its first item is in the
   * journal: a replayed attempt), or when the bulk creation is refused; the item-by-item path then
   * answers each item as a single call would (journal, re-attach, refusal).
   */
  private async createAll(
    a: LiveAttempt,
    m: Extract<ExecutorRpc, { t: "map" }>,
    onItem: (i: number) => Waiter,
  ): Promise<boolean> {
    const e = this.res;
    const parent = a.call;
    const req = parent.req;
    const fn = m.functionName;
    const n = m.items.length;
    const spec = req.app.functions.get(fn);
    if (!spec || (req.status !== "pending" && req.status !== "running")) return false;
    if (eventLimitError(req, e.options.maxEventsPerRequest, n, "")) return false;
    // Reserved from the check above (no await between) until the events are published.
    req.events.reserved += n;
    try {
      return await this.journalAll(a, m, spec, onItem);
    } finally {
      req.events.reserved -= n;
    }
  }

  /** `createAll` past its checks, with the map's events reserved. */
  private async journalAll(
    a: LiveAttempt,
    m: Extract<ExecutorRpc, { t: "map" }>,
    spec: FunctionSpec,
    onItem: (i: number) => Waiter,
  ): Promise<boolean> {
    const { res: e } = this;
    const { call: parent } = a;
    const { seq, functionName: fn, items } = m;
    const req = parent.req;
    if (!firstAsk(parent, seq) && (await e.store.findChildCall(parent.id, seq, 0))) return false;
    // `true` from here on when stale: nothing more to do for this RPC (it is re-sent after the reload).
    if (stale(e, req)) return true;
    const now = e.clock.now();
    const calls: NewCall[] = new Array(items.length);
    const created: NewEvent[] = new Array(items.length);
    for (let i = 0; i < items.length; i++) {
      const id = itemCallId(parent.id, seq, fn, "map", i);
      const args = await e.payloads.put(`args/${req.id}`, items[i]!, STRUCTURED_CONTENT_TYPE);
      calls[i] = {
        id,
        requestId: req.id,
        parentCallId: parent.id,
        seq: seq,
        item: i,
        functionName: fn,
        args,
        notBefore: now,
        createdAt: now,
      };
      created[i] = { kind: "call:created", at: now, callId: id, parentCallId: parent.id, functionName: fn };
    }
    if (stale(e, req)) return true;
    // A store error here is left to the item-by-item path, which reports it per item.
    const creating = e.store.createCalls(req.id, calls, created).catch(() => null);
    const live = calls.map((c) => newLiveCall(req, c.id, parent.id, fn, spec, c.args, now, true));
    // Where the store applies writes as they are issued (SQLite), the items are queued at once, so
    // the first attempts' starts share the commit that creates them (as `create` in children.ts does
    // for one call).
    const early = e.store.appliedAtCall === true;
    if (early) {
      const stored = creating.then((evs) => {
        for (const c of live) c.creating = undefined;
        if (evs) e.publish(req.id, evs);
        return evs !== null;
      });
      for (const c of live) c.creating = stored;
      this.queue(live, onItem);
    }
    const evs = await creating;
    // Dropped meanwhile: what `early` queued went with it (a withdrawal now would hit the reload's).
    // Reloaded again even when refused: a store error is taken for a refusal here, and may have committed.
    if (stale(e, req, true)) {
      if (!early) e.publish(req.id, evs);
      return true;
    }
    if (!evs) {
      // Not stored: nothing of it runs (an attempt started meanwhile is released by `launch`).
      if (early) {
        for (const c of live) {
          this.scheduler.withdraw(c);
          this.waiters.forget(c.id);
        }
      }
      return false;
    }
    if (!early) {
      e.publish(req.id, evs);
      this.queue(live, onItem);
    }
    return true;
  }

  /** Queues newly journaled items of a map and waits for each. */
  private queue(live: LiveCall[], onItem: (i: number) => Waiter): void {
    for (let i = 0; i < live.length; i++) {
      const c = live[i]!;
      c.req.progress.add(c.id, c.parentCallId);
      this.waiters.wait(c.id, onItem(i));
      this.scheduler.enqueue(c);
    }
  }

  /** A reduce RPC: its steps one after another, answered with the last accumulator or the first failure. */
  async reduce(a: LiveAttempt, m: Extract<ExecutorRpc, { t: "reduce" }>): Promise<void> {
    const items = [...m.items];
    let acc = m.initial ?? items.shift()!;
    let step = 0;
    const next = async (): Promise<void> => {
      if (items.length === 0) return this.calls.answer(a, m.rpc, { ok: true, value: acc });
      const item = items.shift()!;
      const index = step++;
      await this.calls.child(a, m.seq, index, m.functionName, joinArgs([acc, item]), "reduce", (o) => {
        if (!o.ok) return this.calls.answer(a, m.rpc, o);
        acc = o.value;
        // A step's store work that fails reloads the request, as the RPC's first step (children.ts).
        void next().catch((err: unknown) => this.res.writeFailed(a.call.req.id, err));
      });
    };
    await next();
  }
}
