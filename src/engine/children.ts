/**
 * Calls between functions: creating (or finding) a child call by its durable id, and delivering its
 * outcome to whoever waits on it — a parent attempt's RPC, one slot of a map, or the next step of a
 * reduce.
 *
 * Replay (docs/semantics.md): a child whose durable id already succeeded answers at once from the journal;
 * one still pending or running is re-attached; a failed or cancelled one runs again. A different
 * function at the same (parent, seq, item) is a terminal non-determinism error.
 */
import { childCallId, itemCallId } from "../core/durable-id.js";
import { joinArgs, STRUCTURED_CONTENT_TYPE } from "../core/codec.js";
import { plainError, type PlainError } from "../core/errors.js";
import type { FunctionSpec } from "../core/options.js";
import type { FailureReason } from "../core/status.js";
import type { ExecutorRpc } from "../core/wire/executor.js";
import { newLiveCall, type LiveAttempt, type LiveCall } from "./model.js";
import type { EngineResources } from "./resources.js";
import { eventLimitError } from "./event-limit.js";
import type { CallRow, NewCall, NewEvent } from "../store/types.js";
import type { Scheduler } from "./scheduler.js";

export type CallOutcome = { ok: true; value: Uint8Array } | { ok: false; reason: FailureReason; error: PlainError };
/** A refusal: the error belongs to the calling attempt itself, not to a child. */
type Refusal = { ok: false; own: true; error: PlainError };
type Outcome = CallOutcome | Refusal;
type Waiter = (o: Outcome) => void;

/**
 * Notes that an attempt of `parent` asks for its child at `seq`; true when no attempt asked for
 * that seq before, in a call this process created (`LiveCall.askedSeq`): then no child is stored
 * there and the journal need not be read. Items of a map or steps of a reduce share one seq: only
 * the first ask of it is known first, the others read (as a replay does).
 */
function firstAsk(parent: LiveCall, seq: number): boolean {
  if (parent.askedSeq === undefined || seq <= parent.askedSeq) return false;
  parent.askedSeq = seq;
  return true;
}

export class Children {
  private readonly waiters = new Map<string, Waiter[]>();

  constructor(
    private readonly res: EngineResources,
    private readonly scheduler: Scheduler,
  ) {}

  /** Hands a finished call's outcome to everything waiting on it. */
  settle(callId: string, o: CallOutcome): void {
    const list = this.waiters.get(callId);
    if (!list) return;
    this.waiters.delete(callId);
    for (const w of list) w(o);
  }

  /** Drops what waits on a call whose request left this server (nothing here will answer it). */
  forget(callId: string): void {
    this.waiters.delete(callId);
  }

  private wait(callId: string, w: Waiter): void {
    const list = this.waiters.get(callId);
    if (list) list.push(w);
    else this.waiters.set(callId, [w]);
  }

  private unwait(callId: string, w: Waiter): void {
    const list = this.waiters.get(callId)?.filter((x) => x !== w);
    if (list?.length) this.waiters.set(callId, list);
    else this.waiters.delete(callId);
  }

  /** Answers an RPC of a running attempt (dropped if the attempt is gone: its retry will replay). */
  reply(
    a: LiveAttempt,
    rpc: number,
    o: { ok: true; value?: unknown } | { ok: false; error: PlainError; reason?: FailureReason | undefined },
  ): void {
    const e = this.res;
    if (!e.live.attempts.has(a.id)) return;
    e.live.executors.get(a.executorId)?.link?.send({ t: "reply", attemptId: a.id, rpc, ...o } as never);
  }

  /** A blocking RPC started: the attempt releases its CPU while it waits (no deadlock at depth). */
  private block(a: LiveAttempt): void {
    this.res.runs.blocked(a.call);
    a.blocking++;
    // An item of a run holds the run's reservation (runs.ts): its CPU is the run's.
    const holder = a.share ?? a;
    if (a.blocking === 1 && holder.cpuHeld) {
      holder.cpuHeld = false;
      const ex = this.res.live.executors.get(a.executorId);
      if (ex) ex.view.used.cpu -= a.res.cpu;
      this.scheduler.pump();
    }
  }

  private unblock(a: LiveAttempt): void {
    a.lastActivity = this.res.clock.now();
    if (a.blocking === 0) return;
    a.blocking--;
    const holder = a.share ?? a;
    if (a.blocking === 0 && !holder.cpuHeld && this.res.live.attempts.has(a.id)) {
      holder.cpuHeld = true;
      const ex = this.res.live.executors.get(a.executorId);
      if (ex) ex.view.used.cpu += a.res.cpu;
    }
  }

  async onRpc(a: LiveAttempt, m: ExecutorRpc): Promise<void> {
    try {
      switch (m.t) {
        case "call":
          this.block(a);
          return await this.child(a, m.seq, 0, m.functionName, m.args, "call", (o) => this.answer(a, m.rpc, o));
        case "map":
          this.block(a);
          return await this.map(a, m);
        case "reduce":
          this.block(a);
          return await this.reduce(a, m);
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
      this.answer(a, m.rpc, { ok: false, own: true, error: plainError("InternalError", (err as Error).message) });
    }
  }

  /** Delivers an outcome to a parent RPC; a refusal carries no reason, so it is raised as itself. */
  private answer(a: LiveAttempt, rpc: number, o: Outcome | { ok: true; value: unknown }): void {
    this.unblock(a);
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
  ): Promise<void> {
    const e = this.res;
    const parent = a.call;
    const req = parent.req;
    const refuse = (error: PlainError): void => done({ ok: false, own: true, error });
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
      this.wait(existing.id, done);
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
    try {
      await this.create(a, id, seq, item, fn, args, existing, done);
    } finally {
      req.events.reserved--;
    }
  }

  /** Journals a new call (or reruns a failed one) and queues it. */
  private async create(
    a: LiveAttempt,
    id: string,
    seq: number,
    item: number,
    fn: string,
    args: Uint8Array,
    existing: CallRow | null,
    done: Waiter,
  ): Promise<void> {
    const e = this.res;
    const parent = a.call;
    const req = parent.req;
    const spec = req.app.functions.get(fn)!;
    const now = e.clock.now();
    const payload = await e.payloads.put(`args/${req.id}`, args, STRUCTURED_CONTENT_TYPE);
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
      let why = `call ${id} changed concurrently`;
      c.creating = creating.then(
        (evs) => {
          c.creating = undefined;
          if (!evs) return false;
          e.publish(req.id, evs);
          return true;
        },
        (err: unknown) => {
          why = (err as Error).message;
          return false;
        },
      );
      this.wait(id, done);
      this.scheduler.enqueue(c);
      if (await c.creating) return;
      // Not stored: the call never runs (an attempt started meanwhile is released).
      this.scheduler.withdraw(c);
      this.unwait(id, done);
      return done({ ok: false, own: true, error: plainError("InternalError", why) });
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
    if (!evs)
      return done({ ok: false, own: true, error: plainError("InternalError", `call ${id} changed concurrently`) });
    if (existing) req.progress.reopen(id);
    e.publish(req.id, evs);
    this.wait(id, done);
    // A failed call run again may have children of its earlier attempts: not fresh.
    this.scheduler.enqueue(
      newLiveCall(req, id, parent.id, fn, spec, existing ? existing.args : payload, now, !existing),
    );
  }

  private async map(a: LiveAttempt, m: Extract<ExecutorRpc, { t: "map" }>): Promise<void> {
    const results: (Uint8Array | undefined)[] = new Array(m.items.length);
    let remaining = m.items.length;
    let settled = false;
    const finish = (o: Outcome | { ok: true; value: unknown }): void => {
      if (settled) return;
      settled = true;
      this.answer(a, m.rpc, o);
    };
    if (remaining === 0) return this.answer(a, m.rpc, { ok: true, value: [] });
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
      return this.answer(a, m.rpc, { ok: false, own: true, error: { ...over, functionName: a.call.functionName } });
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
    await Promise.all(m.items.map((args, i) => this.child(a, m.seq, i, m.functionName, args, "map", onItem(i))));
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
    // A store error here is left to the item-by-item path, which reports it per item.
    const creating = e.store.createCalls(req.id, calls, created).catch(() => null);
    const live = calls.map((c) => newLiveCall(req, c.id, parent.id, fn, spec, c.args, now, true));
    // Where the store applies writes as they are issued (SQLite), the items are queued at once, so
    // the first attempts' starts share the commit that creates them (as `create` does for one call).
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
    if (!evs) {
      // Not stored: nothing of it runs (an attempt started meanwhile is released by `launch`).
      if (early) {
        for (const c of live) {
          this.scheduler.withdraw(c);
          this.waiters.delete(c.id);
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
      this.wait(c.id, onItem(i));
      this.scheduler.enqueue(c);
    }
  }

  private async reduce(a: LiveAttempt, m: Extract<ExecutorRpc, { t: "reduce" }>): Promise<void> {
    const items = [...m.items];
    let acc = m.initial ?? items.shift()!;
    let step = 0;
    const next = async (): Promise<void> => {
      if (items.length === 0) return this.answer(a, m.rpc, { ok: true, value: acc });
      const item = items.shift()!;
      const index = step++;
      await this.child(a, m.seq, index, m.functionName, joinArgs([acc, item]), "reduce", (o) => {
        if (!o.ok) return this.answer(a, m.rpc, o);
        acc = o.value;
        void next();
      });
    };
    await next();
  }
}
