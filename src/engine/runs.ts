/**
 * Runs (issue 15): several queued calls of one function handed to one container slot at once. The
 * scheduler places the head of a group as usual and lets it take up to `size` more calls of the
 * same function from that group; the run holds one container's reservation (a `RunShare`), its
 * items run one after another on one container, and every item keeps its own call, attempt and
 * events, exactly as if it had been placed alone.
 *
 * Which calls may share a run:
 * - children only (a root call is a request of its own), of one request and one function of one
 *   application version, without GPUs or `maxContainers` (those count containers per attempt);
 * - of a function this server has seen finish an attempt without ever making a blocking call (a
 *   "leaf"). A run must never hold a slot that an item's own children need, nor queue items behind
 *   one that waits: a function that ever called another is never batched again (on this server),
 *   and an executor hands a run's unstarted items back when one of them starts waiting anyway.
 * - only on an executor that announced runs (`hello.runItems`).
 *
 * The size spreads a group's calls over the executor's slots: a small map still runs on as many
 * containers as it has items, a large one in runs of up to `maxRunItems`.
 */
import type { LiveCall, LiveExecutor } from "./model.js";

export type { RunShare } from "./model.js";

/** Default of `EngineOptions.maxRunItems`. */
export const DEFAULT_MAX_RUN_ITEMS = 64;

export class RunPolicy {
  /** Per function of an application version: true once seen to finish without a blocking call. */
  private readonly leaf = new Map<string, boolean>();

  constructor(private readonly maxItems: number) {}

  /** An attempt of `c` made a blocking call: its function never runs in runs again. */
  blocked(c: LiveCall): void {
    this.leaf.set(keyOf(c), false);
  }

  /**
   * An item of a run of `c` was given back unstarted (its container died or stopped, or an item
   * ahead of it started waiting): the function runs in runs no more, so that no call is given back
   * over and over.
   */
  lost(c: LiveCall): void {
    this.leaf.set(keyOf(c), false);
  }

  /** An attempt of `c` succeeded; unless its function ever blocked, it is a leaf from now on. */
  succeeded(c: LiveCall): void {
    const k = keyOf(c);
    if (!this.leaf.has(k)) this.leaf.set(k, true);
  }

  /**
   * How many calls a run headed by `head` (placed on `ex`) may hold, itself included, when
   * `waiting` more calls of its group wait behind it; 1 means no run.
   */
  size(head: LiveCall, ex: LiveExecutor | undefined, waiting: number): number {
    const max = Math.min(this.maxItems, ex?.runItems ?? 0);
    if (max <= 1 || waiting === 0 || !this.batchable(head)) return 1;
    const slots = Math.max(1, Math.floor(ex!.view.capacity.cpu / Math.max(head.spec.cpu, 1e-9)));
    return Math.max(1, Math.min(max, Math.ceil((waiting + 1) / slots)));
  }

  /** Whether `x` may join the run headed by `head`. */
  joins(head: LiveCall, x: LiveCall): boolean {
    return (
      x.req === head.req && x.functionName === head.functionName && x.parentCallId !== null && x.creating === undefined
    );
  }

  private batchable(c: LiveCall): boolean {
    return (
      c.parentCallId !== null &&
      c.spec.gpu === null &&
      c.spec.maxContainers === null &&
      c.creating === undefined &&
      this.leaf.get(keyOf(c)) === true
    );
  }
}

function keyOf(c: LiveCall): string {
  return `${c.req.namespace}/${c.req.application}@${c.req.app.version}/${c.functionName}`;
}
