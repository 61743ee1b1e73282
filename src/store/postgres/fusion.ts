/**
 * Fusing a request's creation with its root call's first start, PostgreSQL only.
 *
 * The engine issues `createRequest` and then, in the same tick, the root call's `startAttempt`
 * (engine/requests.ts, `Store.appliedAtCall`). Apart, the start UPDATEs the request and the call
 * the create has just inserted: the request's status changes, so the update is not HOT and adds a
 * tuple to each of its indexes. Fused, the create's one statement inserts the request and the root
 * call already running, the attempt, and every event (the create's, then the start's, numbered
 * after them), and each caller gets exactly what it would have got apart.
 *
 * Lifecycle of a create here: open (its job is queued, its statement not sent) → taken (its job
 * sends its statement). A start attaches only while its create is open, so it never waits on a
 * statement already on its way (it then runs as it always did, after it).
 *
 * Invariants:
 * - Writes apply in issue order (`Store.appliedAtCall`): a start attached to a create applies at
 *   the create's place, earlier than issued. Nothing of the request can be in between, because any
 *   other write of the request issued meanwhile `seal`s it: a start issued after that write runs
 *   apart, after it.
 * - Only a create that surely inserts its request is opened: without an idempotency key (with one,
 *   it may insert nothing, and its start must then claim nothing), and only where the owner fence
 *   cannot refuse the start (`fusible`). Only an unlimited start of the root call attaches (a
 *   limited one counts running attempts in a transaction of its own).
 * - Should the fused statement fail by itself, the create runs apart from then on, and the start
 *   runs apart after the create settled, so each fails (or not) as it would have apart.
 */
import type { RequestEvent } from "../../core/request.js";
import type { AttemptStart, NewRequest } from "../types.js";

/** A start attached to an open create: settled by the create's job. */
export interface AttachedStart extends AttemptStart {
  resolve(events: RequestEvent[] | null | Promise<RequestEvent[] | null>): void;
  reject(error: unknown): void;
  /** The start as it runs when nothing is fused (attempts.ts), for when the fused statement failed. */
  apart(): Promise<RequestEvent[] | null>;
}

/** An open create (see the lifecycle above). */
export interface OpenCreate {
  readonly requestId: string;
  readonly rootCallId: string;
  start: AttachedStart | null;
}

/** The creates open on one store. */
export interface Fusion {
  /** By `createRequest`, when its job is queued: opens it if a start may attach (null if not). */
  open(r: NewRequest): OpenCreate | null;
  /** By the create's job, when it sends its statement: closes it; the start attached, if any. */
  take(o: OpenCreate): AttachedStart | null;
  /**
   * By `startAttempt` (unlimited): attaches to the open create of its request when it starts its
   * root call; the start's answer, settled by the create's job. Null when nothing is open for it.
   */
  attach(start: AttemptStart, apart: () => Promise<RequestEvent[] | null>): Promise<RequestEvent[] | null> | null;
  /** By any other write of a request (or of the call `callId`): a later start must run after it. */
  seal(requestId: string): void;
  sealCall(callId: string): void;
}

/**
 * @param serverId the server every connection names (`tributary.server`), if any: a request it
 *   owns, or no one owns, passes the owner fence whatever the servers' leases.
 * @example
 * const fusion = createFusion(options.serverId);
 * const open = fusion.open(request); // in createRequest, before its job is queued
 */
export function createFusion(serverId: string | undefined): Fusion {
  const byRequest = new Map<string, OpenCreate>();
  const byCall = new Map<string, OpenCreate>();
  const close = (o: OpenCreate): void => {
    if (byRequest.get(o.requestId) === o) byRequest.delete(o.requestId);
    if (byCall.get(o.rootCallId) === o) byCall.delete(o.rootCallId);
  };
  const fusible = (r: NewRequest): boolean =>
    r.idempotencyKey === null && (serverId === undefined || r.owner == null || r.owner === serverId);
  return {
    open(r) {
      if (!fusible(r) || byRequest.has(r.id)) return null;
      const o: OpenCreate = { requestId: r.id, rootCallId: r.rootCallId, start: null };
      byRequest.set(r.id, o);
      byCall.set(r.rootCallId, o);
      return o;
    },
    take(o) {
      close(o);
      const start = o.start;
      o.start = null;
      return start;
    },
    attach(s, apart) {
      const o = byRequest.get(s.attempt.requestId);
      if (!o) return null;
      // A start of another call, or a second start of the root call: it runs apart, after the
      // create (and after the first start, which claims the call).
      close(o);
      if (o.start !== null || s.attempt.callId !== o.rootCallId) return null;
      return new Promise((resolve, reject) => {
        o.start = { ...s, resolve, reject, apart };
      });
    },
    seal(requestId) {
      const o = byRequest.get(requestId);
      if (o) close(o);
    },
    sealCall(callId) {
      const o = byCall.get(callId);
      if (o) close(o);
    },
  };
}
